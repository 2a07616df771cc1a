package localjfrog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The two constants of the OIDC token-exchange request.
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
)

var (
	nameRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	mappingNameRE = regexp.MustCompile(`^[^ !@#$%^&*()+={}\[\]:;'"<>,./?~` + "`" + `|\\]+$`)
	scopeRE       = regexp.MustCompile(`^(applied-permissions/admin|applied-permissions/user|applied-permissions/groups:.+|applied-permissions/roles:.+)$`)
	providerTypes = []string{"Azure", "GitHub", "GitHubEnterprise", "Generic OpenID Connect"}
)

// provider is an OIDC integration (POST /access/api/v1/oidc).
type provider struct {
	Name                          string `json:"name"`
	Description                   string `json:"description,omitempty"`
	IssuerURL                     string `json:"issuer_url"`
	ProviderType                  string `json:"provider_type"`
	Audience                      string `json:"audience,omitempty"`
	TokenIssuer                   string `json:"token_issuer,omitempty"`
	AzureAppID                    string `json:"azure_app_id,omitempty"`
	ProjectKey                    string `json:"project_key,omitempty"`
	UseDefaultProxy               bool   `json:"use_default_proxy"`
	Organization                  string `json:"organization,omitempty"`
	EnablePermissiveConfiguration bool   `json:"enable_permissive_configuration,omitempty"`
}

// expectedIssuer is the iss a subject token must carry.
func (p provider) expectedIssuer() string {
	if p.TokenIssuer != "" {
		return p.TokenIssuer
	}
	return p.IssuerURL
}

// identityMapping maps matching OIDC claims to an access token spec.
type identityMapping struct {
	Name         string         `json:"name"`
	Description  string         `json:"description,omitempty"`
	ProviderName string         `json:"provider_name,omitempty"`
	Priority     int64          `json:"priority"`
	Claims       map[string]any `json:"claims"`
	TokenSpec    tokenSpec      `json:"token_spec"`
	ProjectKey   string         `json:"project_key,omitempty"`
}

// tokenSpec describes the access token an identity mapping issues.
type tokenSpec struct {
	Username        string `json:"username,omitempty"`
	UsernamePattern string `json:"username_pattern,omitempty"`
	GroupsPattern   string `json:"groups_pattern,omitempty"`
	Scope           string `json:"scope"`
	Audience        string `json:"audience"`
	ExpiresIn       int64  `json:"expires_in"`
}

// exchangeRequest is the body of POST /access/api/v1/oidc/token.
type exchangeRequest struct {
	GrantType             string `json:"grant_type"`
	SubjectTokenType      string `json:"subject_token_type"`
	SubjectToken          string `json:"subject_token"`
	ProviderName          string `json:"provider_name"`
	ProviderType          string `json:"provider_type,omitempty"`
	Audience              string `json:"audience,omitempty"`
	IdentityMappingName   string `json:"identity_mapping_name,omitempty"`
	IncludeReferenceToken bool   `json:"include_reference_token,omitempty"`
	ProjectKey            string `json:"project_key,omitempty"`
	// Scope narrows the token within the identity mapping's scope (not in
	// JFrog's documented field list: unverified, see exchange.go).
	Scope          string `json:"scope,omitempty"`
	ApplicationKey string `json:"application_key,omitempty"`
	JobID          string `json:"job_id,omitempty"`
	RunID          string `json:"run_id,omitempty"`
	Repo           string `json:"repo,omitempty"`
	Revision       string `json:"revision,omitempty"`
	Branch         string `json:"branch,omitempty"`
}

// decodeObject decodes exactly one JSON object from b into v.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("invalid JSON: data after the object")
	}
	return nil
}

// parseExchangeRequest decodes and validates a token-exchange body.
func parseExchangeRequest(b []byte) (exchangeRequest, error) {
	var req exchangeRequest
	if err := decodeObject(b, &req); err != nil {
		return req, err
	}
	switch {
	case req.GrantType != grantTokenExchange:
		return req, fmt.Errorf("grant_type must be %q", grantTokenExchange)
	case req.SubjectTokenType != tokenTypeIDToken:
		return req, fmt.Errorf("subject_token_type must be %q", tokenTypeIDToken)
	case req.SubjectToken == "":
		return req, errors.New("subject_token is required: pass the identity provider's JWT")
	case req.ProviderName == "":
		return req, errors.New("provider_name is required: pass the name of the OIDC integration")
	}
	return req, nil
}

// parseProvider decodes and validates an OIDC integration.
func parseProvider(b []byte) (provider, error) {
	var p provider
	if err := decodeObject(b, &p); err != nil {
		return p, err
	}
	if len(p.Name) > 255 || !nameRE.MatchString(p.Name) {
		return p, errors.New("name is required and may contain only letters, digits, '-' and '_'")
	}
	u, err := url.Parse(p.IssuerURL)
	if p.IssuerURL == "" || err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return p, errors.New("issuer_url must be the provider's https issuer URL (without /.well-known/openid-configuration)")
	}
	if p.TokenIssuer != "" {
		if u, err := url.Parse(p.TokenIssuer); err != nil || u.Host == "" {
			return p, errors.New("token_issuer must be a URL equal to the iss claim of the provider's tokens")
		}
	}
	if p.ProviderType == "" {
		p.ProviderType = "Generic OpenID Connect"
	}
	ok := false
	for _, t := range providerTypes {
		if strings.EqualFold(t, p.ProviderType) {
			p.ProviderType, ok = t, true
		}
	}
	if !ok {
		return p, fmt.Errorf("provider_type must be one of %s", strings.Join(providerTypes, ", "))
	}
	return p, nil
}

// parseMapping decodes and validates an identity mapping, filling the
// defaults JFrog applies (audience "*@*", expires_in 60 s).
func parseMapping(b []byte) (identityMapping, error) {
	var raw struct {
		identityMapping
		Priority  *int64 `json:"priority"`
		TokenSpec *struct {
			tokenSpec
			ExpiresIn *int64 `json:"expires_in"`
		} `json:"token_spec"`
	}
	if err := decodeObject(b, &raw); err != nil {
		return identityMapping{}, err
	}
	m := raw.identityMapping
	switch {
	case len(m.Name) > 255 || !mappingNameRE.MatchString(m.Name):
		return m, errors.New("name is required and cannot contain spaces or special characters")
	case raw.Priority == nil || *raw.Priority < 1:
		return m, errors.New("priority is required and must be 1 or more (1 is the highest priority)")
	case len(m.Claims) == 0:
		return m, errors.New("claims must be a non-empty object of claims the OIDC token must carry (for example iss, aud, sub)")
	case raw.TokenSpec == nil:
		return m, errors.New("token_spec is required")
	}
	m.Priority = *raw.Priority
	m.TokenSpec = raw.TokenSpec.tokenSpec
	spec := &m.TokenSpec
	set := 0
	for _, v := range []string{spec.Username, spec.UsernamePattern, spec.GroupsPattern} {
		if v != "" {
			set++
		}
	}
	switch {
	case spec.GroupsPattern != "":
		return m, errors.New("token_spec.groups_pattern is not supported by the local stack; set token_spec.username")
	case set != 1:
		return m, errors.New("token_spec needs exactly one of username or username_pattern")
	case spec.Username != "" && !validUsername(spec.Username):
		return m, errors.New("token_spec.username cannot contain '/', spaces or control characters")
	}
	if spec.Scope == "" {
		spec.Scope = scopeUser
	}
	if !scopeRE.MatchString(spec.Scope) {
		return m, errors.New("token_spec.scope must be applied-permissions/admin, applied-permissions/user, applied-permissions/groups:<names> or applied-permissions/roles:<project>:<roles>")
	}
	if spec.Audience == "" {
		spec.Audience = "*@*"
	}
	spec.ExpiresIn = 60
	if raw.TokenSpec.ExpiresIn != nil {
		spec.ExpiresIn = *raw.TokenSpec.ExpiresIn
	}
	if spec.ExpiresIn < 60 || spec.ExpiresIn > 86400 {
		return m, errors.New("token_spec.expires_in must be between 60 and 86400 seconds")
	}
	return m, nil
}
