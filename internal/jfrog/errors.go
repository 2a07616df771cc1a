package jfrog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// Sentinel errors matched by a *ResponseError with errors.Is.
var (
	// ErrBadRequest is a 400 reply: the request is invalid and retrying will not help.
	ErrBadRequest = errors.New("jfrog: bad request")
	// ErrUnauthorized is a 401 reply: the credential was rejected or has expired.
	ErrUnauthorized = errors.New("jfrog: unauthorized")
	// ErrForbidden is a 403 reply: the credential is valid but not allowed, or no
	// OIDC identity mapping matched.
	ErrForbidden = errors.New("jfrog: forbidden")
	// ErrNotFound is a 404 reply.
	ErrNotFound = errors.New("jfrog: not found")
	// ErrUnavailable is a 429 or 5xx reply left after retries, a dropped
	// connection or an unreadable reply: the platform is failing, not the caller.
	ErrUnavailable = errors.New("jfrog: unavailable")
)

// maxErrorBody bounds how much of an error reply is read.
const maxErrorBody = 64 << 10

// maxMessage bounds the upstream message kept in a ResponseError.
const maxMessage = 300

// ResponseError is a non-2xx reply from the JFrog Platform. Message holds the
// upstream error message with anything that looks like a token removed; the
// raw body is never kept.
type ResponseError struct {
	// StatusCode is the HTTP status of the reply.
	StatusCode int
	// Code is JFrog's error code when the body has one, else the status text.
	Code string
	// Message is the filtered upstream message ("" when none).
	Message string
	// Method and URL identify the request (URL has no query string).
	Method, URL string
	// Fix says what to change when the status has a known cause.
	Fix string
}

// Error describes the failed request, the status, the upstream message and the fix.
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jfrog: %s %s: %d %s", e.Method, e.URL, e.StatusCode, e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, " (%s)", e.Fix)
	}
	return b.String()
}

// Is matches the sentinel for the status code.
func (e *ResponseError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
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

// newResponseError is the single place that turns a non-2xx reply into a
// *ResponseError. It reads (a bounded part of) the body but does not close it.
func newResponseError(resp *http.Response, method, url string, hint func(int) string) *ResponseError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	code, msg := parseErrorBody(body)
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	e := &ResponseError{StatusCode: resp.StatusCode, Code: code, Message: msg, Method: method, URL: url}
	if hint != nil {
		e.Fix = hint(resp.StatusCode)
	}
	return e
}

// errorBody is the tolerant shape of JFrog error replies:
// {"errors":[{"status":401,"code":"…","message":"…","detail":"…"}]} or a
// single {"code","message","detail"} object.
type errorBody struct {
	Errors  []errorItem `json:"errors"`
	Code    any         `json:"code"`
	Message string      `json:"message"`
	Detail  string      `json:"detail"`
	Error   string      `json:"error"`
}

type errorItem struct {
	Status  any    `json:"status"`
	Code    any    `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// parseErrorBody extracts an error code and a filtered, bounded message from
// a JFrog error reply. A body that is not JSON yields no message: raw
// upstream text is never passed on.
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if len(body) == 0 || json.Unmarshal(body, &eb) != nil {
		return "", ""
	}
	var msgs []string
	add := func(c any, m, d string) {
		if code == "" {
			code = codeString(c)
		}
		for _, s := range []string{m, d} {
			if s = strings.TrimSpace(s); s != "" {
				msgs = append(msgs, s)
			}
		}
	}
	for _, it := range eb.Errors {
		add(it.Code, it.Message, it.Detail)
	}
	add(eb.Code, eb.Message, eb.Detail)
	if eb.Error != "" {
		msgs = append(msgs, eb.Error)
	}
	return sanitize(code, 40), sanitize(strings.Join(msgs, "; "), maxMessage)
}

// codeString renders a JSON code that may be a string or a number.
func codeString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	}
	return ""
}

// jwtLike matches JWTs (three base64url segments).
var jwtLike = lazyregexp.New(`[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*`)

// opaqueLike matches long runs that may be opaque credentials (JFrog
// reference tokens, API keys); isOpaqueSecret decides.
var opaqueLike = lazyregexp.New(`[A-Za-z0-9+/_\-=]{40,}`)

// isOpaqueSecret reports whether a long run mixes upper case, lower case and
// digits like base64 credentials do; URL paths and GUIDs (no upper case)
// are kept so messages stay useful.
func isOpaqueSecret(s string) bool {
	var up, low, digit bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			up = true
		case r >= 'a' && r <= 'z':
			low = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return up && low && digit
}

// redactTokens replaces JWTs and opaque credentials in s with "[redacted]".
func redactTokens(s string) string {
	s = jwtLike.ReplaceAllString(s, "[redacted]")
	return opaqueLike.ReplaceAllStringFunc(s, func(m string) string {
		if isOpaqueSecret(m) {
			return "[redacted]"
		}
		return m
	})
}

// sanitize removes token-like text and control characters and bounds the length.
func sanitize(s string, limit int) string {
	s = redactTokens(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > limit {
		cut := limit
		for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}
