package jfrog

import (
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// accessClaims are the claims of a JFrog access token the suite reads.
type accessClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scp,omitempty"`
}

// parseAccessClaims decodes the claims of a JFrog access token without
// verifying its signature; ok is false when the token is not a JWT
// (a reference token, for example).
func parseAccessClaims(tok secret.Token) (accessClaims, bool) {
	var c accessClaims
	p := jwt.NewParser(jwt.WithoutClaimsValidation())
	if _, _, err := p.ParseUnverified(tok.Reveal(), &c); err != nil {
		return accessClaims{}, false
	}
	return c, true
}

// TokenID returns the jti claim of a JFrog access token, read without
// verifying the signature, or "" when the token is not a JWT.
func TokenID(tok secret.Token) string {
	c, _ := parseAccessClaims(tok)
	return c.ID
}

// UsernameFromSubject derives the JFrog username from an access token's sub
// claim: "jfac@…/users/alice" and "jfrt@…/users/alice" give "alice"; other
// subjects are returned unchanged.
func UsernameFromSubject(sub string) string {
	if strings.HasPrefix(sub, "jfrt@") || strings.Contains(sub, "/users/") {
		return sub[strings.LastIndex(sub, "/")+1:]
	}
	return sub
}
