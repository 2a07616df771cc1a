package errkind

import (
	"errors"
	"fmt"
	"testing"
)

type kinded struct{ k Kind }

func (e kinded) Error() string   { return "kinded" }
func (e kinded) ErrorKind() Kind { return e.k }

func TestOf(t *testing.T) {
	if got := Of(fmt.Errorf("outer: %w", kinded{Locked})); got != Locked {
		t.Errorf("Of(wrapped) = %v", got)
	}
	if got := Of(errors.New("plain")); got != Internal {
		t.Errorf("Of(plain) = %v", got)
	}
	if got := Of(nil); got != Internal {
		t.Errorf("Of(nil) = %v", got)
	}
}

func TestString(t *testing.T) {
	if Locked.String() != "locked" || NotFound.String() != "not_found" || Kind(99).String() != "kind(99)" || Kind(-1).String() != "kind(-1)" {
		t.Error("Kind.String")
	}
}
