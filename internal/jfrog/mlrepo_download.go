package jfrog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// ErrChecksumMismatch matches a download (or deploy) whose bytes do not
// have the SHA-256 or size the manifest or the server states. Nothing is
// written to the destination when a download fails this way.
var ErrChecksumMismatch = errors.New("jfrog: checksum mismatch")

// DownloadOptions configures DownloadModelVersion. The zero value (or nil)
// means the defaults.
type DownloadOptions struct {
	// Retry is used for the artifact GETs; a zero TryTimeout becomes 30 s
	// plus one second per MiB of the artifact. Zero fields mean azcore's
	// defaults.
	Retry policy.RetryOptions
	// Attempts bounds how often an artifact whose body broke off mid-way is
	// fetched again; 0 means 3.
	Attempts int
}

// DownloadedFile is one verified file of a downloaded model version.
type DownloadedFile struct {
	// ArtifactPath is the path from the manifest.
	ArtifactPath string
	// Path is the local file.
	Path string
	// Size and Sha256 are the verified size and hex SHA-256.
	Size   int64
	Sha256 string
}

// DownloadResult describes a downloaded model version.
type DownloadResult struct {
	// Manifest is the version's manifest as the server returned it.
	Manifest ModelManifest
	// Files are the model artifacts, in manifest order.
	Files []DownloadedFile
}

// GetModelManifest reads the entity manifest of the model version ref (GET
// /artifactory/api/machinelearning/{repo}/model/entity-manifest/{name}/{version}).
func (c *Client) GetModelManifest(ctx context.Context, token secret.Token, ref ModelRef) (ModelManifest, error) {
	repo, name, version := ref.Repo, ref.Name, ref.Version
	if err := validateRef(repo, name, version); err != nil {
		return ModelManifest{}, err
	}
	p := manifestAPIPath(repo, name, version)
	req, err := c.newRequest(ctx, http.MethodGet, p, token, nil)
	if err != nil {
		return ModelManifest{}, err
	}
	resp, err := c.send(req, mlHint(repo, name, version), http.StatusOK)
	if err != nil {
		return ModelManifest{}, err
	}
	raw, err := readBody(resp, maxManifestSize)
	if err != nil {
		return ModelManifest{}, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(p), err)
	}
	m, err := ParseModelManifest(raw)
	if err != nil {
		return ModelManifest{}, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(p), err)
	}
	return m, nil
}

func validateRef(repo, name, version string) error {
	if err := ValidateRepoKey(repo); err != nil {
		return err
	}
	if err := ValidateModelName(name); err != nil {
		return err
	}
	return ValidateModelVersion(version)
}

// DownloadModelVersion downloads the model artifacts of the "files" model
// version ref into destDir (created if needed), at their artifact_path. Each
// artifact is streamed into a temporary file in its destination folder
// while its SHA-256 is computed; the server's X-Checksum-Sha256 and
// Content-Length must match the manifest before the body is read, and the
// bytes received must match the manifest's size and sha2. Only when every
// artifact is verified are the temporary files renamed into place, so a
// failed download writes nothing. A file already at a destination is never
// trusted: it is replaced by the verified download. Files are not fsynced:
// since nothing on disk is ever trusted, a file torn by a crash is simply
// downloaded again, and skipping the flush keeps the download at
// io.Copy speed.
func (c *Client) DownloadModelVersion(ctx context.Context, token secret.Token, ref ModelRef, destDir string, opts *DownloadOptions) (DownloadResult, error) {
	if opts == nil {
		opts = &DownloadOptions{}
	}
	repo, name, version := ref.Repo, ref.Name, ref.Version
	m, err := c.GetModelManifest(ctx, token, ref)
	if err != nil {
		return DownloadResult{}, err
	}
	if m.ModelFormat == nil || m.ModelFormat.Framework != FrameworkFiles {
		return DownloadResult{}, fmt.Errorf("jfrog: model %s version %s in %s is not a %q model (model_format.framework): download it with the SDK of its framework: %w", name, version, repo, FrameworkFiles, ErrInvalidInput)
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return DownloadResult{}, fmt.Errorf("jfrog: create download folder: %w", err)
	}
	res := DownloadResult{Manifest: m}
	var staged []*os.File
	defer func() {
		for _, f := range staged {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for _, a := range m.ModelArtifacts {
		local := filepath.Join(destDir, filepath.FromSlash(a.ArtifactPath))
		rel, err := filepath.Rel(destDir, local)
		if err != nil || !filepath.IsLocal(rel) {
			return res, fmt.Errorf("jfrog: artifact path %q leaves the download folder: %w", a.ArtifactPath, ErrUnavailable)
		}
		src := c.sourcePath(repo, name, version, a)
		tmp, err := c.fetchVerified(ctx, token, repo, src, local, a, opts)
		if err != nil {
			return res, err
		}
		staged = append(staged, tmp)
		res.Files = append(res.Files, DownloadedFile{ArtifactPath: a.ArtifactPath, Path: local, Size: a.Size, Sha256: a.Checksums.Sha2})
	}
	for i, f := range staged {
		if err := f.Close(); err != nil {
			return res, fmt.Errorf("jfrog: close %s: %w", f.Name(), err)
		}
		if err := os.Rename(f.Name(), res.Files[i].Path); err != nil {
			return res, fmt.Errorf("jfrog: move %s into place: %w", res.Files[i].Path, err)
		}
	}
	staged = nil
	return res, nil
}

// sourcePath is the repository path of an artifact: the part of its
// download_url after "/artifactory/{repo}/" (as frogml reads it), else the
// version folder layout models/{name}/{version}/model/{artifact_path}
// (INFERRED). Only the path is used, so the token never goes to another
// host than the client's.
func (c *Client) sourcePath(repo, name, version string, a Artifact) string {
	if u, err := url.Parse(a.DownloadURL); err == nil && a.DownloadURL != "" {
		marker := "/artifactory/" + repo + "/"
		if i := strings.Index(u.Path, marker); i >= 0 {
			if p := u.Path[i+len(marker):]; validateRelPath(p) {
				return p
			}
		}
	}
	return "models/" + name + "/" + version + "/model/" + a.ArtifactPath
}

// fetchVerified downloads one artifact into a temporary file next to
// local and returns it open, verified and positioned at its end. Bodies
// that break off are fetched again up to opts.Attempts times; a checksum
// mismatch is not retried.
func (c *Client) fetchVerified(ctx context.Context, token secret.Token, repo, src, local string, a Artifact, opts *DownloadOptions) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return nil, fmt.Errorf("jfrog: create folder for %s: %w", local, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(local), "."+filepath.Base(local)+".part-*")
	if err != nil {
		return nil, fmt.Errorf("jfrog: create temporary file for %s: %w", local, err)
	}
	attempts := opts.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	for try := 1; ; try++ {
		err = c.fetchOnce(ctx, token, repo, src, a, tmp, opts)
		if err == nil {
			return tmp, nil
		}
		if try >= attempts || !errors.Is(err, errBodyBroken) || ctx.Err() != nil {
			break
		}
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil, err
}

// errBodyBroken marks a body that ended early or failed mid-way.
var errBodyBroken = errors.New("body broken off")

func (c *Client) fetchOnce(ctx context.Context, token secret.Token, repo, src string, a Artifact, dst *os.File, opts *DownloadOptions) error {
	if _, err := dst.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := dst.Truncate(0); err != nil {
		return err
	}
	target := artifactPath(repo, src)
	where := fmt.Sprintf("%s:%s", repo, src)
	req, err := c.newRequest(policy.WithRetryOptions(ctx, transferRetry(opts.Retry, a.Size)), http.MethodGet, target, token, nil)
	if err != nil {
		return err
	}
	req.Raw().Header.Set("Accept", "*/*")
	runtime.SkipBodyDownload(req)
	resp, err := c.send(req, contentHint(repo), http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if got := strings.ToLower(resp.Header.Get("X-Checksum-Sha256")); got != "" && got != a.Checksums.Sha2 {
		return fmt.Errorf("jfrog: download %s: the server reports sha256 %s, the manifest %s: %w", where, got, a.Checksums.Sha2, ErrChecksumMismatch)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != a.Size {
		return fmt.Errorf("jfrog: download %s: the server sends %d bytes, the manifest says %d: %w", where, resp.ContentLength, a.Size, ErrChecksumMismatch)
	}
	h := sha256.New()
	n, err := fanOut(io.LimitReader(resp.Body, a.Size+1), []io.Writer{dst, h})
	var werr *fs.PathError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return fmt.Errorf("jfrog: download %s: %w", where, ctx.Err())
	case errors.As(err, &werr):
		return fmt.Errorf("jfrog: download %s: write %s: %w", where, dst.Name(), err)
	default:
		return fmt.Errorf("jfrog: download %s after %d bytes: %w: %w: %w", where, n, ErrUnavailable, errBodyBroken, err)
	}
	if n < a.Size {
		return fmt.Errorf("jfrog: download %s: got %d of %d bytes: %w: %w", where, n, a.Size, ErrUnavailable, errBodyBroken)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != a.Size || sum != a.Checksums.Sha2 {
		return fmt.Errorf("jfrog: download %s: received %d bytes with sha256 %s, the manifest says %d bytes with %s: nothing was written: %w",
			where, n, sum, a.Size, a.Checksums.Sha2, ErrChecksumMismatch)
	}
	return nil
}
