package diagnose

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// slowIdentity counts token requests and fails each after a delay.
type slowIdentity struct{ calls atomic.Int32 }

func (s *slowIdentity) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.calls.Add(1)
	select {
	case <-time.After(50 * time.Millisecond):
	case <-ctx.Done():
	}
	return azcore.AccessToken{}, errors.New("no identity here")
}

func TestSharedRunsOnceForConcurrentCallers(t *testing.T) {
	id := &slowIdentity{}
	d := Deps{Identity: id, Audience: "api://x", Missing: map[string]string{}}
	var s Shared
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := s.Run(context.Background(), d, time.Minute)
			if err != nil || rep.Status != "fail" || rep.Checks[0].Result != Fail {
				t.Errorf("Run = %+v, %v", rep, err)
			}
		}()
	}
	wg.Wait()
	if n := id.calls.Load(); n != 1 {
		t.Errorf("identity asked %d times by 8 concurrent callers, want 1", n)
	}
	// A later call runs again.
	if _, err := s.Run(context.Background(), d, time.Minute); err != nil || id.calls.Load() != 2 {
		t.Errorf("a later run = %v with %d calls, want a fresh run", err, id.calls.Load())
	}
}

func TestSharedCallerLeavingDoesNotCancelTheRun(t *testing.T) {
	id := &slowIdentity{}
	d := Deps{Identity: id, Audience: "api://x", Missing: map[string]string{}}
	var s Shared
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := s.Run(ctx, d, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want the caller's deadline", err)
	}
	rep, err := s.Run(context.Background(), d, time.Minute)
	if err != nil || rep.Checks[0].Result != Fail || id.calls.Load() != 1 {
		t.Fatalf("second caller = %+v, %v, %d calls; want the first run's report", rep, err, id.calls.Load())
	}
}
