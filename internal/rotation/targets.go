package rotation

import (
	"context"
	"errors"
	"sync"
)

// Target is one secret the rotation keeps: its name (the Key Vault secret)
// and the Service that rotates it with the target's own store, exchange
// options, lock and forced-rotation record.
type Target struct {
	// Name is the Key Vault secret name.
	Name string
	// Shape is the stored shape (keyvault.Shape), reported in the answer.
	Shape string
	// Service rotates this target.
	Service *Service
}

// TargetResult is the outcome of one target's run.
type TargetResult struct {
	// Secret is the Key Vault secret name.
	Secret string `json:"secret"`
	// Shape is the stored shape.
	Shape string `json:"shape"`
	// Result is the run's result; zero when Err is set.
	Result
	// Err is the run's failure (an *Error), nil when it succeeded.
	Err error `json:"-"`
	// Error is Err's message for the answer; it never holds a token.
	Error string `json:"error,omitempty"`
}

// Targets rotates several targets: the first is the default target, whose
// result callers treat as today's single rotation. Each target's run is
// independent of the others (its own lock, coalescing, verification and
// store), so one failing target does not block the rest. Safe for
// concurrent use.
type Targets struct {
	list []Target
}

// NewTargets returns Targets for list, whose first element is the default
// target; it needs at least one target with a Service.
func NewTargets(list []Target) (*Targets, error) {
	if len(list) == 0 {
		return nil, errors.New("rotation: no targets")
	}
	for _, t := range list {
		if t.Service == nil {
			return nil, errors.New("rotation: target " + t.Name + " has no service")
		}
	}
	return &Targets{list: append([]Target(nil), list...)}, nil
}

// Default returns the default target's service.
func (t *Targets) Default() *Service { return t.list[0].Service }

// Len returns the number of targets.
func (t *Targets) Len() int { return len(t.list) }

// RotateAll runs every target at once (each through Service.Rotate) and
// returns their results in the targets' order once all have finished.
func (t *Targets) RotateAll(ctx context.Context, o RotateOptions) []TargetResult {
	out := make([]TargetResult, len(t.list))
	var wg sync.WaitGroup
	for i, tg := range t.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := tg.Service.Rotate(ctx, o)
			out[i] = TargetResult{Secret: tg.Name, Shape: tg.Shape, Result: res, Err: err}
			if err != nil {
				out[i].Result = Result{}
				out[i].Error = err.Error()
			}
		}()
	}
	wg.Wait()
	return out
}
