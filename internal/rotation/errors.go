package rotation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lazyregexp"
	"github.com/frogbridge/frogbridge/internal/lease"
)

// Kind classifies a rotation failure for the HTTP edge.
type Kind int

// Failure kinds, mapped by HTTPStatus.
const (
	// KindInternal is an unexpected failure (500).
	KindInternal Kind = iota
	// KindAuthentication: no usable Entra ID token, or JFrog or Key Vault
	// rejected it (401).
	KindAuthentication
	// KindForbidden: a role assignment or JFrog identity mapping is missing (403).
	KindForbidden
	// KindNotFound: the vault or secret is missing (404).
	KindNotFound
	// KindUpstream: a dependency failed or answered wrongly (502).
	KindUpstream
	// KindTimeout: the invocation's deadline passed (504).
	KindTimeout
	// KindLocked: another instance held the lock for the whole wait (409).
	KindLocked
	// KindConfig: the service is misconfigured (503).
	KindConfig
	// KindRateLimited: a forced rotation came within
	// Config.ForceMinInterval of the last one (429, see Error.RetryAfter).
	KindRateLimited
)

var kindNames = map[Kind]string{
	KindInternal: "internal", KindAuthentication: "authentication", KindForbidden: "forbidden",
	KindNotFound: "not_found", KindUpstream: "upstream", KindTimeout: "timeout", KindLocked: "locked", KindConfig: "config",
	KindRateLimited: "rate_limited",
}

// String returns the kind's short name, as used in logs.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ErrLocked matches (errors.Is) a run that could not get the
// cross-instance lock within its wait: another rotation is running.
var ErrLocked = errors.New("rotation: another rotation holds the lock")

// Error is a failed rotation step.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Step names the step that failed, such as "exchange token".
	Step string
	// Err is the cause; it never holds a token.
	Err error
	// RetryAfter is, for KindRateLimited, how long until a forced rotation
	// is accepted again.
	RetryAfter time.Duration
}

// Error returns "rotation: <step>: <cause>".
func (e *Error) Error() string { return "rotation: " + e.Step + ": " + e.Err.Error() }

// Is reports whether target is ErrLocked and the failure is KindLocked.
func (e *Error) Is(target error) bool { return target == ErrLocked && e.Kind == KindLocked }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus maps an error from Rotate or Status to the status of our
// endpoint: 401 authentication, 403 forbidden, 404 vault or secret missing,
// 502 upstream failure, 504 deadline, 409 lock busy, 429 forced rotations
// too close together, 503 configuration, 500 otherwise; 200 for nil.
func HTTPStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var e *Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError
	}
	switch e.Kind {
	case KindAuthentication:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindNotFound:
		return http.StatusNotFound
	case KindUpstream:
		return http.StatusBadGateway
	case KindTimeout:
		return http.StatusGatewayTimeout
	case KindLocked:
		return http.StatusConflict
	case KindConfig:
		return http.StatusServiceUnavailable
	case KindRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// jwtLike matches anything shaped like a JWT; Details removes it as a last
// line of defence.
var jwtLike = lazyregexp.New(`eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*`)

// Details renders err for a response body: the failed step, the cause and
// the fix, with anything shaped like a token removed.
func Details(err error) string {
	if err == nil {
		return ""
	}
	return jwtLike.ReplaceAllString(err.Error(), "[redacted]")
}

// fail builds an *Error for step, classifying err.
func fail(step string, err error) *Error {
	return &Error{Kind: classify(err), Step: step, Err: err}
}

// classify finds the Kind of a dependency error.
func classify(err error) Kind {
	var re *Error
	var afe *azidentity.AuthenticationFailedError
	var kvErr *keyvault.ResponseError
	var azErr *azcore.ResponseError // blob storage (lease)
	switch {
	case errors.As(err, &re):
		return re.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, lease.ErrBusy):
		return KindLocked
	case errors.As(err, &afe):
		return KindAuthentication
	case errors.Is(err, jfrog.ErrUnauthorized), errors.Is(err, keyvault.ErrUnauthorized):
		return KindAuthentication
	case errors.Is(err, jfrog.ErrForbidden), errors.Is(err, keyvault.ErrForbidden):
		return KindForbidden
	case errors.As(err, &kvErr) && kvErr.StatusCode == http.StatusNotFound, errors.Is(err, keyvault.ErrNotFound):
		return KindNotFound
	case errors.As(err, &azErr) && azErr.StatusCode == http.StatusUnauthorized:
		return KindAuthentication
	case errors.As(err, &azErr) && azErr.StatusCode == http.StatusForbidden:
		return KindForbidden
	}
	return KindUpstream
}

// RetryAfter returns how long a caller should wait before asking again
// (the Retry-After of a 429), and false when err carries none.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.Kind == KindRateLimited && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}
