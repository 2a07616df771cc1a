package localjfrog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// persisted holds one JSON state document in memory and on disk. Updates
// work on a deep copy that replaces the live value only once it is safely
// on disk, so a failed write leaves memory and disk agreeing.
type persisted[T any] struct {
	mu        sync.RWMutex
	path      string
	v         *T
	normalize func(*T)
}

// loadPersisted reads path, or starts from fresh() when it does not exist.
func loadPersisted[T any](path string, fresh func() (*T, error), normalize func(*T)) (*persisted[T], error) {
	p := &persisted[T]{path: path, normalize: normalize}
	v := new(T)
	err := store.ReadJSON(path, v)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if v, err = fresh(); err != nil {
			return nil, err
		}
		normalize(v)
		if err := store.WriteJSON(path, v); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("load state: %w (move the file away to start empty)", err)
	}
	normalize(v)
	p.v = v
	return p, nil
}

// view runs fn with the current state under a read lock. fn must not keep
// references into the state after it returns.
func (p *persisted[T]) view(fn func(*T)) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	fn(p.v)
}

// update runs fn on a copy of the state and, when fn succeeds, writes the copy
// atomically and makes it current. Updates are serialized.
func (p *persisted[T]) update(fn func(*T) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := json.Marshal(p.v)
	if err != nil {
		return fmt.Errorf("copy state: %w", err)
	}
	next := new(T)
	if err := json.Unmarshal(b, next); err != nil {
		return fmt.Errorf("copy state: %w", err)
	}
	p.normalize(next)
	if err := fn(next); err != nil {
		return err
	}
	if err := store.WriteJSON(p.path, next); err != nil {
		return err
	}
	p.v = next
	return nil
}
