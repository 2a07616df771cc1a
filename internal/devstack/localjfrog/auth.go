package localjfrog

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Scopes JFrog Access puts in the scp claim.
const (
	scopeAdmin = "applied-permissions/admin"
	scopeUser  = "applied-permissions/user"
)

// Messages of JFrog's 401 answers.
const (
	msgAuthRequired = "Authentication is required"
	msgBadCreds     = "Bad credentials"
	msgExpired      = "Token failed verification: expired"
	msgRevoked      = "Token failed verification: revoked"
	msgNeedAdmin    = "Only an admin may call this API: use JFROG_ADMIN_TOKEN or a token with scope applied-permissions/admin"
)

// principal is the authenticated caller of a request.
type principal struct {
	TokenID  string
	Subject  string
	Username string
	Scope    string
	Admin    bool
	// Configured marks the admin token from Options or first start.
	Configured bool
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// user wraps h so that it runs only for a valid, unrevoked token.
func (s *Server) user(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, msg := s.authenticate(r)
		if msg != "" {
			writeError(w, r, http.StatusUnauthorized, msg)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// admin wraps h so that it runs only for an admin token.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request) {
		if !principalFrom(r.Context()).Admin {
			writeError(w, r, http.StatusForbidden, msgNeedAdmin)
			return
		}
		h(w, r)
	})
}

// bearer extracts the access token from "Bearer T" or "Basic user:T".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(h, " ")
	if !ok {
		return ""
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer":
		return value
	case "basic":
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return ""
		}
		_, pass, _ := strings.Cut(string(b), ":")
		return pass
	}
	return ""
}

// authenticate returns the caller, or the 401 message that refuses it.
func (s *Server) authenticate(r *http.Request) (principal, string) {
	tok := bearer(r)
	if tok == "" {
		return principal{}, msgAuthRequired
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.adminToken)) == 1 {
		return s.adminPrincipal(), ""
	}
	claims, err := s.verifyAccessToken(tok)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return principal{}, msgExpired
		}
		return principal{}, msgBadCreds
	}
	jti, _ := claims["jti"].(string)
	var rec *tokenRecord
	s.access.view(func(a *accessState) {
		if t, ok := a.Tokens[jti]; ok {
			c := *t
			rec = &c
		}
	})
	switch {
	case rec == nil && s.unstored(claims):
		// A valid token below the persistency threshold was never stored.
		sub, _ := claims["sub"].(string)
		scp, _ := claims["scp"].(string)
		return principal{TokenID: jti, Subject: sub, Username: usernameOf(sub), Scope: scp, Admin: hasScope(scp, scopeAdmin)}, ""
	case rec == nil:
		return principal{}, msgBadCreds
	case rec.Revoked:
		return principal{}, msgRevoked
	}
	return principal{
		TokenID:  jti,
		Subject:  rec.Subject,
		Username: usernameOf(rec.Subject),
		Scope:    rec.Scope,
		Admin:    hasScope(rec.Scope, scopeAdmin),
	}, ""
}

func (s *Server) adminPrincipal() principal {
	var id string
	s.access.view(func(a *accessState) { id = a.AdminTokenID })
	if id == "" || s.opts.AdminToken != "" {
		id = "devstack-admin"
	}
	sub := s.issuer() + "/users/admin"
	return principal{TokenID: id, Subject: sub, Username: "admin", Scope: scopeAdmin, Admin: true, Configured: true}
}

// verifyAccessToken checks an access token's signature, issuer and expiry.
func (s *Server) verifyAccessToken(tok string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) {
		return &s.signer.key.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(s.issuer()), jwt.WithTimeFunc(s.now))
	return claims, err
}

// usernameOf takes the user name from a subject the way JFrog clients do:
// the text after the last "/" when the subject names a user.
func usernameOf(sub string) string {
	if strings.Contains(sub, "/users/") || strings.HasPrefix(sub, "jfrt@") {
		return sub[strings.LastIndex(sub, "/")+1:]
	}
	return sub
}

// hasScope reports whether the space-separated scope list contains want.
func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

// unstored reports whether verified claims describe a token whose lifetime
// is below the persistency threshold, which JFrog never stores.
func (s *Server) unstored(claims jwt.MapClaims) bool {
	exp, err1 := claims.GetExpirationTime()
	iat, err2 := claims.GetIssuedAt()
	if err1 != nil || err2 != nil || exp == nil || iat == nil {
		return false
	}
	return !s.persisted(int64(exp.Sub(iat.Time) / time.Second))
}
