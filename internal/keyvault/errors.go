package keyvault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrUnauthorized means no valid token reached the vault: the managed
	// identity could not get one, or the vault rejected it (401).
	ErrUnauthorized = errors.New("key vault: unauthorized")
	// ErrForbidden is a 403: the identity lacks a role or access policy, a
	// firewall denied the call, or the secret version is disabled.
	ErrForbidden = errors.New("key vault: forbidden")
	// ErrNotFound is a 404 (secret missing) or a vault host that does not resolve.
	ErrNotFound = errors.New("key vault: not found")
	// ErrUnavailable is a 429/5xx left after retries or a failed connection.
	ErrUnavailable = errors.New("key vault: unavailable")
	// ErrMalformedSecret means the secret value is not the expected JSON.
	ErrMalformedSecret = errors.New("key vault: malformed secret")
	// ErrExpired means the stored token has expired.
	ErrExpired = errors.New("key vault: stored token expired")
)

// ResponseError is a non-2xx reply from Key Vault for one secret.
type ResponseError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Key Vault's error code (with the inner code when present,
	// "Forbidden/ForbiddenByRbac").
	Code string
	// Message is Key Vault's message, bounded and stripped of control characters.
	Message string
	// Op, Vault and Secret identify the failed call.
	Op, Vault, Secret string
	// Fix says what to change.
	Fix string
}

// Error names the operation, vault, secret, status, code and fix.
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "key vault %s: %s secret %q: %d %s", e.Vault, e.Op, e.Secret, e.StatusCode, e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, " (%s)", e.Fix)
	}
	return b.String()
}

// Is matches the sentinel for the status.
func (e *ResponseError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnavailable:
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	return false
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
	if errors.As(err, &re) {
		e := &ResponseError{StatusCode: re.StatusCode, Code: re.ErrorCode, Op: op, Vault: s.vaultURL, Secret: s.name}
		inner := ""
		if re.RawResponse != nil {
			if body, rerr := runtime.Payload(re.RawResponse); rerr == nil {
				var kb kvErrorBody
				if json.Unmarshal(body, &kb) == nil {
					e.Message = clean(kb.Error.Message, 300)
					if kb.Error.InnerError != nil && kb.Error.InnerError.Code != "" {
						inner = kb.Error.InnerError.Code
						e.Code = clean(e.Code+"/"+inner, 80)
					}
				}
			}
		}
		e.Fix = s.fix(op, re.StatusCode, inner)
		return e
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return fmt.Errorf("key vault %s: %s secret %q: get a token for the vault with the managed identity (check UAMI_CLIENT_ID and that the identity is assigned to the app): %w: %w",
			s.vaultURL, op, s.name, ErrUnauthorized, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("key vault %s: %s secret %q: no reply before the deadline: %w", s.vaultURL, op, s.name, err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("key vault %s: host not found: check the vault name or URL setting: %w: %w", s.vaultURL, ErrNotFound, err)
	}
	return fmt.Errorf("key vault %s: %s secret %q: %w: %w", s.vaultURL, op, s.name, ErrUnavailable, err)
}

// fix names the change that resolves a status.
func (s *Store) fix(op string, status int, inner string) string {
	role := "Key Vault Secrets User"
	if op == "set" {
		role = "Key Vault Secrets Officer"
	}
	switch status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("vault %s rejected the identity's token: use an identity of the vault's tenant (UAMI_CLIENT_ID)", s.vaultURL)
	case http.StatusForbidden:
		if inner == "SecretDisabled" {
			return fmt.Sprintf("enable the latest version of secret %q or store a new one", s.name)
		}
		return fmt.Sprintf("assign role %s to the function app's identity on vault %s (or an access policy allowing %s), and allow its network in the vault firewall", role, s.vaultURL, op)
	case http.StatusNotFound:
		return fmt.Sprintf("secret %q does not exist in vault %s: check the secret name setting or run the rotation once (POST /api/KeyVaultSecretRotation?force=true)", s.name, s.vaultURL)
	}
	return ""
}

// clean strips control characters and bounds the length of upstream text.
func clean(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > limit {
		cut := limit
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}
