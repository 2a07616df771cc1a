package keyvault

import (
	"context"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// Value reads the latest version of another secret of the store's vault,
// such as a function key the Functions host keeps in Key Vault
// (host--functionKey--default), and returns its value as a redacting
// Token. A missing secret matches ErrSecretNotFound.
func (s *Store) Value(ctx context.Context, name string) (secret.Token, error) {
	if err := ValidateSecretName(name); err != nil {
		return "", err
	}
	resp, err := s.client.GetSecret(ctx, name, "", nil)
	if err != nil {
		other := *s
		other.name = name
		return "", other.wrapError("get", err)
	}
	if resp.Value == nil {
		return "", nil
	}
	return secret.Token(*resp.Value), nil
}
