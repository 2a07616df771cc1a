package rotation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/errkind"
)

// forcedMark is the name under which ForceLog keeps the last forced
// rotation.
const forcedMark = "frogbridgelastforced"

// forcedMarkName is the record of this service's target: forcedMark for
// the default target, forcedMark + "_" + the target (hyphens as
// underscores, since blob metadata names are C# identifiers) for others.
func (s *Service) forcedMarkName() string {
	if s.cfg.Target == "" {
		return forcedMark
	}
	return forcedMark + "_" + strings.ReplaceAll(s.cfg.Target, "-", "_")
}

// checkForceInterval refuses a forced run that comes within
// ForceMinInterval of the last forced rotation, on any instance. It runs
// under the cross-instance lock, so two instances cannot both pass it. When
// the shared record cannot be read the process's own record decides.
func (s *Service) checkForceInterval(ctx context.Context, log zerolog.Logger) error {
	min := s.cfg.ForceMinInterval
	if min <= 0 {
		return nil
	}
	s.mu.Lock()
	last := s.lastForced
	s.mu.Unlock()
	if s.deps.Forced != nil {
		shared, err := s.deps.Forced.Marked(ctx, s.forcedMarkName())
		if err != nil {
			log.Warn().Err(err).Msg("cannot read the last forced rotation from the lock blob; using this instance's")
		} else if shared.After(last) {
			last = shared
		}
	}
	if last.IsZero() {
		return nil
	}
	since := s.now().Sub(last)
	if since >= min || since < -min {
		return nil // also a record from a clock far ahead is not trusted
	}
	wait := (min - since).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return &Error{Kind: errkind.RateLimited, Step: "check forced rotation interval", RetryAfter: wait,
		Err: fmt.Errorf("the last forced rotation was %s ago and ROTATION_FORCE_MIN_INTERVAL is %s: retry in %s (the stored token is unchanged; the timer rotates on schedule)", round(max(since, 0)), round(min), wait)}
}

// recordForced notes that a forced run minted a token, in this process
// and, when the limit is on, in the shared record.
func (s *Service) recordForced(ctx context.Context, log zerolog.Logger) {
	if s.cfg.ForceMinInterval <= 0 {
		return
	}
	now := s.now()
	s.mu.Lock()
	s.lastForced = now
	s.mu.Unlock()
	if s.deps.Forced == nil {
		return
	}
	if err := s.deps.Forced.Mark(ctx, s.forcedMarkName(), now); err != nil {
		log.Warn().Err(err).Msg("cannot record the forced rotation on the lock blob; other instances may force again sooner")
	}
}
