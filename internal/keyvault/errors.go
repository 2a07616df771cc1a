package keyvault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Service names Key Vault in a *upstream.ResponseError.
const Service = "key vault"

// Sentinel errors of this package, matched with errors.Is. A failed call
// also matches the upstream sentinels (upstream.ErrForbidden, …).
var (
	// ErrSecretNotFound is a 404 with Key Vault's code SecretNotFound: the
	// secret has no version (it was never stored, or it was deleted). Key
	// Vault answers GET /secrets/{name}/ for a missing secret with
	// 404 {"error":{"code":"SecretNotFound","message":"A secret with
	// (name/id) … was not found in this key vault. …"}} (recordings of the
	// Azure SDK for JavaScript, sdk/keyvault/keyvault-secrets/recordings).
	ErrSecretNotFound = errors.New("key vault: secret not found")
	// ErrVaultNotFound means the vault's host does not resolve: the vault
	// name or URL is wrong, or the vault was deleted.
	ErrVaultNotFound = errors.New("key vault: vault not found")
	// ErrMalformedSecret means the secret value is not the expected JSON.
	ErrMalformedSecret = errors.New("key vault: malformed secret")
	// ErrExpired means the stored token has expired.
	ErrExpired = errors.New("key vault: stored token expired")
)

// codeSecretNotFound is Key Vault's error code for a missing secret.
const codeSecretNotFound = "SecretNotFound"

// SettingNames are the caller's names for the settings the Store's fix
// hints point at, so that each binary names its own; an empty name gives
// neutral wording.
type SettingNames struct {
	// ClientID is the managed identity's client ID setting
	// (UAMI_CLIENT_ID in the handler, AZURE_CLIENT_ID in the trainer).
	ClientID string
	// Vault is the vault name or URL setting.
	Vault string
	// SecretName is the secret name setting.
	SecretName string
}

// kvErrorBody is Key Vault's error shape.
type kvErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError *struct {
			Code string `json:"code"`
		} `json:"innererror"`
	} `json:"error"`
}

// wrapError is the single place that turns an azsecrets failure into this
// package's errors. op is "get" or "set".
func (s *Store) wrapError(op string, err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.RawResponse != nil {
		code, msg, inner := re.ErrorCode, "", ""
		if body, rerr := runtime.Payload(re.RawResponse); rerr == nil {
			var kb kvErrorBody
			if json.Unmarshal(body, &kb) == nil {
				msg = kb.Error.Message
				if kb.Error.InnerError != nil && kb.Error.InnerError.Code != "" {
					inner = kb.Error.InnerError.Code
					code += "/" + inner
				}
			}
		}
		e := upstream.New(Service, re.RawResponse, code, msg)
		if re.ErrorCode == codeSecretNotFound {
			e.Sentinel = ErrSecretNotFound
		}
		e.Fix = s.fix(op, re.StatusCode, inner)
		return e
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return fmt.Errorf("key vault %s: %s secret %q: get a token for the vault with the managed identity (check %s and that the identity is assigned to the app): %w: %w",
			s.vaultURL, op, s.name, upstream.Setting(s.settings.ClientID, "the identity's client ID"), upstream.ErrUnauthorized, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("key vault %s: %s secret %q: no reply before the deadline: %w", s.vaultURL, op, s.name, err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("key vault %s: host not found: check %s: %w: %w: %w", s.vaultURL, upstream.Setting(s.settings.Vault, "the vault name or URL"), ErrVaultNotFound, upstream.ErrNotFound, err)
	}
	return fmt.Errorf("key vault %s: %s secret %q: %w: %w", s.vaultURL, op, s.name, upstream.ErrUnavailable, err)
}

// fix names the change that resolves a status.
func (s *Store) fix(op string, status int, inner string) string {
	role := "Key Vault Secrets User"
	if op == "set" {
		role = "Key Vault Secrets Officer"
	}
	switch status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("vault %s rejected the identity's token: use an identity of the vault's tenant (%s)", s.vaultURL, upstream.Setting(s.settings.ClientID, "the identity's client ID"))
	case http.StatusForbidden:
		if inner == "SecretDisabled" {
			return fmt.Sprintf("enable the latest version of secret %q or store a new one", s.name)
		}
		return fmt.Sprintf("assign role %s to the identity on vault %s (or an access policy allowing %s), and allow its network in the vault firewall", role, s.vaultURL, op)
	case http.StatusNotFound:
		return fmt.Sprintf("secret %q does not exist in vault %s: check %s or run the rotation once (POST /api/KeyVaultSecretRotation?force=true)", s.name, s.vaultURL, upstream.Setting(s.settings.SecretName, "the secret name"))
	}
	return ""
}
