package azureml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Service names AzureML in a *upstream.ResponseError.
const Service = "azureml"

// ErrInvalidName means a name or version does not match AzureML's rules;
// it is returned before any request is sent.
var ErrInvalidName = errors.New("azureml: invalid name")

// SettingNames are the caller's names for the settings the client's fix
// hints point at; an empty name gives neutral wording.
type SettingNames struct {
	// ClientID is the managed identity's client ID setting.
	ClientID string
	// SubscriptionID, ResourceGroup and Workspace name the workspace.
	SubscriptionID, ResourceGroup, Workspace string
	// Endpoint is the ARM endpoint setting.
	Endpoint string
	// RegistryHost is the container registry host setting.
	RegistryHost string
}

// workspace names the workspace settings.
func (n SettingNames) workspace() string {
	if n.SubscriptionID == "" || n.ResourceGroup == "" || n.Workspace == "" {
		return "the workspace's subscription, resource group and name"
	}
	return n.SubscriptionID + ", " + n.ResourceGroup + " and " + n.Workspace
}

// errorBody is ARM's common error response,
// {"error":{"code","message","details"}}.
type errorBody struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ParseError returns the code and message of an ARM error body. It never
// fails: a body that is not ARM's error shape yields "", "". The body
// itself is never kept.
func ParseError(body []byte) (code, message string) {
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		return eb.Error.Code, eb.Error.Message
	}
	return "", ""
}

// responseError is the single place that builds the *upstream.ResponseError
// for a failed ARM reply with the code and message of its body.
func (c *Client) responseError(resp *http.Response, code, message string) *upstream.ResponseError {
	e := upstream.New(Service, resp, code, message)
	e.Fix = c.fix(e)
	return e
}

// fix names the change that resolves a failed call on the workspace.
func (c *Client) fix(e *upstream.ResponseError) string {
	ws := c.ws.Name
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Sprintf("ARM rejected the identity's token: use an identity of the workspace's tenant and check %s (%s)", upstream.Setting(c.settings.Endpoint, "the ARM endpoint"), c.ep)
	case http.StatusForbidden:
		return fmt.Sprintf("assign the AzureML Data Scientist role to the identity on workspace %s (resource group %s)", ws, c.ws.ResourceGroup)
	case http.StatusNotFound:
		switch e.Code {
		case "WorkspaceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound", "ParentResourceNotFound", "InvalidSubscriptionId":
			return fmt.Sprintf("workspace %s not found in resource group %s of subscription %s: check %s",
				ws, c.ws.ResourceGroup, c.ws.SubscriptionID, c.settings.workspace())
		}
	case http.StatusTooManyRequests:
		return "AzureML throttled the call after retries: try again later"
	}
	return ""
}

// wrapError is the single place that turns a transport or credential
// failure into this package's errors.
func (c *Client) wrapError(op string, err error) error {
	var re *upstream.ResponseError
	if errors.As(err, &re) {
		return err
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return fmt.Errorf("azureml %s: get an ARM token with the managed identity (check %s and that the identity is assigned to the app): %w: %w",
			op, upstream.Setting(c.settings.ClientID, "the identity's client ID"), upstream.ErrUnauthorized, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("azureml %s: no reply before the deadline: %w", op, err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("azureml %s: ARM host not found: check %s (%s): %w: %w", op, upstream.Setting(c.settings.Endpoint, "the ARM endpoint"), c.ep, upstream.ErrUnavailable, err)
	}
	return fmt.Errorf("azureml %s: %w: %w", op, upstream.ErrUnavailable, err)
}
