package rotation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
)

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 200},
		{"plain", errors.New("x"), 500},
		{"auth", &Error{Kind: KindAuthentication, Step: "s", Err: errors.New("x")}, 401},
		{"forbidden", &Error{Kind: KindForbidden, Step: "s", Err: errors.New("x")}, 403},
		{"not found", &Error{Kind: KindNotFound, Step: "s", Err: errors.New("x")}, 404},
		{"upstream", &Error{Kind: KindUpstream, Step: "s", Err: errors.New("x")}, 502},
		{"timeout", &Error{Kind: KindTimeout, Step: "s", Err: errors.New("x")}, 504},
		{"locked", &Error{Kind: KindLocked, Step: "s", Err: errors.New("x")}, 409},
		{"config", &Error{Kind: KindConfig, Step: "s", Err: errors.New("x")}, 503},
		{"wrapped", fmt.Errorf("handler: %w", &Error{Kind: KindForbidden, Step: "s", Err: errors.New("x")}), 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTTPStatus(tc.err); got != tc.want {
				t.Errorf("HTTPStatus = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"jfrog 401", &jfrog.ResponseError{StatusCode: 401}, KindAuthentication},
		{"jfrog 403", &jfrog.ResponseError{StatusCode: 403}, KindForbidden},
		{"jfrog 404", &jfrog.ResponseError{StatusCode: 404}, KindUpstream},
		{"jfrog 503", &jfrog.ResponseError{StatusCode: 503}, KindUpstream},
		{"kv 401", &keyvault.ResponseError{StatusCode: 401}, KindAuthentication},
		{"kv 403", &keyvault.ResponseError{StatusCode: 403}, KindForbidden},
		{"kv 404", &keyvault.ResponseError{StatusCode: 404}, KindNotFound},
		{"kv 429", &keyvault.ResponseError{StatusCode: 429}, KindUpstream},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), KindTimeout},
		{"busy", fmt.Errorf("x: %w", lease.ErrBusy), KindLocked},
		{"transport", errors.New("connection reset"), KindUpstream},
		{"blob 403", fmt.Errorf("lease: %w", &azcore.ResponseError{StatusCode: 403}), KindForbidden},
		{"blob 500", fmt.Errorf("lease: %w", &azcore.ResponseError{StatusCode: 500}), KindUpstream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDetailsRedacts(t *testing.T) {
	tok := signJWT(t, map[string]any{"sub": "x"})
	err := &Error{Kind: KindUpstream, Step: "exchange token at JFrog", Err: fmt.Errorf("upstream said %s", tok)}
	d := Details(err)
	if strings.Contains(d, tok) || !strings.Contains(d, "[redacted]") || !strings.Contains(d, "exchange token at JFrog") {
		t.Errorf("Details = %q", d)
	}
	if Details(nil) != "" || HTTPStatus(err) != http.StatusBadGateway {
		t.Error("nil details or status wrong")
	}
	if !errors.Is(&Error{Kind: KindLocked, Step: "s", Err: errors.New("x")}, ErrLocked) || errors.Is(err, ErrLocked) {
		t.Error("ErrLocked matching")
	}
	if KindLocked.String() != "locked" || Kind(99).String() != "kind(99)" {
		t.Error("Kind.String")
	}
}
