package azureml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// APIVersion is the AzureML ARM API version the client speaks.
const APIVersion = "2025-09-01"

const (
	moduleName    = "frogbridge/azureml"
	moduleVersion = "v0.1.0"
	// provider is the resource provider namespace of AzureML.
	provider = "Microsoft.MachineLearningServices"
	// defaultTryTimeout bounds one ARM request attempt.
	defaultTryTimeout = 30 * time.Second
	// defaultPollFrequency is the wait between cancel polls when ARM sends
	// no Retry-After.
	defaultPollFrequency = 5 * time.Second
	// maxBody bounds a response body read into memory.
	maxBody = 4 << 20
)

// Workspace identifies an AzureML workspace.
type Workspace struct {
	// SubscriptionID is the workspace's subscription (AZURE_SUBSCRIPTION_ID).
	SubscriptionID string
	// ResourceGroup is the workspace's resource group (AZURE_RESOURCE_GROUP).
	ResourceGroup string
	// Name is the workspace name (AZUREML_WORKSPACE_NAME).
	Name string
}

// ID returns the workspace's ARM resource ID.
func (w Workspace) ID() string {
	return "/subscriptions/" + w.SubscriptionID + "/resourceGroups/" + w.ResourceGroup +
		"/providers/" + provider + "/workspaces/" + w.Name
}

// ClientOptions configure a Client. The zero value talks to the public
// cloud; another cloud, or the local stack, sets Cloud (its
// ResourceManager service gives the ARM endpoint and token audience, as for
// every arm client).
type ClientOptions struct {
	arm.ClientOptions
	// PollFrequency is the wait between polls of a cancellation when ARM
	// sends no Retry-After (default 5s).
	PollFrequency time.Duration
	// SettingNames are the caller's setting names that fix hints name.
	SettingNames SettingNames
}

// Client calls AzureML's ARM API for one workspace. A Client is safe for
// concurrent use.
type Client struct {
	ws Workspace
	ep string
	pl runtime.Pipeline
	// plain is pl without the bearer policy, for the public discovery
	// document.
	plain    runtime.Pipeline
	pollFreq time.Duration
	settings SettingNames

	mu      sync.Mutex
	apiBase string // data-plane base URL, once discovered
}

// NewClient returns a client for workspace ws that authenticates with cred.
// RP registration is always disabled: the workspace exists, so the
// provider is registered.
func NewClient(ws Workspace, cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	names := opts.SettingNames
	var missing []string
	if ws.SubscriptionID == "" {
		missing = append(missing, upstream.Setting(names.SubscriptionID, "the subscription ID"))
	}
	if ws.ResourceGroup == "" {
		missing = append(missing, upstream.Setting(names.ResourceGroup, "the resource group"))
	}
	if ws.Name == "" {
		missing = append(missing, upstream.Setting(names.Workspace, "the workspace name"))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("azureml: workspace incomplete: set %s", strings.Join(missing, ", "))
	}
	for _, part := range []string{ws.SubscriptionID, ws.ResourceGroup, ws.Name} {
		if strings.ContainsAny(part, "/?#% ") {
			return nil, fmt.Errorf("azureml: workspace part %q contains a character not allowed in an ARM path: check %s", part, names.workspace())
		}
	}
	if cred == nil {
		return nil, errors.New("azureml: a token credential is required")
	}
	co := opts.ClientOptions
	co.DisableRPRegistration = true
	// Request bodies carry registry passwords: never log them.
	co.Logging.IncludeBody = false
	if co.Retry.TryTimeout == 0 {
		co.Retry.TryTimeout = defaultTryTimeout
	}
	cfg, err := resourceManager(co.Cloud)
	if err != nil {
		return nil, err
	}
	co.Cloud = cloud.Configuration{
		ActiveDirectoryAuthorityHost: co.Cloud.ActiveDirectoryAuthorityHost,
		Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: cfg},
	}
	ac, err := arm.NewClient(moduleName, moduleVersion, cred, &co)
	if err != nil {
		return nil, fmt.Errorf("azureml: build ARM pipeline: %w", err)
	}
	freq := opts.PollFrequency
	if freq <= 0 {
		freq = defaultPollFrequency
	}
	plain := runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{}, &co.ClientOptions)
	return &Client{ws: ws, ep: strings.TrimRight(ac.Endpoint(), "/"), pl: ac.Pipeline(), plain: plain, pollFreq: freq, settings: names}, nil
}

// resourceManager returns the ARM service of c (the public cloud's when c
// has none) after checking its endpoint.
func resourceManager(c cloud.Configuration) (cloud.ServiceConfiguration, error) {
	cfg, ok := c.Services[cloud.ResourceManager]
	if !ok {
		cfg = cloud.AzurePublic.Services[cloud.ResourceManager]
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" {
		return cfg, fmt.Errorf("azureml: invalid ARM endpoint %q: use a URL such as https://management.azure.com", cfg.Endpoint)
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	return cfg, nil
}

// Workspace returns the workspace the client works on.
func (c *Client) Workspace() Workspace { return c.ws }

// Endpoint returns the ARM endpoint the client talks to.
func (c *Client) Endpoint() string { return c.ep }

// ComputeID returns the ARM resource ID of the workspace compute name.
func (c *Client) ComputeID(name string) string {
	return c.ws.ID() + "/computes/" + name
}

// EnvironmentID returns the ARM resource ID of environment name at version.
func (c *Client) EnvironmentID(name, version string) string {
	return c.ws.ID() + "/environments/" + name + "/versions/" + version
}

// StudioURL returns the AzureML studio page of job: the Studio service
// endpoint AzureML reports, else the public cloud's
// https://ml.azure.com/runs/{job}?wsid=… form.
func (c *Client) StudioURL(job Job) string {
	if s, ok := job.Services["Studio"]; ok && s.Endpoint != "" {
		return s.Endpoint
	}
	wsid := "/subscriptions/" + c.ws.SubscriptionID + "/resourcegroups/" + c.ws.ResourceGroup + "/workspaces/" + c.ws.Name
	return "https://ml.azure.com/runs/" + url.PathEscape(job.Name) + "?wsid=" + url.QueryEscape(wsid)
}

// url returns the absolute URL of path below the workspace, with the API
// version.
func (c *Client) url(path string) string {
	return c.ep + c.ws.ID() + path + "?api-version=" + APIVersion
}

// send issues one request and returns the response when its status is one
// of ok. body, when non-nil, is sent as JSON. Any other status becomes a
// *upstream.ResponseError; the response body is closed in that case.
func (c *Client) send(ctx context.Context, op, method, rawURL string, body any, ok ...int) (*http.Response, error) {
	req, err := runtime.NewRequest(ctx, method, rawURL)
	if err != nil {
		return nil, fmt.Errorf("azureml %s: build request: %w", op, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return nil, fmt.Errorf("azureml %s: encode request: %w", op, err)
		}
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return nil, c.wrapError(op, err)
	}
	if slices.Contains(ok, resp.StatusCode) {
		return resp, nil
	}
	payload, _ := readBody(resp)
	code, msg := ParseError(payload)
	return nil, c.responseError(resp, code, msg)
}

// do sends a request and decodes a JSON reply into out (when non-nil).
func (c *Client) do(ctx context.Context, op, method, rawURL string, body, out any, ok ...int) (int, error) {
	resp, err := c.send(ctx, op, method, rawURL, body, ok...)
	if err != nil {
		return 0, err
	}
	payload, err := readBody(resp)
	if err != nil {
		return 0, c.wrapError(op, fmt.Errorf("read reply: %w", err))
	}
	if out != nil && len(payload) > 0 {
		if err := json.Unmarshal(payload, out); err != nil {
			return 0, fmt.Errorf("azureml %s: decode reply: %w", op, err)
		}
	}
	return resp.StatusCode, nil
}

// readBody reads and closes a bounded response body.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("reply larger than %d bytes", maxBody)
	}
	return b, nil
}

// pollOptions returns the cancel poll options.
func (c *Client) pollOptions() *runtime.PollUntilDoneOptions {
	return &runtime.PollUntilDoneOptions{Frequency: c.pollFreq}
}
