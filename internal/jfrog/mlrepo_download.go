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
	"github.com/frogbridge/frogbridge/internal/upstream"
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
	// Replace allows a non-empty destination folder: it is swapped out for
	// the verified download and removed. Without it such a folder is an
	// error.
	Replace bool
	// Only, when set, is asked for each artifact_path of the manifest;
	// artifacts it returns false for are neither downloaded nor listed in
	// DownloadResult.Files (the manifest stays whole).
	Only func(artifactPath string) bool
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
	return c.getManifest(ctx, token, modelKind, ref.Repo, ref.Name, ref.Version)
}

// GetDatasetManifest reads the entity manifest of the dataset version ref
// (GET /artifactory/api/machinelearning/{repo}/dataset/entity-manifest/{name}/{version}).
func (c *Client) GetDatasetManifest(ctx context.Context, token secret.Token, ref DatasetRef) (DatasetManifest, error) {
	m, err := c.getManifest(ctx, token, datasetKind, ref.Repo, ref.Name, ref.Version)
	if err != nil {
		return DatasetManifest{}, err
	}
	return DatasetManifest{ID: m.ID, Version: m.Version, CreatedDate: m.CreatedDate, DatasetArtifacts: m.ModelArtifacts}, nil
}

// getManifest reads a manifest of kind k; a dataset's artifacts are
// returned in ModelArtifacts.
func (c *Client) getManifest(ctx context.Context, token secret.Token, k entityKind, repo, name, version string) (ModelManifest, error) {
	if err := validateRef(repo, name, version); err != nil {
		return ModelManifest{}, err
	}
	p := manifestAPIPath(k, repo, name, version)
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
	m, err := parseEntityManifest(k, raw)
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
// version ref into destDir, at their artifact_path. The whole version is
// staged in one new temporary folder beside destDir, opened as an os.Root
// so no path or symbolic link can lead a write outside it; each artifact
// is streamed into it while its SHA-256 is computed (the server's
// X-Checksum-Sha256 and Content-Length must match the manifest before the
// body is read, and the bytes received must match the manifest's size and
// sha2). Only when every artifact is verified is the folder renamed to
// destDir, in one rename: a failed download leaves nothing, and no file
// already at the destination is ever trusted or written through. destDir
// must not exist or be an empty folder, unless opts.Replace is set (then a
// folder there is swapped out and removed once the new one is in place);
// a symbolic link there is refused. Manifests where one artifact path is
// inside another are refused before any request for content. Files are
// not fsynced: since nothing on disk is ever trusted, a folder torn by a
// crash is simply downloaded again.
func (c *Client) DownloadModelVersion(ctx context.Context, token secret.Token, ref ModelRef, destDir string, opts *DownloadOptions) (DownloadResult, error) {
	return c.downloadEntity(ctx, token, modelKind, ref.Repo, ref.Name, ref.Version, destDir, opts)
}

// DownloadDatasetVersion downloads the files of the dataset version ref into
// destDir, with the guarantees of DownloadModelVersion.
func (c *Client) DownloadDatasetVersion(ctx context.Context, token secret.Token, ref DatasetRef, destDir string, opts *DownloadOptions) (DownloadResult, error) {
	return c.downloadEntity(ctx, token, datasetKind, ref.Repo, ref.Name, ref.Version, destDir, opts)
}

func (c *Client) downloadEntity(ctx context.Context, token secret.Token, k entityKind, repo, name, version, destDir string, opts *DownloadOptions) (DownloadResult, error) {
	if opts == nil {
		opts = &DownloadOptions{}
	}
	m, err := c.getManifest(ctx, token, k, repo, name, version)
	if err != nil {
		return DownloadResult{}, err
	}
	if k == modelKind && (m.ModelFormat == nil || m.ModelFormat.Framework != FrameworkFiles) {
		return DownloadResult{}, fmt.Errorf("jfrog: model %s version %s in %s is not a %q model (model_format.framework): download it with the SDK of its framework: %w", name, version, repo, FrameworkFiles, ErrInvalidInput)
	}
	exists, replace, err := checkDestination(destDir, opts.Replace)
	if err != nil {
		return DownloadResult{}, err
	}
	parent := filepath.Dir(filepath.Clean(destDir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return DownloadResult{}, fmt.Errorf("jfrog: create download folder: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(destDir)+".part-*")
	if err != nil {
		return DownloadResult{}, fmt.Errorf("jfrog: create staging folder for %s: %w", destDir, err)
	}
	defer func() {
		if stage != "" {
			os.RemoveAll(stage)
		}
	}()
	root, err := os.OpenRoot(stage)
	if err != nil {
		return DownloadResult{}, fmt.Errorf("jfrog: open staging folder: %w", err)
	}
	defer root.Close()
	res := DownloadResult{Manifest: m}
	for _, a := range m.ModelArtifacts {
		if opts.Only != nil && !opts.Only(a.ArtifactPath) {
			continue
		}
		rel := filepath.FromSlash(a.ArtifactPath)
		if !filepath.IsLocal(rel) {
			return res, fmt.Errorf("jfrog: artifact path %q leaves the download folder: %w", a.ArtifactPath, upstream.ErrUnavailable)
		}
		src := c.sourcePath(k, repo, name, version, a)
		if err := c.fetchVerified(ctx, token, repo, src, root, rel, a, opts); err != nil {
			return res, err
		}
		res.Files = append(res.Files, DownloadedFile{ArtifactPath: a.ArtifactPath, Path: filepath.Join(destDir, rel), Size: a.Size, Sha256: a.Checksums.Sha2})
	}
	root.Close()
	switch {
	case replace:
		old := stage + ".old"
		if err := os.Rename(destDir, old); err != nil {
			return res, fmt.Errorf("jfrog: move the previous %s aside: %w", destDir, err)
		}
		defer os.RemoveAll(old)
	case exists:
		// os.Rename refuses an existing folder as the target, even an empty one
		if err := os.Remove(destDir); err != nil {
			return res, fmt.Errorf("jfrog: download folder %s: %w", destDir, err)
		}
	}
	if err := os.Rename(stage, destDir); err != nil {
		return res, fmt.Errorf("jfrog: move the downloaded %s %s into %s: %w", k.noun, version, destDir, err)
	}
	stage = ""
	return res, nil
}

// checkDestination checks what is at destDir and reports whether a folder
// is there and whether it must be swapped out (it is not empty).
func checkDestination(destDir string, replace bool) (exists, swap bool, err error) {
	st, err := os.Lstat(destDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("jfrog: download folder %s: %w", destDir, err)
	case st.Mode()&fs.ModeSymlink != 0:
		return false, false, fmt.Errorf("jfrog: download folder %s is a symbolic link: give a real folder: %w", destDir, ErrInvalidInput)
	case !st.IsDir():
		return false, false, fmt.Errorf("jfrog: download folder %s is a file: give a folder: %w", destDir, ErrInvalidInput)
	}
	entries, err := os.ReadDir(destDir)
	if err != nil {
		return false, false, fmt.Errorf("jfrog: download folder %s: %w", destDir, err)
	}
	if len(entries) > 0 && !replace {
		return false, false, fmt.Errorf("jfrog: download folder %s is not empty: give a new or empty folder: %w", destDir, ErrInvalidInput)
	}
	return true, len(entries) > 0, nil
}

// sourcePath is the repository path of an artifact: the part of its
// download_url after "/artifactory/{repo}/" (as frogml reads it), else the
// version folder layout {models,datasets}/{name}/{version}/{model,dataset}/{artifact_path}
// (INFERRED). Only the path is used, so the token never goes to another
// host than the client's.
func (c *Client) sourcePath(k entityKind, repo, name, version string, a Artifact) string {
	if u, err := url.Parse(a.DownloadURL); err == nil && a.DownloadURL != "" {
		marker := "/artifactory/" + repo + "/"
		if i := strings.Index(u.Path, marker); i >= 0 {
			if p := u.Path[i+len(marker):]; validateRelPath(p) {
				return p
			}
		}
	}
	return k.root + "/" + name + "/" + version + "/" + k.group + "/" + a.ArtifactPath
}

// fetchVerified downloads one artifact into a new file rel under root.
// Bodies that break off are fetched again up to opts.Attempts times; a
// checksum mismatch is not retried.
func (c *Client) fetchVerified(ctx context.Context, token secret.Token, repo, src string, root *os.Root, rel string, a Artifact, opts *DownloadOptions) error {
	if dir := filepath.Dir(rel); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("jfrog: create folder for %s: %w", a.ArtifactPath, err)
		}
	}
	f, err := root.OpenFile(rel, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("jfrog: create %s in the staging folder: %w", a.ArtifactPath, err)
	}
	defer f.Close()
	attempts := opts.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	for try := 1; ; try++ {
		err = c.fetchOnce(ctx, token, repo, src, a, f, opts)
		if err == nil {
			return f.Close()
		}
		if try >= attempts || !errors.Is(err, errBodyBroken) || ctx.Err() != nil {
			return err
		}
	}
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
		return fmt.Errorf("jfrog: download %s after %d bytes: %w: %w: %w", where, n, upstream.ErrUnavailable, errBodyBroken, err)
	}
	if n < a.Size {
		return fmt.Errorf("jfrog: download %s: got %d of %d bytes: %w: %w", where, n, a.Size, upstream.ErrUnavailable, errBodyBroken)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != a.Size || sum != a.Checksums.Sha2 {
		return fmt.Errorf("jfrog: download %s: received %d bytes with sha256 %s, the manifest says %d bytes with %s: nothing was written: %w",
			where, n, sum, a.Size, a.Checksums.Sha2, ErrChecksumMismatch)
	}
	return nil
}
