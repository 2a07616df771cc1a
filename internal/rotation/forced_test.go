package rotation

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/errkind"
)

// clock is a settable clock, started ahead of the fakes' real-time
// version stamps so no version looks stored by a concurrent run.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Add(10 * time.Second)} }

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestForcedRotationInterval: two instances share the vault, the lock and
// the lock blob's record; a forced rotation within ForceMinInterval of the
// last one, on either instance, is refused as rate_limited (429) with a Retry-After, and
// nothing is minted. Unforced runs are not limited.
func TestForcedRotationInterval(t *testing.T) {
	clk := newClock()
	forced := &fakeForceLog{}
	a := newFixture(t, Config{ForceMinInterval: time.Minute}, func(d *Dependencies) { d.Now, d.Forced = clk.now, forced })
	a.store.add(oldCreds(t, 3*time.Hour))
	b := newFixture(t, Config{ForceMinInterval: time.Minute}, func(d *Dependencies) {
		d.Now, d.Forced, d.Store, d.Locker, d.Exchanger, d.Verifier, d.Revoker = clk.now, forced, a.store, a.locker, a.jf, a.jf, a.jf
	})
	ctx := context.Background()
	force := RotateOptions{Force: true, Trigger: "http"}

	if res, err := a.svc.Rotate(ctx, force); err != nil || !res.Rotated {
		t.Fatalf("first forced rotation = %+v, %v", res, err)
	}
	clk.advance(20 * time.Second)
	for name, svc := range map[string]*Service{"other instance": b.svc, "same instance": a.svc} {
		_, err := svc.Rotate(ctx, force)
		if got := errkind.Of(err); got != errkind.RateLimited {
			t.Fatalf("%s: forced again after 20 s = %v (%v), want rate_limited", name, got, err)
		}
		if wait, ok := RetryAfter(err); !ok || wait != 40*time.Second {
			t.Errorf("%s: RetryAfter = %v, %v; want 40s", name, wait, ok)
		}
	}
	if n := a.jf.exchanges.Load(); n != 1 {
		t.Errorf("exchanges = %d, want 1: a refused forced run minted a token", n)
	}
	if res, err := b.svc.Rotate(ctx, RotateOptions{Trigger: "timer"}); err != nil || res.Rotated {
		t.Errorf("unforced run within the interval = %+v, %v; want a skip", res, err)
	}
	clk.advance(41 * time.Second)
	if res, err := b.svc.Rotate(ctx, force); err != nil || !res.Rotated {
		t.Fatalf("forced rotation after the interval = %+v, %v", res, err)
	}
}

// TestForcedRotationIntervalEdges: no limit when the interval is 0; a
// forced run that minted nothing does not count; an unreadable shared
// record falls back to this instance's.
func TestForcedRotationIntervalEdges(t *testing.T) {
	ctx := context.Background()
	force := RotateOptions{Force: true}
	t.Run("no limit", func(t *testing.T) {
		f := newFixture(t, Config{}, func(d *Dependencies) { d.Forced = &fakeForceLog{} })
		for i := 0; i < 3; i++ {
			if _, err := f.svc.Rotate(ctx, force); err != nil {
				t.Fatalf("forced rotation %d: %v", i, err)
			}
		}
	})
	t.Run("failed exchange does not count", func(t *testing.T) {
		f := newFixture(t, Config{ForceMinInterval: time.Minute}, func(d *Dependencies) { d.Forced = &fakeForceLog{} })
		f.jf.exchangeErr = errJFrog(500)
		if _, err := f.svc.Rotate(ctx, force); errkind.Of(err) != errkind.Upstream {
			t.Fatalf("err = %v, want an upstream failure", err)
		}
		f.jf.mu.Lock()
		f.jf.exchangeErr = nil
		f.jf.mu.Unlock()
		if _, err := f.svc.Rotate(ctx, force); err != nil {
			t.Fatalf("retry after a failed exchange: %v", err)
		}
	})
	t.Run("shared record unreadable", func(t *testing.T) {
		clk := newClock()
		fl := &fakeForceLog{}
		f := newFixture(t, Config{ForceMinInterval: time.Minute}, func(d *Dependencies) { d.Now, d.Forced = clk.now, fl })
		if _, err := f.svc.Rotate(ctx, force); err != nil {
			t.Fatal(err)
		}
		fl.mu.Lock()
		fl.err = errors.New("storage down")
		fl.mu.Unlock()
		clk.advance(time.Second)
		if _, err := f.svc.Rotate(ctx, force); errkind.Of(err) != errkind.RateLimited {
			t.Fatalf("err = %v, want rate_limited from this instance's record", err)
		}
	})
}
