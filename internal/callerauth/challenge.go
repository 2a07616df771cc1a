package callerauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ParseBearer returns the token of an Authorization header value
// "Bearer <token>" (the scheme is case-insensitive, RFC 6750 §2.1). An
// empty header is ErrNoToken; another scheme or a malformed value is
// ErrInvalidToken.
func ParseBearer(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", ErrNoToken
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: the Authorization header is not \"Bearer <token>\"", ErrInvalidToken)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t,") {
		return "", fmt.Errorf("%w: the Authorization header is not \"Bearer <token>\"", ErrInvalidToken)
	}
	return tok, nil
}

// Challenge sets the RFC 6750 §3 WWW-Authenticate header for err: no
// error code when the request carried no token (ErrNoToken),
// error="invalid_token" for a token that failed validation and
// error="insufficient_scope" when role is non-empty (the caller lacks
// it). The description never quotes the token.
func Challenge(h http.Header, realm, resource string, err error, role string) {
	parts := []string{fmt.Sprintf("realm=%q", realm)}
	if resource != "" {
		parts = append(parts, fmt.Sprintf("resource_id=%q", resource))
	}
	switch {
	case role != "":
		parts = append(parts, `error="insufficient_scope"`, fmt.Sprintf("error_description=%q", "the caller lacks the app role "+role))
	case errors.Is(err, ErrNoToken):
	case errors.Is(err, ErrInvalidToken):
		parts = append(parts, `error="invalid_token"`, fmt.Sprintf("error_description=%q", quoteSafe(err.Error())))
	}
	h.Set("WWW-Authenticate", "Bearer "+strings.Join(parts, ", "))
}

// quoteSafe keeps a description inside RFC 6750's quoted-string charset
// (%x20-21 / %x23-5B / %x5D-7E): no quotes or backslashes.
func quoteSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\'')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 200 {
		return b.String()[:200]
	}
	return b.String()
}
