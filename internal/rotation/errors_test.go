package rotation

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

func TestErrorKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want errkind.Kind
	}{
		{"plain", errors.New("x"), errkind.Internal},
		{"kind", &Error{Kind: errkind.Forbidden, Step: "s", Err: errors.New("x")}, errkind.Forbidden},
		{"wrapped", fmt.Errorf("handler: %w", &Error{Kind: errkind.Locked, Step: "s", Err: errors.New("x")}), errkind.Locked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errkind.Of(tc.err); got != tc.want {
				t.Errorf("errkind.Of = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	jf := func(status int) error { return &upstream.ResponseError{Service: jfrog.Service, StatusCode: status} }
	kv := func(status int, sentinel error) error {
		return &upstream.ResponseError{Service: keyvault.Service, StatusCode: status, Sentinel: sentinel}
	}
	tests := []struct {
		name string
		err  error
		want errkind.Kind
	}{
		{"jfrog 401", jf(401), errkind.Authentication},
		{"jfrog 403", jf(403), errkind.Forbidden},
		{"jfrog 404", jf(404), errkind.Upstream},
		{"jfrog 503", jf(503), errkind.Upstream},
		{"kv 401", kv(401, nil), errkind.Authentication},
		{"kv 403", kv(403, nil), errkind.Forbidden},
		{"kv secret not found", kv(404, keyvault.ErrSecretNotFound), errkind.NotFound},
		{"kv vault not found", fmt.Errorf("host: %w: %w", keyvault.ErrVaultNotFound, upstream.ErrNotFound), errkind.NotFound},
		{"kv 429", kv(429, nil), errkind.Upstream},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), errkind.Timeout},
		{"busy", fmt.Errorf("x: %w", lease.ErrBusy), errkind.Locked},
		{"transport", errors.New("connection reset"), errkind.Upstream},
		{"blob 403", fmt.Errorf("lease: %w", &azcore.ResponseError{StatusCode: 403}), errkind.Forbidden},
		{"blob 500", fmt.Errorf("lease: %w", &azcore.ResponseError{StatusCode: 500}), errkind.Upstream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestErrLocked(t *testing.T) {
	err := &Error{Kind: errkind.Upstream, Step: "exchange token at JFrog", Err: errors.New("x")}
	if !errors.Is(&Error{Kind: errkind.Locked, Step: "s", Err: errors.New("x")}, ErrLocked) || errors.Is(err, ErrLocked) {
		t.Error("ErrLocked matching")
	}
	if err.Error() != "rotation: exchange token at JFrog: x" {
		t.Errorf("Error() = %q", err)
	}
}
