package diagnose

import (
	"context"
	"sync"
	"time"
)

// Shared runs the checks at most once at a time: callers that arrive while
// a run is in flight get its report instead of starting another, so a
// burst of requests costs one token exchange at JFrog, one Key Vault read
// and so on. It is safe for concurrent use; the zero value is ready.
type Shared struct {
	mu      sync.Mutex
	running *sharedRun
}

type sharedRun struct {
	done chan struct{}
	rep  Report
}

// Run returns the report of the run in flight, or starts one with d that
// lasts at most timeout and does not end when ctx does (other callers may
// be waiting for it). When ctx ends first, Run returns ctx's error.
func (s *Shared) Run(ctx context.Context, d Deps, timeout time.Duration) (Report, error) {
	s.mu.Lock()
	r := s.running
	if r == nil {
		r = &sharedRun{done: make(chan struct{})}
		s.running = r
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			r.rep = Run(rctx, d)
			s.mu.Lock()
			s.running = nil
			s.mu.Unlock()
			close(r.done)
		}()
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.rep, nil
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
}
