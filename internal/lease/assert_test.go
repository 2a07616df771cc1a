package lease_test

import (
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// The locker is the rotation's cross-instance Locker.
var _ rotation.Locker = (*lease.Locker)(nil)
