// Package upstream is the one error type for a non-2xx reply from an
// outside service, as azcore has one *ResponseError: the Key Vault, AzureML
// and JFrog clients each parse their own error body and add their own fix
// hint, then return a *ResponseError built by [New]. Callers match the
// sentinels with errors.Is ([ErrNotFound], [ErrUnavailable], …) and read
// the details with errors.As; a client may add a sentinel of its own for one
// error code (keyvault.ErrSecretNotFound) through [ResponseError.Sentinel].
//
// Upstream text is never kept raw: [Clean] removes anything shaped like a
// credential (see internal/redact), control characters, and bounds the
// length.
package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/frogbridge/frogbridge/internal/redact"
)

// Sentinels, matched by a *ResponseError for its status with errors.Is, and
// wrapped by the clients' transport errors where they apply.
var (
	// ErrBadRequest is a 400: the service refused the request's content and
	// retrying will not help.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized is a 401, or no token could be had for the service:
	// the credential is missing, rejected or expired.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden is a 403: the credential is valid but lacks a role, an
	// access policy or an identity mapping, or a firewall refused the call.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound is a 404, or a service host that does not resolve.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a 409: the resource is in a state that forbids the call.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable is a 429 or 5xx left after retries, a dropped
	// connection or an unreadable reply: the service is failing, not the
	// caller.
	ErrUnavailable = errors.New("unavailable")
)

const (
	// MaxCode bounds the upstream error code New keeps.
	MaxCode = 100
	// MaxMessage bounds the upstream message New keeps.
	MaxMessage = 500
)

// ResponseError is a non-2xx reply from an outside service. It never holds
// the raw body, a query string or a credential.
type ResponseError struct {
	// Service names the service: "key vault", "azureml", "jfrog".
	Service string
	// Method and URL identify the request; URL has no query, fragment or
	// userinfo.
	Method, URL string
	// StatusCode is the HTTP status of the reply.
	StatusCode int
	// Code is the service's error code when the body has one (Key Vault
	// adds the inner code: "Forbidden/ForbiddenByRbac"), else the status
	// text.
	Code string
	// Message is the service's message, cleaned ("" when none).
	Message string
	// Fix says what to change, when the client knows.
	Fix string
	// Sentinel, when set, is the client's sentinel for Code (such as
	// keyvault.ErrSecretNotFound); Is matches it too.
	Sentinel error
}

// New returns the *ResponseError for reply resp of service with the code
// and message the client parsed from the body (either may be ""); both are
// cleaned. It does not read or close the body.
func New(service string, resp *http.Response, code, message string) *ResponseError {
	e := &ResponseError{Service: service, StatusCode: resp.StatusCode, Code: Clean(code, MaxCode), Message: Clean(message, MaxMessage)}
	if req := resp.Request; req != nil {
		e.Method = req.Method
		if req.URL != nil {
			u := *req.URL
			u.RawQuery, u.Fragment, u.RawFragment, u.User = "", "", "", nil
			e.URL = u.String()
		}
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	return e
}

// Error returns "SERVICE: METHOD URL: STATUS CODE: MESSAGE (FIX)".
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: %d %s", e.Service, e.Method, e.URL, e.StatusCode, e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, " (%s)", e.Fix)
	}
	return b.String()
}

// Is matches the sentinel for the status, and Sentinel.
func (e *ResponseError) Is(target error) bool {
	if target == nil {
		return false
	}
	switch target {
	case e.Sentinel:
		return true
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrUnavailable:
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	return false
}

// Clean returns upstream text fit for an error message: credentials
// removed (redact.Upstream), control characters replaced by spaces, at most
// limit bytes (cut on a UTF-8 boundary, with "…"), trimmed.
func Clean(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, redact.Upstream(s))
	if len(s) > limit {
		cut := limit
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}

// Setting returns name, the caller's name for a setting, or neutral when
// the caller gave none: clients word their hints with it so that each
// binary names its own settings ("check UAMI_CLIENT_ID" in the handler,
// "check AZURE_CLIENT_ID" in the trainer, "check the identity's client ID"
// for a caller that named none).
func Setting(name, neutral string) string {
	if name != "" {
		return name
	}
	return neutral
}
