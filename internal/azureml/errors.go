package azureml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrBadRequest is a 400: AzureML rejected the request's content.
	ErrBadRequest = errors.New("azureml: bad request")
	// ErrUnauthorized means no valid ARM token reached AzureML: the identity
	// could not get one, or ARM rejected it (401).
	ErrUnauthorized = errors.New("azureml: unauthorized")
	// ErrForbidden is a 403: the identity lacks a role on the workspace.
	ErrForbidden = errors.New("azureml: forbidden")
	// ErrNotFound is a 404: the workspace, job, environment or datastore
	// does not exist.
	ErrNotFound = errors.New("azureml: not found")
	// ErrConflict is a 409: the resource is in a state that forbids the call.
	ErrConflict = errors.New("azureml: conflict")
	// ErrUnavailable is a 429/5xx left after retries or a failed connection.
	ErrUnavailable = errors.New("azureml: unavailable")
	// ErrInvalidName means a name or version does not match AzureML's rules;
	// it is returned before any request is sent.
	ErrInvalidName = errors.New("azureml: invalid name")
)

// ResponseError is a non-2xx reply from AzureML's ARM API.
type ResponseError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is ARM's error code, such as ResourceNotFound or
	// AuthorizationFailed.
	Code string
	// Message is ARM's message, bounded and stripped of control characters.
	Message string
	// Op names the call ("submit job run-42").
	Op string
	// Fix says what to change, when known.
	Fix string
}

// Error names the operation, status, code, message and fix.
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "azureml %s: %d", e.Op, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
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

// maxErrorMessage bounds the upstream message kept in a ResponseError.
const maxErrorMessage = 500

// ErrorBody is ARM's common error response,
// {"error":{"code","message","details"}}.
type errorBody struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ParseError builds the ResponseError for a reply with the given status and
// body. It never fails: a body that is not ARM's error shape yields an
// error carrying only the status. The body itself is never kept.
func ParseError(status int, body []byte) *ResponseError {
	e := &ResponseError{StatusCode: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		e.Code = clean(eb.Error.Code, 100)
		e.Message = clean(eb.Error.Message, maxErrorMessage)
	}
	if e.Code == "" {
		e.Code = http.StatusText(status)
	}
	return e
}

// fix names the change that resolves a failed call on workspace ws.
func (c *Client) fix(e *ResponseError) string {
	ws := c.ws.Name
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Sprintf("ARM rejected the identity's token: use an identity of the workspace's tenant and check the ARM endpoint setting (%s)", c.ep)
	case http.StatusForbidden:
		return fmt.Sprintf("assign the AzureML Data Scientist role to the function app's identity on workspace %s (resource group %s)", ws, c.ws.ResourceGroup)
	case http.StatusNotFound:
		switch e.Code {
		case "WorkspaceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound", "ParentResourceNotFound", "InvalidSubscriptionId":
			return fmt.Sprintf("workspace %s not found in resource group %s of subscription %s: check AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZUREML_WORKSPACE_NAME",
				ws, c.ws.ResourceGroup, c.ws.SubscriptionID)
		}
	case http.StatusTooManyRequests:
		return "AzureML throttled the call after retries: try again later"
	}
	return ""
}

// wrapError is the single place that turns a transport or credential
// failure into this package's errors.
func (c *Client) wrapError(op string, err error) error {
	var re *ResponseError
	if errors.As(err, &re) {
		return err
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return fmt.Errorf("azureml %s: get an ARM token with the managed identity (check UAMI_CLIENT_ID and that the identity is assigned to the app): %w: %w", op, ErrUnauthorized, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("azureml %s: no reply before the deadline: %w", op, err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("azureml %s: ARM host not found: check the ARM endpoint setting (%s): %w: %w", op, c.ep, ErrUnavailable, err)
	}
	return fmt.Errorf("azureml %s: %w: %w", op, ErrUnavailable, err)
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
