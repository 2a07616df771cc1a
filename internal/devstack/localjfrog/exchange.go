package localjfrog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// subjectLeeway tolerates clock skew between the identity provider and us.
const subjectLeeway = 30 * time.Second

// exchangeResponse is the 200 body of the OIDC token exchange.
type exchangeResponse struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
	IssuedTokenType string `json:"issued_token_type"`
	Username        string `json:"username"`
	Refreshable     bool   `json:"refreshable"`
}

func (s *Server) handleExchange(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := parseExchangeRequest(b)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid token exchange request: "+err.Error())
		return
	}
	p, ok := s.lookupProvider(req.ProviderName)
	if !ok {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("OIDC configuration '%s' not found; create it with POST /access/api/v1/oidc or fix provider_name", req.ProviderName))
		return
	}
	claims, err := s.verifySubject(r.Context(), p, req.SubjectToken)
	if err != nil {
		s.log.Warn().Err(err).Str("provider", p.Name).Msg("oidc token exchange refused")
		writeError(w, r, http.StatusUnauthorized, "Failed to verify the OIDC token: "+err.Error())
		return
	}
	mappings, _ := s.mappingsOf(p.Name)
	var m *identityMapping
	for i := range mappings {
		if req.IdentityMappingName != "" && mappings[i].Name != req.IdentityMappingName {
			continue
		}
		if claimsMatch(mappings[i].Claims, claims) {
			m = &mappings[i]
			break
		}
	}
	if m == nil && req.IdentityMappingName != "" {
		s.log.Warn().Str("provider", p.Name).Str("mapping", req.IdentityMappingName).Msg("oidc token exchange: the named identity mapping did not match")
		writeError(w, r, http.StatusForbidden, fmt.Sprintf("Identity mapping '%s' of OIDC configuration '%s' does not exist or does not match the token's claims; fix identity_mapping_name or the mapping's claims", req.IdentityMappingName, p.Name))
		return
	}
	if m == nil {
		s.log.Warn().Str("provider", p.Name).Msg("oidc token exchange: no identity mapping matched")
		writeError(w, r, http.StatusForbidden, fmt.Sprintf("No identity mapping of OIDC configuration '%s' matches the token's claims; add an identity mapping whose claims (iss, aud, sub, ...) equal the token's", p.Name))
		return
	}
	username := m.TokenSpec.Username
	if username == "" {
		username = expandPattern(m.TokenSpec.UsernamePattern, claims)
	}
	if !validUsername(username) {
		writeError(w, r, http.StatusForbidden, fmt.Sprintf("Identity mapping '%s' did not yield a valid username from the token's claims; fix token_spec.username_pattern", m.Name))
		return
	}
	// A requested scope must lie within the mapping's token_spec.scope: the
	// mapping bounds what the exchange grants (JFrog's identity-mapping
	// docs); that JFrog narrows the token to the request's scope is
	// unverified.
	scope := m.TokenSpec.Scope
	if req.Scope != "" {
		if !scopeWithin(req.Scope, m.TokenSpec.Scope) {
			writeError(w, r, http.StatusForbidden, fmt.Sprintf("The requested scope is not within identity mapping '%s' token_spec.scope; ask for part of the mapping's scope or widen the mapping", m.Name))
			return
		}
		scope = req.Scope
	}
	desc := fmt.Sprintf("OIDC %s / %s", p.Name, m.Name)
	tok, jti, err := s.issueToken(username, scope, m.TokenSpec.Audience, m.TokenSpec.ExpiresIn, desc)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.log.Info().Str("provider", p.Name).Str("mapping", m.Name).Str("username", username).Str("token_id", jti).Msg("oidc token exchanged")
	writeJSON(w, http.StatusOK, "application/json", exchangeResponse{
		AccessToken:     tok,
		TokenType:       "Bearer",
		ExpiresIn:       m.TokenSpec.ExpiresIn,
		Scope:           scope,
		IssuedTokenType: tokenTypeAccess,
		Username:        username,
	})
}

// verifySubject checks the identity provider's JWT: RS256 signature with a
// key from the issuer's JWKS, iss, aud, exp and nbf.
func (s *Server) verifySubject(ctx context.Context, p provider, raw string) (jwt.MapClaims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(p.expectedIssuer()),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(subjectLeeway),
		jwt.WithTimeFunc(s.now),
	}
	if p.Audience != "" {
		opts = append(opts, jwt.WithAudience(p.Audience))
	}
	claims := jwt.MapClaims{}
	var keyErr error
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if iss, _ := claims["iss"].(string); iss != p.expectedIssuer() {
			keyErr = fmt.Errorf("issuer %q does not match the provider's %q; set issuer_url/token_issuer of '%s' to the token's iss (Entra v1 tokens use https://sts.windows.net/<tenant>/, v2 https://login.microsoftonline.com/<tenant>/v2.0)", iss, p.expectedIssuer(), p.Name)
			return nil, keyErr
		}
		kid, _ := t.Header["kid"].(string)
		k, err := s.jwks.key(ctx, p.IssuerURL, kid)
		keyErr = err
		return k, err
	}, opts...)
	if err == nil {
		return claims, nil
	}
	iss, _ := claims["iss"].(string)
	switch {
	case keyErr != nil:
		return nil, keyErr
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, errors.New("the subject_token is not a JWT")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, errors.New("the signature does not verify with the issuer's JWKS")
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errors.New("token expired; request a fresh token from the identity provider")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, errors.New("token not valid yet (nbf/iat in the future); check the clocks")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, fmt.Errorf("issuer %q does not match the provider's %q; set issuer_url/token_issuer of '%s' to the token's iss (Entra v1 tokens use https://sts.windows.net/<tenant>/, v2 https://login.microsoftonline.com/<tenant>/v2.0)", iss, p.expectedIssuer(), p.Name)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, fmt.Errorf("audience does not match the provider's %q; request the token for that audience or fix the audience of '%s'", p.Audience, p.Name)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, errors.New("token has no exp claim")
	}
	return nil, errors.New("token is invalid")
}

// claimsMatch reports whether every claim of the mapping equals the token's.
// A scalar in the mapping also matches an array claim containing it (aud),
// and an array in the mapping matches a scalar claim equal to one element.
func claimsMatch(want map[string]any, got map[string]any) bool {
	for k, wv := range want {
		gv, ok := got[k]
		if !ok || !valueMatches(wv, gv) {
			return false
		}
	}
	return len(want) > 0
}

func valueMatches(want, got any) bool {
	if reflect.DeepEqual(want, got) {
		return true
	}
	if ga, ok := got.([]any); ok {
		if _, scalar := want.([]any); !scalar {
			for _, g := range ga {
				if reflect.DeepEqual(want, g) {
					return true
				}
			}
		}
	}
	if wa, ok := want.([]any); ok {
		if _, scalar := got.([]any); !scalar {
			for _, w := range wa {
				if reflect.DeepEqual(w, got) {
					return true
				}
			}
		}
	}
	return false
}

var patternRE = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// expandPattern replaces {{claim}} with the token's string claims; a
// missing or non-string claim yields "".
func expandPattern(pattern string, claims map[string]any) string {
	ok := true
	out := patternRE.ReplaceAllStringFunc(pattern, func(m string) string {
		name := patternRE.FindStringSubmatch(m)[1]
		v, isStr := claims[name].(string)
		if !isStr || v == "" {
			ok = false
		}
		return v
	})
	if !ok {
		return ""
	}
	return out
}

// scopeWithin reports whether every space-separated part of want is a
// part of have, a groups part also when its groups are some of have's
// (applied-permissions/groups:a,b holds applied-permissions/groups:a).
func scopeWithin(want, have string) bool {
	const groups = "applied-permissions/groups:"
	parts := map[string]bool{}
	for _, p := range strings.Fields(have) {
		parts[p] = true
		if g, ok := strings.CutPrefix(p, groups); ok {
			for _, name := range strings.Split(g, ",") {
				parts[groups+name] = true
			}
		}
	}
	ws := strings.Fields(want)
	for _, p := range ws {
		if parts[p] {
			continue
		}
		g, ok := strings.CutPrefix(p, groups)
		if !ok {
			return false
		}
		for _, name := range strings.Split(g, ",") {
			if !parts[groups+name] {
				return false
			}
		}
	}
	return len(ws) > 0
}
