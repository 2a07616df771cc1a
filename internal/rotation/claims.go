package rotation

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clockSkew is the tolerance for nbf and the minimum remaining life of a
// token about to be exchanged.
const clockSkew = 30 * time.Second

// EntraClaims are the claims of an Entra ID access token that the checks
// read. The signature is not verified here: JFrog verifies it.
type EntraClaims struct {
	jwt.RegisteredClaims
	TenantID string `json:"tid,omitempty"`
	ObjectID string `json:"oid,omitempty"`
	AppID    string `json:"appid,omitempty"`
	AZP      string `json:"azp,omitempty"`
	Version  string `json:"ver,omitempty"`
}

// CheckClaims parses an Entra ID token without verifying it and checks that
// it is a well-formed JWT, is valid at now (with 30 s of skew and at least
// 30 s left), and that one of its audiences equals audience, treating
// "api://x" and "x" (and a trailing "/.default") as the same. Each error
// says what to fix and never contains the token.
func CheckClaims(token, audience string, now time.Time) (EntraClaims, error) {
	var c EntraClaims
	p := jwt.NewParser(jwt.WithoutClaimsValidation())
	if _, _, err := p.ParseUnverified(token, &c); err != nil {
		return EntraClaims{}, fmt.Errorf("the managed identity token is not a well-formed JWT (%s): check that the identity endpoint (IDENTITY_ENDPOINT or MSI_ENDPOINT) is the platform's", describeParseError(err))
	}
	if c.ExpiresAt == nil {
		return c, errors.New("the managed identity token has no exp claim: check the identity endpoint")
	}
	if exp := c.ExpiresAt.Time; !exp.After(now.Add(clockSkew)) {
		return c, fmt.Errorf("the managed identity token expired at %s (now %s): check the host clock and the identity endpoint",
			exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if c.NotBefore != nil && c.NotBefore.After(now.Add(clockSkew)) {
		return c, fmt.Errorf("the managed identity token is not valid before %s (now %s): check the host clock",
			c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want := normalizeAudience(audience)
	if want == "" {
		return c, errors.New("no audience configured: set AZURE_AD_TOKEN_AUDIENCE")
	}
	for _, a := range c.Audience {
		if normalizeAudience(a) == want {
			return c, nil
		}
	}
	return c, fmt.Errorf("the managed identity token is for audience %q, not AZURE_AD_TOKEN_AUDIENCE %q: set AZURE_AD_TOKEN_AUDIENCE to the Application ID URI (api://<client-id>) or client ID of the app registration that the JFrog OIDC integration trusts",
		strings.Join(c.Audience, ","), audience)
}

// normalizeAudience maps "api://X/.default", "api://X/" and "X" to "x".
func normalizeAudience(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimSuffix(a, "/.default")
	a = strings.TrimRight(a, "/")
	if len(a) > 6 && strings.EqualFold(a[:6], "api://") {
		a = a[6:]
	}
	return strings.ToLower(a)
}

// ScopeFor returns the token scope for audience: "<audience>/.default".
func ScopeFor(audience string) string {
	a := strings.TrimRight(strings.TrimSpace(audience), "/")
	if strings.HasSuffix(a, "/.default") {
		return a
	}
	return a + "/.default"
}

// describeParseError names the malformed part without quoting the token.
func describeParseError(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed: want three base64url parts with a JSON header and claims"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unknown signing algorithm"
	}
	return "unparseable"
}
