package rotation

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/keyvault"
)

// TokenStatus describes the stored token from the secret's attributes and
// tags, never its value.
type TokenStatus struct {
	// SecretName and Version identify the latest version.
	SecretName string `json:"secret_name"`
	Version    string `json:"secret_version"`
	// Username and TokenID come from the version's tags.
	Username string `json:"username,omitempty"`
	TokenID  string `json:"token_id,omitempty"`
	// RotatedBy is the rotated-by tag ("" for a version written by hand).
	RotatedBy string `json:"rotated_by,omitempty"`
	// ExpiresOn is the exp attribute; nil when the version does not expire.
	ExpiresOn *time.Time `json:"expires_on,omitempty"`
	// Created is when the version was stored.
	Created *time.Time `json:"created,omitempty"`
	// Age is the time since Created.
	Age time.Duration `json:"-"`
	// Expired reports whether ExpiresOn has passed.
	Expired bool `json:"expired"`
}

// ExpiresBefore reports whether the token expires before t (false when it
// does not expire).
func (st TokenStatus) ExpiresBefore(t time.Time) bool {
	return st.ExpiresOn != nil && st.ExpiresOn.Before(t)
}

// MarshalZerologObject logs the status.
func (st TokenStatus) MarshalZerologObject(e *zerolog.Event) {
	e.Str("secret", st.SecretName).Str("version", st.Version).Bool("expired", st.Expired).Dur("age", st.Age)
	if st.ExpiresOn != nil {
		e.Time("expires_on", *st.ExpiresOn)
	}
}

// Status reports the stored token's version, expiry and age from the
// secret's attributes, for Health. Errors are *Error values.
func (s *Service) Status(ctx context.Context) (TokenStatus, error) {
	p, err := s.deps.Store.Properties(ctx)
	if err != nil {
		return TokenStatus{}, fail("read secret attributes", err)
	}
	return statusFrom(p, s.now()), nil
}

func statusFrom(p keyvault.Properties, now time.Time) TokenStatus {
	st := TokenStatus{
		SecretName: p.Name, Version: p.Version, Username: p.Tags[keyvault.TagUsername], TokenID: p.TokenID(),
		RotatedBy: p.Tags[keyvault.TagRotatedBy], ExpiresOn: p.ExpiresOn, Created: p.Created, Age: p.Age(now),
	}
	st.Expired = p.ExpiresOn != nil && !now.Before(*p.ExpiresOn)
	return st
}
