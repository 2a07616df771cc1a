// Package logging sets up the suite's structured logs: zerolog JSON lines,
// the Functions invocation id on every line of an invocation, and a
// redaction layer (internal/redact) that keeps tokens, keys, passwords and
// every other secret shape out of every line, whatever code wrote it.
package logging

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/redact"
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
const Redacted = redact.Marker

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

// Write scrubs p and writes it to the underlying writer. It reports len(p)
// on success so callers do not see a short write.
func (r *Redactor) Write(p []byte) (int, error) {
	out := redact.String(string(p))
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
