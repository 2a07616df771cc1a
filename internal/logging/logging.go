// Package logging sets up the suite's structured logs: zerolog JSON lines,
// the Functions invocation id on every line of an invocation, and a
// redaction layer that keeps access tokens, function keys and JWT-looking
// strings out of every line, whatever code wrote it.
package logging

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// Field names used across the suite's log lines.
const (
	FieldInvocationID = "invocation_id"
	FieldFunction     = "function"
	FieldComponent    = "component"
	FieldStatus       = "status"
	FieldDuration     = "duration_ms"
)

// Redacted replaces every secret-looking value in a log line.
const Redacted = "[REDACTED]"

// New returns a JSON logger at level that writes redacted lines to w.
func New(w io.Writer, level zerolog.Level) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(NewRedactor(w)).Level(level).With().Timestamp().Logger()
}

// Redactor is an io.Writer that scrubs secrets from each write before
// passing it on. zerolog writes one event per Write call, so every event
// is scrubbed whole. A Redactor is safe for concurrent use.
type Redactor struct {
	mu sync.Mutex
	w  io.Writer
}

// NewRedactor returns a Redactor writing to w.
func NewRedactor(w io.Writer) *Redactor { return &Redactor{w: w} }

// patterns match the secret part of a value; each replacement keeps the
// surrounding key so the line stays readable.
var patterns = []struct {
	re   *lazyregexp.Regexp
	repl string
}{
	// JWTs (Entra ID and JFrog access tokens): header.payload.signature.
	{lazyregexp.New(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`), Redacted},
	// JFrog reference tokens start with base64("reftkn:").
	{lazyregexp.New(`cmVmdGtuOj[A-Za-z0-9+/=_-]{8,}`), Redacted},
	// Bearer credentials anywhere.
	{lazyregexp.New(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}`), "${1}" + Redacted},
	// Function keys in a query string: code=...
	{lazyregexp.New(`(?i)([?&]code=)[^&"\\\s\[#]+`), "${1}" + Redacted},
	// Keys, tokens and secrets in headers, JSON or key=value text. The value
	// never starts with "[", so an already redacted value stays as it is.
	{lazyregexp.New(`(?i)((?:x-functions-key|authorization|access_token|refresh_token|id_token|subject_token|client_secret|password|secret_value|identity_header|msi_secret|x-identity-header|accountkey)\\?"?\s*[:=]\s*\\?"?(?:\[\\?")?)[^"\\\s,;&\[\]}]+`), "${1}" + Redacted},
}

// Scrub returns s with every secret-looking value replaced by Redacted.
func Scrub(s string) string {
	for _, p := range patterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}

// Write scrubs p and writes it to the underlying writer. It reports len(p)
// on success so callers do not see a short write.
func (r *Redactor) Write(p []byte) (int, error) {
	out := Scrub(string(p))
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := io.WriteString(r.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

type ctxKey struct{}

// WithLogger returns ctx carrying l.
func WithLogger(ctx context.Context, l zerolog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the logger carried by ctx, or a disabled logger.
func FromContext(ctx context.Context) zerolog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(zerolog.Logger); ok {
		return l
	}
	return zerolog.Nop()
}
