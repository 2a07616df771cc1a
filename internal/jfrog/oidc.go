package jfrog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const (
	oidcTokenPath = "/access/api/v1/oidc/token"

	grantTypeTokenExchange  = "urn:ietf:params:oauth:grant-type:token-exchange"
	subjectTokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"

	// DefaultProviderType is the provider_type sent with an exchange.
	DefaultProviderType = "Azure"

	// maxTokenReply bounds the size of a token exchange reply.
	maxTokenReply = 1 << 20
)

// ExchangeOptions are the optional parts of an OIDC token exchange. The zero
// value sends provider type "Azure" and nothing else.
type ExchangeOptions struct {
	// ProviderType is the provider_type field; "" means DefaultProviderType.
	ProviderType string
	// IdentityMappingName forces one identity mapping of the provider.
	IdentityMappingName string
	// ProjectKey scopes the token to a JFrog project.
	ProjectKey string
	// Scope asks for a scope within the mapping's token_spec.scope
	// (unverified against JFrog: the exchange's field list in
	// ../shared/reference/jfrog.md does not name it; "" sends none).
	Scope string
	// Audience is the audience field (optional, informational per JFrog's
	// OIDC token exchange docs, ../shared/reference/jfrog.md §1).
	Audience string
	// IncludeReferenceToken asks JFrog for a reference token as well.
	IncludeReferenceToken bool
}

// ExchangeResponse is a JFrog access token obtained by an OIDC exchange.
type ExchangeResponse struct {
	// AccessToken is the JFrog access token.
	AccessToken secret.Token
	// ExpiresIn is the lifetime JFrog granted (from expires_in, else the
	// token's exp claim); zero when the token does not expire.
	ExpiresIn time.Duration
	// Username is the JFrog user the token acts as (from username, else the
	// token's sub claim).
	Username string
	// Scope is the granted scope, such as "applied-permissions/user".
	Scope string
	// TokenType is the token_type field ("Bearer").
	TokenType string
	// TokenID is the jti claim of the access token (used to revoke it); ""
	// when the token is not a JWT.
	TokenID string
}

// exchangeRequest is the body of POST /access/api/v1/oidc/token.
type exchangeRequest struct {
	GrantType           string `json:"grant_type"`
	SubjectTokenType    string `json:"subject_token_type"`
	SubjectToken        string `json:"subject_token"`
	ProviderName        string `json:"provider_name"`
	ProviderType        string `json:"provider_type,omitempty"`
	IdentityMappingName string `json:"identity_mapping_name,omitempty"`
	ProjectKey          string `json:"project_key,omitempty"`
	Scope               string `json:"scope,omitempty"`
	Audience            string `json:"audience,omitempty"`
	IncludeReference    bool   `json:"include_reference_token,omitempty"`
}

// Exchange trades subjectToken, an Entra ID token, for a JFrog access token
// at the OIDC integration providerName (POST /access/api/v1/oidc/token, no
// Authorization header). 401, 403 and 404 replies are *ResponseErrors whose
// Fix names the JFrog setting to change.
func (c *Client) Exchange(ctx context.Context, subjectToken secret.Token, providerName string, opts *ExchangeOptions) (ExchangeResponse, error) {
	if opts == nil {
		opts = &ExchangeOptions{}
	}
	if subjectToken.IsZero() {
		return ExchangeResponse{}, errors.New("jfrog: exchange: empty subject token")
	}
	if strings.TrimSpace(providerName) == "" {
		return ExchangeResponse{}, fmt.Errorf("jfrog: exchange: empty OIDC provider name: set %s", upstream.Setting(c.settings.OIDCProvider, "the OIDC integration name"))
	}
	pt := opts.ProviderType
	if pt == "" {
		pt = DefaultProviderType
	}
	body := exchangeRequest{
		GrantType:           grantTypeTokenExchange,
		SubjectTokenType:    subjectTokenTypeIDToken,
		SubjectToken:        subjectToken.Reveal(),
		ProviderName:        providerName,
		ProviderType:        pt,
		IdentityMappingName: opts.IdentityMappingName,
		ProjectKey:          opts.ProjectKey,
		Scope:               opts.Scope,
		Audience:            opts.Audience,
		IncludeReference:    opts.IncludeReferenceToken,
	}
	req, err := c.newRequest(ctx, http.MethodPost, oidcTokenPath, "", body)
	if err != nil {
		return ExchangeResponse{}, err
	}
	resp, err := c.send(req, c.exchangeHint(providerName), http.StatusOK)
	if err != nil {
		return ExchangeResponse{}, err
	}
	raw, err := readBody(resp, maxTokenReply)
	if err != nil {
		return ExchangeResponse{}, fmt.Errorf("jfrog: POST %s: %w", c.endpoint(oidcTokenPath), err)
	}
	out, err := ParseExchangeResponse(raw)
	if err != nil {
		return ExchangeResponse{}, fmt.Errorf("jfrog: POST %s: %w", c.endpoint(oidcTokenPath), err)
	}
	return out, nil
}

// exchangeHint names the fix for the statuses the exchange is known to return.
func (c *Client) exchangeHint(provider string) func(int) string {
	names := c.settings
	providerSetting := upstream.Setting(names.OIDCProvider, "the OIDC integration name")
	return func(status int) string {
		switch status {
		case http.StatusBadRequest:
			return fmt.Sprintf("check that %s %q names an OIDC integration of provider type Azure in %s", providerSetting, provider, c.BaseURL())
		case http.StatusUnauthorized:
			return fmt.Sprintf("JFrog did not accept the Entra ID token: the OIDC integration %q must have issuer_url and token_issuer equal to the token's iss "+
				"(v1 https://sts.windows.net/<tenant>/, v2 https://login.microsoftonline.com/<tenant>/v2.0) and audience equal to %s", provider, upstream.Setting(names.Audience, "the audience the identity requests"))
		case http.StatusForbidden:
			return fmt.Sprintf("no identity mapping of OIDC integration %q matched the token: add one whose claims (aud, iss, and sub or oid of the managed identity) match the Entra ID token", provider)
		case http.StatusNotFound:
			return fmt.Sprintf("OIDC integration %q or the token exchange endpoint was not found: set %s to the platform root and %s to an existing integration (JFrog 7.73.1 or later)",
				provider, upstream.Setting(names.PlatformURL, "the platform URL"), providerSetting)
		}
		return ""
	}
}

// exchangeReply is the JSON reply of a successful exchange.
type exchangeReply struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	Scope       string          `json:"scope"`
	Username    string          `json:"username"`
}

// ParseExchangeResponse decodes the reply of an OIDC token exchange. It
// requires access_token, reads expires_in as a number or numeric string
// (falling back to the token's exp claim) and derives Username and TokenID
// from the token's claims when the reply lacks them. Errors never contain
// the token.
func ParseExchangeResponse(body []byte) (ExchangeResponse, error) {
	var r exchangeReply
	if err := json.Unmarshal(body, &r); err != nil {
		return ExchangeResponse{}, fmt.Errorf("token exchange reply is not valid JSON: %w", upstream.ErrUnavailable)
	}
	if strings.TrimSpace(r.AccessToken) == "" {
		return ExchangeResponse{}, fmt.Errorf("token exchange reply has no access_token: %w", upstream.ErrUnavailable)
	}
	out := ExchangeResponse{
		AccessToken: secret.Token(r.AccessToken),
		Username:    r.Username,
		Scope:       r.Scope,
		TokenType:   r.TokenType,
	}
	secs, err := parseSeconds(r.ExpiresIn)
	if err != nil {
		return ExchangeResponse{}, fmt.Errorf("token exchange reply: expires_in: %w: %w", err, upstream.ErrUnavailable)
	}
	out.ExpiresIn = secs
	if claims, ok := parseAccessClaims(out.AccessToken); ok {
		out.TokenID = claims.ID
		if out.Username == "" {
			out.Username = UsernameFromSubject(claims.Subject)
		}
		if out.ExpiresIn == 0 && claims.ExpiresAt != nil && claims.IssuedAt != nil {
			if d := claims.ExpiresAt.Sub(claims.IssuedAt.Time); d > 0 {
				out.ExpiresIn = d
			}
		}
	}
	return out, nil
}

// parseSeconds reads a JSON number or numeric string of seconds; absent or
// null means zero.
func parseSeconds(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	s = strings.Trim(s, `"`)
	var n json.Number = json.Number(s)
	v, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil {
			return 0, errors.New("not a number of seconds")
		}
		v = int64(f)
	}
	if v < 0 || v > int64(100*365*24*3600) {
		return 0, errors.New("out of range")
	}
	return time.Duration(v) * time.Second, nil
}
