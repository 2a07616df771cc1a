package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/rs/zerolog"
)

// fingerprintLen is the number of hex characters of the sha256 digest shown
// in place of a token: enough to tell two tokens apart in logs, far too few
// to help guess one.
const fingerprintLen = 8

// Token is a bearer credential. Its String, Format, GoString, MarshalJSON,
// MarshalText, MarshalZerologObject and LogValue methods all print a redacted
// form ("sha256:1a2b3c4d…" or "<empty>"); use Reveal to obtain the value.
type Token string

// Reveal returns the token value. Call it only where the value goes on the
// wire (an Authorization header, a request body, a Key Vault secret value).
func (t Token) Reveal() string { return string(t) }

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t == "" }

// Fingerprint returns the first characters of the token's sha256 digest in
// hex, or "" for an empty token. It identifies a token in logs without
// disclosing it.
func (t Token) Fingerprint() string {
	if t == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])[:fingerprintLen]
}

// String returns the redacted form of the token.
func (t Token) String() string {
	if t == "" {
		return "<empty>"
	}
	return "sha256:" + t.Fingerprint() + "…"
}

// GoString returns the redacted form, so %#v does not print the value.
func (t Token) GoString() string { return "secret.Token(" + t.String() + ")" }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(t.GoString()))
		return
	}
	_, _ = f.Write([]byte(t.String()))
}

// MarshalJSON encodes the redacted form as a JSON string.
func (t Token) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.String() + `"`), nil
}

// MarshalText encodes the redacted form (encoding/xml, text encoders).
// encoding/json writes string-kinded map keys verbatim, so never use a
// Token as a map key.
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MarshalZerologObject logs the fingerprint instead of the value, for
// zerolog's Event.Object.
func (t Token) MarshalZerologObject(e *zerolog.Event) {
	e.Bool("set", t != "")
	if t != "" {
		e.Str("sha256", t.Fingerprint())
	}
}

// LogValue implements slog.LogValuer with the redacted form.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

var (
	_ fmt.Stringer               = Token("")
	_ fmt.Formatter              = Token("")
	_ zerolog.LogObjectMarshaler = Token("")
	_ slog.LogValuer             = Token("")
)
