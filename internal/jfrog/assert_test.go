package jfrog_test

import (
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// The client is the rotation's Exchanger, Verifier and Revoker.
var (
	_ rotation.Exchanger = (*jfrog.Client)(nil)
	_ rotation.Verifier  = (*jfrog.Client)(nil)
	_ rotation.Revoker   = (*jfrog.Client)(nil)
)
