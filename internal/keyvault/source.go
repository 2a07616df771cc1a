package keyvault

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// CurrentReader reads the current credentials; *Store implements it.
type CurrentReader interface {
	// Current returns the latest credentials; see Store.Current.
	Current(ctx context.Context) (Credentials, error)
}

// CredentialSource hands out the JFrog credentials for clients such as the
// trainer: it reads the secret once, keeps it in memory, and re-reads it on
// Refresh (after a 401 from JFrog the secret may have been rotated). It is
// safe for concurrent use; concurrent Refresh calls share one read.
type CredentialSource struct {
	reader CurrentReader
	now    func() time.Time

	mu     sync.Mutex
	cached *Credentials
}

// NewCredentialSource returns a source reading through r (usually a *Store).
func NewCredentialSource(r CurrentReader) *CredentialSource {
	return &CredentialSource{reader: r, now: time.Now}
}

// Get returns the cached credentials, reading the secret on first use or
// when the cached token has expired. A malformed secret matches
// ErrMalformedSecret; an expired stored token matches ErrExpired.
func (s *CredentialSource) Get(ctx context.Context) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cached.Check(s.now()) == nil {
		return *s.cached, nil
	}
	return s.readLocked(ctx)
}

// Refresh re-reads the secret and returns the latest credentials. Callers
// that got a 401 from JFrog call it once and retry only when the version
// changed.
func (s *CredentialSource) Refresh(ctx context.Context) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readLocked(ctx)
}

func (s *CredentialSource) readLocked(ctx context.Context) (Credentials, error) {
	c, err := s.reader.Current(ctx)
	if err != nil {
		return Credentials{}, err
	}
	if err := c.Check(s.now()); err != nil {
		return Credentials{}, err
	}
	s.cached = &c
	return c, nil
}

// Do calls fn with the current credentials. When fn fails with an error for
// which unauthorized returns true (a JFrog 401), Do re-reads the secret once
// and, if a newer version is there, calls fn again with it; otherwise it
// returns fn's error.
func (s *CredentialSource) Do(ctx context.Context, unauthorized func(error) bool, fn func(context.Context, Credentials) error) error {
	c, err := s.Get(ctx)
	if err != nil {
		return err
	}
	err = fn(ctx, c)
	if err == nil || !unauthorized(err) {
		return err
	}
	fresh, rerr := s.Refresh(ctx)
	if rerr != nil {
		return errors.Join(err, fmt.Errorf("re-read after 401: %w", rerr))
	}
	if fresh.Version == c.Version {
		return fmt.Errorf("JFrog rejected the token of secret %q version %s and no newer version exists: check the rotation function: %w", c.Name, c.Version, err)
	}
	return fn(ctx, fresh)
}
