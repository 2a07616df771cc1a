package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/lease"
)

// TestMarks: a mark written by the lease holder is read by another
// instance; without the lease Mark is refused and the mark is unchanged.
func TestMarks(t *testing.T) {
	t.Parallel()
	cs := startAzurite(t)
	ctx := context.Background()
	name := uniqueContainer()
	a := newLocker(t, cs, name, lease.LockerOptions{})
	b := newLocker(t, cs, name, lease.LockerOptions{})

	if got, err := b.Marked(ctx, "lastforced"); err != nil || !got.IsZero() {
		t.Fatalf("Marked before the blob exists = %v, %v; want zero, nil", got, err)
	}
	if err := a.Mark(ctx, "lastforced", time.Now()); !errors.Is(err, lease.ErrNotHeld) {
		t.Fatalf("Mark without the lease = %v, want ErrNotHeld", err)
	}
	held, err := a.Acquire(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 3, 0, 0, 123e6, time.UTC)
	if err := a.Mark(ctx, "lastForced", at); err != nil {
		t.Fatal(err)
	}
	if err := a.Mark(ctx, "other", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := b.Mark(ctx, "lastforced", at.Add(time.Minute)); !errors.Is(err, lease.ErrNotHeld) {
		t.Errorf("Mark by a locker without the lease = %v, want ErrNotHeld", err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*lease.Locker{a, b} {
		got, err := l.Marked(ctx, "lastforced")
		if err != nil || !got.Equal(at) {
			t.Errorf("Marked = %v, %v; want %v (names match case-insensitively, other marks kept)", got, err, at)
		}
	}
	if got, _ := b.Marked(ctx, "other"); !got.Equal(at.Add(time.Hour)) {
		t.Errorf("second mark = %v", got)
	}
	if err := a.Mark(ctx, "lastforced", at); !errors.Is(err, lease.ErrNotHeld) {
		t.Errorf("Mark after Release = %v, want ErrNotHeld", err)
	}
}
