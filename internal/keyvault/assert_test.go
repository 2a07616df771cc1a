package keyvault_test

import (
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// The store is the rotation's SecretStore and the trainer's CurrentReader.
var (
	_ rotation.SecretStore   = (*keyvault.Store)(nil)
	_ keyvault.CurrentReader = (*keyvault.Store)(nil)
)
