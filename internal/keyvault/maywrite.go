package keyvault

import (
	"context"
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// probeVersion is a secret version that never exists: Key Vault versions
// are 32 hexadecimal digits it generates, and it never generates zero.
const probeVersion = "00000000000000000000000000000000"

// MayWrite reports whether the identity may write the secret, without
// writing anything: it updates the properties of a version that does not
// exist. An identity allowed to update the secret gets 404 (the version is
// missing, nothing changed); one that is not gets 403 before the lookup.
// Any other answer is returned as an error.
//
// Key Vault authorizes a data-plane operation before it resolves the
// object (a caller without the role gets 403 ForbiddenByRbac for secrets
// that exist and for those that do not, as Azure RBAC evaluates the data
// action on the vault scope; learn.microsoft.com/azure/key-vault/general/rbac-guide).
// That the order holds for every vault configuration (access policies,
// firewall) is not documented: an unexpected answer is reported, never
// read as permission.
func (s *Store) MayWrite(ctx context.Context) (bool, error) {
	enabled := true
	_, err := s.client.UpdateSecretProperties(ctx, s.name, probeVersion, azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: &enabled},
	}, nil)
	if err == nil {
		// Cannot happen for a version Key Vault never generates.
		return true, nil
	}
	err = s.wrapError("update properties of", err)
	var re *upstream.ResponseError
	switch {
	case errors.As(err, &re) && re.StatusCode == 404:
		return true, nil
	case errors.Is(err, upstream.ErrForbidden):
		return false, nil
	}
	return false, err
}
