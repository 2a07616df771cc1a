package lease_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	bloblease "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"github.com/frogbridge/frogbridge/internal/lease"
)

func newLocker(t *testing.T, cs, containerName string, o lease.LockerOptions) *lease.Locker {
	t.Helper()
	o.ClientOptions = azcore.ClientOptions{Retry: policy.RetryOptions{RetryDelay: 10 * time.Millisecond}}
	l, err := lease.NewLockerFromSettings(lease.Settings{ConnectionString: cs}, nil, containerName, lease.DefaultBlob, &o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAcquireBusyRelease(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	ctx := context.Background()
	name := uniqueContainer()
	a := newLocker(t, cs, name, lease.LockerOptions{PollInterval: 50 * time.Millisecond})
	b := newLocker(t, cs, name, lease.LockerOptions{PollInterval: 50 * time.Millisecond})

	held, err := a.Acquire(ctx, 0) // container and blob do not exist yet
	if err != nil {
		t.Fatal(err)
	}
	if held.ID() == "" {
		t.Error("empty lease id")
	}
	tests := []struct {
		name string
		wait time.Duration
	}{{"no wait", 0}, {"short wait", 400 * time.Millisecond}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := b.Acquire(ctx, tc.wait)
			el := time.Since(start)
			if !errors.Is(err, lease.ErrBusy) {
				t.Fatalf("err = %v, want ErrBusy", err)
			}
			if el < tc.wait || el > tc.wait+3*time.Second {
				t.Errorf("gave up after %v, want about %v", el, tc.wait)
			}
		})
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := held.Release(ctx); err != nil {
		t.Errorf("second Release: %v", err)
	}
	again, err := b.Acquire(ctx, 0)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	_ = again.Release(ctx)
}

func TestWaiterGetsLeaseAfterRelease(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	ctx := context.Background()
	name := uniqueContainer()
	opts := lease.LockerOptions{PollInterval: 50 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond}
	holder := newLocker(t, cs, name, opts)
	held, err := holder.Acquire(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	const waiters = 5
	var (
		wg       sync.WaitGroup
		inside   atomic.Int32
		maxIn    atomic.Int32
		acquired atomic.Int32
	)
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := newLocker(t, cs, name, opts)
			_, release, err := l.Lock(ctx, 20*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			acquired.Add(1)
			n := inside.Add(1)
			if n > maxIn.Load() {
				maxIn.Store(n)
			}
			time.Sleep(30 * time.Millisecond)
			inside.Add(-1)
			if err := release(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if acquired.Load() != 0 {
		t.Fatal("a waiter acquired a held lease")
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if acquired.Load() != waiters || maxIn.Load() != 1 {
		t.Errorf("acquired = %d, max holders at once = %d", acquired.Load(), maxIn.Load())
	}
}

// TestRenewalKeepsLease holds a 15 s lease for longer than its duration and
// checks nobody else can take it meanwhile.
func TestRenewalKeepsLease(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	ctx := context.Background()
	name := uniqueContainer()
	a := newLocker(t, cs, name, lease.LockerOptions{LeaseDuration: 15 * time.Second, RenewInterval: 2 * time.Second})
	b := newLocker(t, cs, name, lease.LockerOptions{})
	held, err := a.Acquire(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(16500 * time.Millisecond)
	select {
	case <-held.Lost():
		t.Fatal("lease lost")
	default:
	}
	if _, err := b.Acquire(ctx, 0); !errors.Is(err, lease.ErrBusy) {
		t.Fatalf("after one lease duration: err = %v, want ErrBusy", err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAcquireHonoursContext(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	name := uniqueContainer()
	a := newLocker(t, cs, name, lease.LockerOptions{})
	held, err := a.Acquire(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = newLocker(t, cs, name, lease.LockerOptions{}).Acquire(ctx, time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// TestLockContextCancelledWhenLeaseLost takes the lease away from a holder
// (broken and acquired by another instance, as after a long stall): the
// holder's next renewal fails and the context Lock returned is cancelled
// with a cause matching ErrLost, so its work stops before it writes.
func TestLockContextCancelledWhenLeaseLost(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	ctx := context.Background()
	name := uniqueContainer()
	a := newLocker(t, cs, name, lease.LockerOptions{LeaseDuration: 15 * time.Second, RenewInterval: 100 * time.Millisecond})
	held, release, err := a.Lock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Done():
		t.Fatal("context done while the lease is held")
	case <-time.After(300 * time.Millisecond): // a few renewals succeed
	}

	c, err := lease.NewContainerClient(lease.Settings{ConnectionString: cs}, nil, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := bloblease.NewBlobClient(c.NewBlockBlobClient(lease.DefaultBlob), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.BreakLease(ctx, &bloblease.BlobBreakOptions{BreakPeriod: to.Ptr(int32(0))}); err != nil {
		t.Fatal(err)
	}
	other, err := newLocker(t, cs, name, lease.LockerOptions{}).Acquire(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release(ctx)

	select {
	case <-held.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("context not cancelled after the lease was taken over")
	}
	if cause := context.Cause(held); !errors.Is(cause, lease.ErrLost) {
		t.Errorf("cause = %v, want ErrLost", cause)
	}
	if err := release(ctx); !errors.Is(err, lease.ErrLost) {
		t.Errorf("release = %v, want ErrLost", err)
	}
}

// TestLockContextEndsWithRelease checks the held context is cancelled by
// release, without a lost-lease cause.
func TestLockContextEndsWithRelease(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	ctx := context.Background()
	a := newLocker(t, cs, uniqueContainer(), lease.LockerOptions{})
	held, release, err := a.Lock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	<-held.Done()
	if cause := context.Cause(held); errors.Is(cause, lease.ErrLost) {
		t.Errorf("cause after release = %v", cause)
	}
}
