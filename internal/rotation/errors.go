package rotation

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// ErrLocked matches (errors.Is) a run that could not get the
// cross-instance lock within its wait: another rotation is running.
var ErrLocked = errors.New("rotation: another rotation holds the lock")

// Error is a failed rotation step.
type Error struct {
	// Kind classifies the failure; the HTTP edge maps it to a status.
	Kind errkind.Kind
	// Step names the step that failed, such as "exchange token".
	Step string
	// Err is the cause; it never holds a token.
	Err error
	// RetryAfter is, for errkind.RateLimited, how long until the call is
	// accepted again.
	RetryAfter time.Duration
}

// Error returns "rotation: <step>: <cause>".
func (e *Error) Error() string { return "rotation: " + e.Step + ": " + e.Err.Error() }

// Is reports whether target is ErrLocked and the failure is errkind.Locked.
func (e *Error) Is(target error) bool { return target == ErrLocked && e.Kind == errkind.Locked }

// ErrorKind returns Kind (see errkind.Of).
func (e *Error) ErrorKind() errkind.Kind { return e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// fail builds an *Error for step, classifying err.
func fail(step string, err error) *Error {
	return &Error{Kind: classify(err), Step: step, Err: err}
}

// classify finds the Kind of a dependency error.
func classify(err error) errkind.Kind {
	var re *Error
	var afe *azidentity.AuthenticationFailedError
	var azErr *azcore.ResponseError // blob storage (lease)
	switch {
	case errors.As(err, &re):
		return re.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return errkind.Timeout
	case errors.Is(err, lease.ErrBusy):
		return errkind.Locked
	case errors.As(err, &afe):
		return errkind.Authentication
	case errors.Is(err, upstream.ErrUnauthorized):
		return errkind.Authentication
	case errors.Is(err, upstream.ErrForbidden):
		return errkind.Forbidden
	case errors.Is(err, keyvault.ErrSecretNotFound), errors.Is(err, keyvault.ErrVaultNotFound):
		return errkind.NotFound
	case errors.As(err, &azErr) && azErr.StatusCode == http.StatusUnauthorized:
		return errkind.Authentication
	case errors.As(err, &azErr) && azErr.StatusCode == http.StatusForbidden:
		return errkind.Forbidden
	}
	return errkind.Upstream
}

// RetryAfter returns how long a caller should wait before asking again
// (the Retry-After of a 429), and false when err carries none.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.Kind == errkind.RateLimited && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}
