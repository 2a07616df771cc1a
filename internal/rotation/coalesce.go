package rotation

import (
	"context"
	"fmt"
	"sync"

	"github.com/frogbridge/frogbridge/internal/errkind"
)

// call is one in-flight run shared by every caller that asked for it.
type call struct {
	done chan struct{}
	res  Result
	err  error
}

// group coalesces concurrent runs per key: the first caller starts fn in its
// own goroutine, later callers wait for the same outcome. Each caller stops
// waiting when its own context ends; the run goes on (bounded by the
// context the first caller passed, minus its cancellation).
type group struct {
	mu    sync.Mutex
	calls map[string]*call
}

func (g *group) do(ctx context.Context, key string, fn func(context.Context) (Result, error)) (Result, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*call{}
	}
	c, ok := g.calls[key]
	if !ok {
		c = &call{done: make(chan struct{})}
		g.calls[key] = c
		runCtx, cancel := detach(ctx)
		go func() {
			defer cancel()
			defer func() {
				if p := recover(); p != nil {
					c.err = &Error{Kind: errkind.Internal, Step: "rotate", Err: fmt.Errorf("panic: %v", p)}
				}
				g.mu.Lock()
				delete(g.calls, key)
				g.mu.Unlock()
				close(c.done)
			}()
			c.res, c.err = fn(runCtx)
		}()
	}
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		return Result{}, &Error{Kind: errkind.Timeout, Step: "wait for rotation", Err: fmt.Errorf("the shared rotation run did not finish before this caller's deadline: %w", ctx.Err())}
	}
}

// detach returns a context with ctx's values and deadline but not its
// cancellation, so one caller going away does not abort a run others share.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(base, dl)
	}
	return context.WithTimeout(base, defaultRunTimeout)
}
