package jfrog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// itemCreated is the part of Artifactory's deploy reply that is checked.
type itemCreated struct {
	Checksums struct {
		Sha256 string `json:"sha256"`
	} `json:"checksums"`
}

// setChecksumHeaders adds X-Checksum-Sha256 and, when computed,
// X-Checksum-Sha1 and X-Checksum-Md5; Artifactory refuses a deploy whose
// content does not match them.
func setChecksumHeaders(h http.Header, d digest) {
	h.Set("X-Checksum-Sha256", d.Sha256)
	if d.Sha1 != "" {
		h.Set("X-Checksum-Sha1", d.Sha1)
	}
	if d.Md5 != "" {
		h.Set("X-Checksum-Md5", d.Md5)
	}
}

// deployByChecksum tries PUT /artifactory/{repo}/{p} with
// X-Checksum-Deploy: true and no body. It reports true when the server
// already held the content (200/201) and false, meaning "send the bytes",
// on any other status, as frogml 1.2.46 does: ArtifactoryApi.checksum_deployment
// (frogml/storage/artifactory/_artifactory_api.py) returns False
// "if response.status_code != 200 and response.status_code != 201" and
// FrogMLStorage then uploads the content. The exceptions are 500, 502, 503
// and 504: frogml's HTTP client retries them (urllib3 Retry,
// status_forcelist [500, 502, 503, 504], frogml/storage/http/http_client.py)
// and raises once its retries are spent, so they fail here too, after
// azcore's retries. A failure to get any reply is an error.
func (c *Client) deployByChecksum(ctx context.Context, token secret.Token, repo, p string, d digest) (bool, error) {
	target := artifactPath(repo, p)
	req, err := c.newRequest(ctx, http.MethodPut, target, token, nil)
	if err != nil {
		return false, err
	}
	req.Raw().Header.Set("X-Checksum-Deploy", "true")
	setChecksumHeaders(req.Raw().Header, d)
	resp, err := c.send(req, contentHint(repo), http.StatusOK, http.StatusCreated)
	var re *upstream.ResponseError
	if errors.As(err, &re) && !checksumDeployFails(re.StatusCode) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	raw, err := readBody(resp, 1<<20)
	if err != nil {
		return false, fmt.Errorf("jfrog: PUT %s: %w", c.endpoint(target), err)
	}
	if err := checkCreated(raw, d); err != nil {
		return false, fmt.Errorf("jfrog: PUT %s: %w", c.endpoint(target), err)
	}
	return true, nil
}

// checksumDeployFails reports the checksum-deploy statuses that fail the
// upload instead of falling back to the content: those frogml's HTTP client
// retries and then raises on.
func checksumDeployFails(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// deployContent streams the file at local to /artifactory/{repo}/{p} with
// its checksums. The body is the open file, so a retry rewinds it instead
// of buffering it.
func (c *Client) deployContent(ctx context.Context, token secret.Token, repo, p, local string, d digest, retry policy.RetryOptions) error {
	target := artifactPath(repo, p)
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("jfrog: upload %s: %w", local, err)
	}
	defer f.Close()
	req, err := c.newRequest(policy.WithRetryOptions(ctx, transferRetry(retry, d.Size)), http.MethodPut, target, token, nil)
	if err != nil {
		return err
	}
	setChecksumHeaders(req.Raw().Header, d)
	if err := req.SetBody(fileBody{f}, "application/octet-stream"); err != nil {
		return fmt.Errorf("jfrog: upload %s: %w", local, err)
	}
	if req.Raw().ContentLength != d.Size {
		return fmt.Errorf("jfrog: upload %s: the file is %d bytes now, %d when hashed: it changed while uploading", local, req.Raw().ContentLength, d.Size)
	}
	resp, err := c.send(req, contentHint(repo), http.StatusOK, http.StatusCreated)
	if err != nil {
		return err
	}
	raw, err := readBody(resp, 1<<20)
	if err != nil {
		return fmt.Errorf("jfrog: PUT %s: %w", c.endpoint(target), err)
	}
	if err := checkCreated(raw, d); err != nil {
		return fmt.Errorf("jfrog: PUT %s: %w", c.endpoint(target), err)
	}
	return nil
}

// checkCreated compares the SHA-256 of a deploy reply, when it has one,
// with the file's.
func checkCreated(raw []byte, d digest) error {
	var ic itemCreated
	if len(raw) == 0 || json.Unmarshal(raw, &ic) != nil || ic.Checksums.Sha256 == "" {
		return nil
	}
	if !strings.EqualFold(ic.Checksums.Sha256, d.Sha256) {
		return fmt.Errorf("the server stored sha256 %s, the file has %s: %w", ic.Checksums.Sha256, d.Sha256, ErrChecksumMismatch)
	}
	return nil
}
