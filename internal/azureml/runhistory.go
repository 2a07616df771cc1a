package azureml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// A failed job's error is not part of the job resource: JobBase of
// api-version 2025-09-01 has no error property (Azure/azure-rest-api-specs
// …/stable/2025-09-01/mfe.json; the CommandJob get example has none).
// azure-ai-ml reads it from the workspace's run history, and this client
// does the same (sources in internal/devstack/localazureml/runhistory.go,
// which serves the same routes):
//
//  1. GET the workspace (ARM): properties.discoveryUrl;
//  2. GET the discovery URL without a token: its "api" entry is the
//     data-plane base URL (cached per client once found);
//  3. GET {api}/history/v1.0{workspace id}/runs/{job}/details with the ARM
//     token: error.error.{code,message} (RunDetails.error, an
//     ErrorResponse whose error is a RootError).

// NoErrorDetail is the Job.Error of a failed job for which AzureML gives
// no error detail. azure-ai-ml prints "Detailed error not set on the Run.
// Please check the logs for details." in that case
// (operations/_job_ops_helper.py stream_logs_until_completion).
const NoErrorDetail = "AzureML reports no error detail for this job: read its logs in the studio (studio_url)"

// runErrorResponse is the run history's RunDetails, reduced to its error.
type runErrorResponse struct {
	Error *struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"error"`
}

// ParseRunError reads the error of a run history RunDetails body. It
// returns empty strings when the body records no error, and an error when
// the body is not a JSON object. Code and message are bounded and stripped
// of control characters.
func ParseRunError(body []byte) (code, message string, err error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil || probe == nil {
		return "", "", errors.New("decode run details: not a JSON object")
	}
	var r runErrorResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return "", "", fmt.Errorf("decode run details: %w", err)
	}
	if r.Error == nil || r.Error.Error == nil {
		return "", "", nil
	}
	return upstream.Clean(r.Error.Error.Code, upstream.MaxCode), upstream.Clean(r.Error.Error.Message, upstream.MaxMessage), nil
}

// runError returns the run history's error of job name.
func (c *Client) runError(ctx context.Context, name string) (code, message string, err error) {
	base, err := c.historyBase(ctx)
	if err != nil {
		return "", "", err
	}
	op := "read run history of job " + name
	u := base + "/history/v1.0" + c.ws.ID() + "/runs/" + url.PathEscape(name) + "/details"
	resp, err := c.send(ctx, op, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return "", "", err
	}
	b, err := readBody(resp)
	if err != nil {
		return "", "", c.wrapError(op, fmt.Errorf("read reply: %w", err))
	}
	code, message, err = ParseRunError(b)
	if err != nil {
		return "", "", fmt.Errorf("azureml %s: %w", op, err)
	}
	return code, message, nil
}

// historyBase finds the workspace's data-plane base URL through its
// discovery URL and caches it.
func (c *Client) historyBase(ctx context.Context) (string, error) {
	c.mu.Lock()
	base := c.apiBase
	c.mu.Unlock()
	if base != "" {
		return base, nil
	}
	op := "discover the run history of workspace " + c.ws.Name
	var ws struct {
		Properties struct {
			DiscoveryURL string `json:"discoveryUrl"`
		} `json:"properties"`
	}
	if _, err := c.do(ctx, op, http.MethodGet, c.ep+c.ws.ID()+"?api-version="+APIVersion, nil, &ws, http.StatusOK); err != nil {
		return "", err
	}
	disc, err := serviceURL(ws.Properties.DiscoveryURL)
	if err != nil {
		return "", fmt.Errorf("azureml %s: workspace discoveryUrl: %w", op, err)
	}
	// The discovery document is public: azure-ai-ml fetches it without a
	// token, so it goes through the pipeline without the bearer policy.
	req, err := runtime.NewRequest(ctx, http.MethodGet, disc)
	if err != nil {
		return "", fmt.Errorf("azureml %s: build request: %w", op, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.plain.Do(req)
	if err != nil {
		return "", c.wrapError(op, err)
	}
	b, err := readBody(resp)
	if err != nil {
		return "", c.wrapError(op, fmt.Errorf("read reply: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		code, msg := ParseError(b)
		return "", c.responseError(resp, code, msg)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("azureml %s: decode discovery document: %w", op, err)
	}
	api, _ := doc["api"].(string)
	if base, err = serviceURL(api); err != nil {
		return "", fmt.Errorf("azureml %s: discovery entry \"api\": %w", op, err)
	}
	c.mu.Lock()
	c.apiBase = base
	c.mu.Unlock()
	return base, nil
}

// serviceURL checks a service URL AzureML handed out before a token is
// sent to it: absolute https, no credentials, query or fragment. It
// returns it without a trailing slash.
func serviceURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an https URL", upstream.Clean(raw, 200))
	}
	return strings.TrimRight(raw, "/"), nil
}
