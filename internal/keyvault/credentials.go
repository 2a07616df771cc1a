package keyvault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// Tag names written on every stored version.
const (
	TagRotatedBy = "rotated-by"
	TagTokenID   = "token-id"
	TagUsername  = "username"
	TagTrigger   = "rotation-trigger"
)

// ContentType is the content type of the stored secret.
const ContentType = "application/json"

// Properties are a secret version's attributes and tags: everything Key
// Vault knows about it except the value.
type Properties struct {
	// Name is the secret name.
	Name string
	// Version is the version id (the last segment of the secret id).
	Version string
	// Enabled reports whether the version can be read.
	Enabled bool
	// ContentType is the declared content type.
	ContentType string
	// ExpiresOn is the exp attribute; nil when the version does not expire.
	ExpiresOn *time.Time
	// NotBefore is the nbf attribute.
	NotBefore *time.Time
	// Created and Updated are set by Key Vault.
	Created, Updated *time.Time
	// Tags are the version's tags.
	Tags map[string]string
}

// TokenID returns the token-id tag, the JFrog token id of the stored token.
func (p Properties) TokenID() string { return p.Tags[TagTokenID] }

// Age returns how long ago the version was created; zero when unknown.
func (p Properties) Age(now time.Time) time.Duration {
	if p.Created == nil {
		return 0
	}
	return now.Sub(*p.Created)
}

// MarshalZerologObject logs the attributes (there is no value to hide).
func (p Properties) MarshalZerologObject(e *zerolog.Event) {
	e.Str("secret", p.Name).Str("version", p.Version)
	if p.ExpiresOn != nil {
		e.Time("expires_on", *p.ExpiresOn)
	}
	if p.Created != nil {
		e.Time("created", *p.Created)
	}
}

// Credentials are the JFrog credentials of one secret version.
type Credentials struct {
	// AccessToken is the JFrog access token.
	AccessToken secret.Token
	// Username is the JFrog user the token acts as.
	Username string
	// Properties describe the version; ExpiresOn is the exp attribute, or
	// the token's own exp claim when the version has none.
	Properties
}

// Check returns an error matching ErrExpired when the credentials expired
// at or before now.
func (c Credentials) Check(now time.Time) error {
	if c.ExpiresOn != nil && !now.Before(*c.ExpiresOn) {
		return fmt.Errorf("token in secret %q (version %s) expired at %s: the rotation function has not refreshed it; check its last runs and Health: %w",
			c.Name, c.Version, c.ExpiresOn.UTC().Format(time.RFC3339), ErrExpired)
	}
	return nil
}

// MarshalZerologObject logs the username, attributes and a token fingerprint.
func (c Credentials) MarshalZerologObject(e *zerolog.Event) {
	c.Properties.MarshalZerologObject(e)
	e.Str("username", c.Username).Object("access_token", c.AccessToken)
}

// credentialsJSON is the stored value.
type credentialsJSON struct {
	AccessToken string `json:"access_token"`
	Username    string `json:"username"`
}

// EncodeCredentials returns the JSON value stored in the secret.
func EncodeCredentials(token secret.Token, username string) (string, error) {
	if token.IsZero() || strings.TrimSpace(username) == "" {
		return "", errors.New("encode credentials: empty token or username")
	}
	b, err := json.Marshal(credentialsJSON{AccessToken: token.Reveal(), Username: username})
	if err != nil {
		return "", fmt.Errorf("encode credentials: %w", err)
	}
	return string(b), nil
}

// ParseCredentials decodes the value of secret name: a JSON object with
// non-empty string fields access_token and username (other fields are
// ignored). Errors match ErrMalformedSecret, name the secret and what is
// wrong, and never quote the value.
func ParseCredentials(name, value string) (Credentials, error) {
	bad := func(format string, args ...any) (Credentials, error) {
		return Credentials{}, fmt.Errorf("secret %q: %s: store JSON {\"access_token\":\"…\",\"username\":\"…\"} (run the rotation with force=true to rewrite it): %w",
			name, fmt.Sprintf(format, args...), ErrMalformedSecret)
	}
	v := strings.TrimSpace(value)
	if v == "" {
		return bad("value is empty")
	}
	if v[0] != '{' {
		return bad("value is not a JSON object")
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return bad("value is not valid JSON (syntax error at byte %d)", se.Offset)
		}
		return bad("value is not valid JSON")
	}
	if dec.More() {
		return bad("value has trailing data after the JSON object")
	}
	field := func(key string) (string, error) {
		r, ok := raw[key]
		if !ok {
			return "", fmt.Errorf("field %s is missing", key)
		}
		var s string
		if json.Unmarshal(r, &s) != nil {
			return "", fmt.Errorf("field %s is not a string", key)
		}
		if strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("field %s is empty", key)
		}
		return s, nil
	}
	tok, err := field("access_token")
	if err != nil {
		return bad("%v", err)
	}
	user, err := field("username")
	if err != nil {
		return bad("%v", err)
	}
	return Credentials{AccessToken: secret.Token(tok), Username: user, Properties: Properties{Name: name}}, nil
}

// tokenExpiry reads the exp claim of a JWT access token without verifying
// it; nil when the token is not a JWT or has no exp.
func tokenExpiry(tok secret.Token) *time.Time {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser(jwt.WithoutClaimsValidation()).ParseUnverified(tok.Reveal(), &c); err != nil || c.ExpiresAt == nil {
		return nil
	}
	t := c.ExpiresAt.UTC()
	return &t
}
