package keyvault

import (
	"github.com/frogbridge/frogbridge/internal/upstream"

	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/secret"
)

type fakeReader struct {
	mu    sync.Mutex
	reads int
	seq   []Credentials
	err   error
}

func (r *fakeReader) Current(context.Context) (Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	if r.err != nil {
		return Credentials{}, r.err
	}
	i := min(r.reads-1, len(r.seq)-1)
	return r.seq[i], nil
}

var errJFrog401 = errors.New("jfrog 401")

func creds(version string, exp time.Time) Credentials {
	return Credentials{AccessToken: secret.Token("tok-v" + version), Username: "u", Properties: Properties{Name: "s", Version: version, ExpiresOn: &exp}}
}

func TestCredentialSource(t *testing.T) {
	now := time.Now()
	later := now.Add(time.Hour)
	tests := []struct {
		name      string
		seq       []Credentials
		fail      func(c Credentials) error // fn result per credentials
		wantErr   error
		wantReads int
		wantCalls int
	}{
		{"ok from cache", []Credentials{creds("1", later)}, func(Credentials) error { return nil }, nil, 1, 1},
		{"401 then rotated", []Credentials{creds("1", later), creds("2", later)},
			func(c Credentials) error {
				if c.Version == "1" {
					return errJFrog401
				}
				return nil
			}, nil, 2, 2},
		{"401 and no newer version", []Credentials{creds("1", later)}, func(Credentials) error { return errJFrog401 }, errJFrog401, 2, 1},
		{"other error not retried", []Credentials{creds("1", later)}, func(Credentials) error { return errors.New("500") }, nil, 1, 1},
		{"expired", []Credentials{creds("1", now.Add(-time.Minute))}, nil, ErrExpired, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeReader{seq: tc.seq}
			src := NewCredentialSource(r)
			calls := 0
			err := src.Do(context.Background(), func(err error) bool { return errors.Is(err, errJFrog401) },
				func(_ context.Context, c Credentials) error { calls++; return tc.fail(c) })
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && tc.name != "other error not retried" && err != nil {
				t.Fatal(err)
			}
			if r.reads != tc.wantReads || calls != tc.wantCalls {
				t.Errorf("reads = %d calls = %d, want %d %d", r.reads, calls, tc.wantReads, tc.wantCalls)
			}
		})
	}
}

func TestCredentialSourceCachesAndPropagates(t *testing.T) {
	r := &fakeReader{seq: []Credentials{creds("1", time.Now().Add(time.Hour))}}
	src := NewCredentialSource(r)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := src.Get(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if r.reads != 1 {
		t.Errorf("reads = %d, want 1", r.reads)
	}
	r.err = fmt.Errorf("wrapped: %w", upstream.ErrForbidden)
	if _, err := src.Refresh(context.Background()); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("Refresh err = %v", err)
	}
}
