// Package errkind classifies the failures of the suite's operations (a
// rotation, a job submission) by what the caller should do about them. The
// domain errors (rotation.Error, jobs.Error, jobs.ValidationError) carry a
// Kind; the handler maps each Kind to its HTTP status in one place.
package errkind

import (
	"errors"
	"fmt"
)

// Kind classifies a failure.
type Kind int

// Failure kinds.
const (
	// Internal is an unexpected failure.
	Internal Kind = iota
	// Invalid: the request itself is wrong (a field, the body).
	Invalid
	// Authentication: no usable Entra ID token, or a service rejected it.
	Authentication
	// Forbidden: a role assignment or JFrog identity mapping is missing.
	Forbidden
	// NotFound: what the call names does not exist (a vault, a secret, a job).
	NotFound
	// Upstream: a dependency failed or answered wrongly.
	Upstream
	// Timeout: the operation's deadline passed.
	Timeout
	// Locked: another instance held the lock for the whole wait.
	Locked
	// Config: the service is misconfigured.
	Config
	// RateLimited: the call came too soon after the last one of its kind
	// (a forced rotation within ROTATION_FORCE_MIN_INTERVAL).
	RateLimited
)

var names = [...]string{
	Internal: "internal", Invalid: "invalid", Authentication: "authentication", Forbidden: "forbidden",
	NotFound: "not_found", Upstream: "upstream", Timeout: "timeout", Locked: "locked", Config: "config",
	RateLimited: "rate_limited",
}

// String returns the kind's short name, as used in logs.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Of returns the Kind of the first error in err's tree that has one (an
// ErrorKind method), Internal when none has.
func Of(err error) Kind {
	var k interface{ ErrorKind() Kind }
	if errors.As(err, &k) {
		return k.ErrorKind()
	}
	return Internal
}
