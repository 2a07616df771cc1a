package main

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// connectionTimeout bounds the connection refresh that follows a rotation.
const connectionTimeout = 30 * time.Second

// connectionReport is the outcome of the last refresh of the AzureML
// registry connection, in the rotation's answer and in health.
type connectionReport struct {
	Name    string     `json:"name"`
	Updated bool       `json:"updated"`
	Error   string     `json:"error,omitempty"`
	At      *time.Time `json:"at,omitempty"`
}

// connectionState remembers the last refresh of this instance so the next
// rotation retries a failed one and health reports it. It is safe for
// concurrent use.
type connectionState struct {
	mu   sync.Mutex
	last *connectionReport
}

// needed reports whether a rotation with res must refresh the connection:
// after a new token, and while this instance has not refreshed it since it
// started or its last refresh failed (another instance may have rotated,
// and a skipped rotation is then the retry).
func (c *connectionState) needed(res rotation.Result) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return res.Rotated || c.last == nil || !c.last.Updated
}

func (c *connectionState) record(r connectionReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = &r
}

// report returns the last refresh, or nil before the first.
func (c *connectionState) report() *connectionReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return nil
	}
	r := *c.last
	return &r
}

// refreshConnection updates the AzureML registry connection after a
// successful rotation when the job settings are present. A failure does
// not undo the rotation: it is returned for the answer, logged, kept for
// health and retried by the next rotation. It returns nil when nothing
// was to be done.
func (h *handlers) refreshConnection(ctx context.Context, log zerolog.Logger, res rotation.Result) *connectionReport {
	if h.jobs == nil || !h.conn.needed(res) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectionTimeout)
	defer cancel()
	now := time.Now().UTC()
	rep := connectionReport{Name: h.cfg.Jobs.ConnectionName, Updated: true, At: &now}
	if err := h.jobs.RefreshConnection(ctx); err != nil {
		rep.Updated = false
		rep.Error = redact.Error(err)
		log.Error().Str("connection", rep.Name).Str("error", rep.Error).
			Msg("rotation stored the token but the AzureML registry connection was not refreshed; the next rotation retries")
	} else {
		log.Info().Str("connection", rep.Name).Msg("AzureML registry connection refreshed")
	}
	h.conn.record(rep)
	return &rep
}
