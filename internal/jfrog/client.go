package jfrog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const (
	moduleName    = "frogbridge/jfrog"
	moduleVersion = "v1.0.0"

	// defaultTryTimeout bounds a single HTTP attempt when the caller sets none.
	defaultTryTimeout = 30 * time.Second
)

// ClientOptions configures a Client. The zero value (or nil) means the
// defaults: three retries with backoff from 800 ms, a 30 s per-try timeout
// and the system trust store (SSL_CERT_FILE is honoured).
type ClientOptions struct {
	azcore.ClientOptions

	// SettingNames are the caller's setting names that fix hints name.
	SettingNames SettingNames
}

// Client talks to one JFrog Platform. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	pipeline runtime.Pipeline
	settings SettingNames
}

// NewClient returns a client for the JFrog Platform at baseURL, the platform
// root (https://acme.jfrog.io). A trailing "/artifactory" is removed, so the
// Artifactory URL works too. Plain http is refused unless the host is a
// loopback address or opts.InsecureAllowCredentialWithHTTP is set, because
// every call carries a credential.
func NewClient(baseURL string, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("jfrog: invalid platform URL %q: set %s to the platform root such as https://acme.jfrog.io", baseURL, upstream.Setting(opts.SettingNames.PlatformURL, "the platform URL"))
	}
	if u.Scheme == "http" && !opts.InsecureAllowCredentialWithHTTP && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("jfrog: platform URL %q uses plain http: use https in %s", baseURL, upstream.Setting(opts.SettingNames.PlatformURL, "the platform URL"))
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/artifactory")
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	co := opts.ClientOptions
	if co.Retry.TryTimeout == 0 {
		co.Retry.TryTimeout = defaultTryTimeout
	}
	pl := runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{}, &co)
	return &Client{base: u, pipeline: pl, settings: opts.SettingNames}, nil
}

// BaseURL returns the platform root the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// endpoint joins the platform root with path (which starts with "/").
func (c *Client) endpoint(path string) string {
	return strings.TrimRight(c.base.String(), "/") + path
}

// newRequest builds a request for path under the platform root. A non-empty
// token becomes a Bearer Authorization header; body, when non-nil, is sent
// as JSON and can be replayed by the retry policy.
func (c *Client) newRequest(ctx context.Context, method, path string, token secret.Token, body any) (*policy.Request, error) {
	req, err := runtime.NewRequest(ctx, method, c.endpoint(path))
	if err != nil {
		return nil, fmt.Errorf("jfrog: build %s %s: %w", method, path, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if !token.IsZero() {
		req.Raw().Header.Set("Authorization", "Bearer "+token.Reveal())
	}
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return nil, fmt.Errorf("jfrog: encode %s %s: %w", method, path, err)
		}
	}
	return req, nil
}

// send runs req through the pipeline. It returns the response when its
// status is one of ok (the caller closes the body); otherwise it consumes
// the body and returns the *upstream.ResponseError built by
// newResponseError, with hint giving the fix for a status when one is known.
func (c *Client) send(req *policy.Request, hint func(status int) string, ok ...int) (*http.Response, error) {
	method, path := req.Raw().Method, req.Raw().URL.Path
	resp, err := c.pipeline.Do(req)
	if err != nil {
		return nil, transportError(method, c.endpoint(path), err)
	}
	if runtime.HasStatusCode(resp, ok...) {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, newResponseError(resp, hint)
}

// transportError wraps a failure to get any reply. The text of url.Error
// holds only the URL, which never carries a credential here.
func transportError(method, endpoint string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("jfrog: %s %s: no reply before the deadline: %w", method, endpoint, err)
	}
	return fmt.Errorf("jfrog: %s %s: %w: %w", method, endpoint, upstream.ErrUnavailable, err)
}

// readBody reads at most limit bytes of a success body.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read reply: %w: %w", upstream.ErrUnavailable, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("reply larger than %d bytes", limit)
	}
	return b, nil
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
