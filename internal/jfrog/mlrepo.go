package jfrog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// ModelFile is one local file of a model version.
type ModelFile struct {
	// Name is the artifact path inside the version, such as "model.json"
	// or "sub/weights.bin" (see ValidateArtifactPath).
	Name string
	// Path is the local file to upload.
	Path string
}

// UploadOptions configures UploadModelVersion. The zero value (or nil)
// means the defaults.
type UploadOptions struct {
	// SerializationFormat is model_format.serialization_format; "" means
	// the extension of the first file ("json" for model.json).
	SerializationFormat string
	// FrameworkVersion is model_format.framework_version ("" by default,
	// as frogml writes for "files" models).
	FrameworkVersion string
	// Runtime and RuntimeVersion describe what wrote the model; "" means
	// "go" and the Go version of this binary.
	Runtime, RuntimeVersion string
	// AllChecksums adds X-Checksum-Sha1 and X-Checksum-Md5 to the
	// X-Checksum-Sha256 of every deploy, as jfrog-client-go does. frogml
	// sends SHA-256 only and Artifactory needs only one; MD5 makes the hash
	// pass about three times longer, so this is off by default.
	AllChecksums bool
	// DisableChecksumDeploy sends every file's content without first trying
	// a deploy by checksum.
	DisableChecksumDeploy bool
	// Properties are stored on the version (additionalData of the
	// manifest), such as metrics and provenance; see ValidateProperty.
	Properties map[string]string
	// Retry is used for the calls that need their own retry rules: the
	// start-transaction POST (retried only when the server did not process
	// it) and content transfers (per-try timeout scaled with the size).
	// Zero fields mean azcore's defaults.
	Retry policy.RetryOptions
}

// UploadResult describes a stored model version.
type UploadResult struct {
	// Repo, Name and Version identify the version.
	Repo, Name, Version string
	// URL is the version's entity-manifest URL.
	URL string
	// Manifest is the manifest that was stored.
	Manifest ModelManifest
	// BytesSent counts file content sent; files the server already held
	// (deployed by checksum) add nothing.
	BytesSent int64
	// ChecksumDeployed counts files deployed by checksum.
	ChecksumDeployed int
}

// startReply is the start-transaction reply frogml reads.
type startReply struct {
	FilesUploadPath        string `json:"filesUploadPath"`
	LeadUploadPath         string `json:"leadUploadPath"`
	DependenciesUploadPath string `json:"dependenciesUploadPath"`
	CodeUploadPath         string `json:"codeUploadPath"`
	TransactionID          string `json:"transactionId"`
}

// UploadModelVersion stores files as the model version ref, the way
// frogml's log_model does: every file is
// hashed first (one pass), then a transaction is started (POST
// .../model/{name}/start-transaction/{version}), each file is deployed by
// checksum (PUT with X-Checksum-Deploy: true and X-Checksum-Sha256, plus
// SHA-1 and MD5 with opts.AllChecksums; 200/201 means the server already held the content) and otherwise
// by content (streamed from the file with the same checksum headers, so
// the server rejects bytes that changed since hashing), and the
// transaction is closed with the entity manifest (framework "files") and
// opts.Properties as additionalData. Names, version, properties and paths
// are validated before any request. An empty ref.Version gets frogml's
// default, the UTC time as 2006-01-02-15-04-05-000.
func (c *Client) UploadModelVersion(ctx context.Context, token secret.Token, ref ModelRef, files []ModelFile, opts *UploadOptions) (UploadResult, error) {
	return c.uploadEntity(ctx, token, modelKind, ref, files, opts)
}

// UploadDatasetVersion stores files as the dataset version ref in a
// Machine Learning repository, the way frogml's upload_dataset_version
// does: the protocol of UploadModelVersion with the dataset entity (POST
// .../dataset/{name}/start-transaction/{version}, PUT
// .../dataset/entity-manifest/{name}/{version}/{transactionId} with the
// datasetManifest part holding {"created_date","dataset_artifacts"})
// [frogml storage frog_ml.py __upload_entity_version,
// artifactory/_artifactory_api.py start_transaction, end_transaction].
// opts.SerializationFormat and the runtime fields are not used: a dataset
// manifest has no model_format. res.Manifest lists the files in
// ModelArtifacts.
func (c *Client) UploadDatasetVersion(ctx context.Context, token secret.Token, ref DatasetRef, files []ModelFile, opts *UploadOptions) (UploadResult, error) {
	return c.uploadEntity(ctx, token, datasetKind, ModelRef(ref), files, opts)
}

// uploadEntity is UploadModelVersion for either entity kind.
func (c *Client) uploadEntity(ctx context.Context, token secret.Token, k entityKind, ref ModelRef, files []ModelFile, opts *UploadOptions) (UploadResult, error) {
	if opts == nil {
		opts = &UploadOptions{}
	}
	repo, name, version, props := ref.Repo, ref.Name, ref.Version, opts.Properties
	now := time.Now()
	if version == "" {
		s := now.UTC().Format("2006-01-02-15-04-05.000")
		version = strings.Replace(s, ".", "-", 1)
	}
	if err := validateUpload(repo, name, version, files, props); err != nil {
		return UploadResult{}, err
	}
	if err := ValidateFrameworkVersion(opts.FrameworkVersion); err != nil {
		return UploadResult{}, err
	}
	digests := make([]digest, len(files))
	for i, f := range files {
		d, err := hashFile(f.Path, opts.AllChecksums)
		if err != nil {
			return UploadResult{}, fmt.Errorf("jfrog: upload %s %s: hash %s: %w", name, version, f.Name, err)
		}
		digests[i] = d
	}
	res := UploadResult{Repo: repo, Name: name, Version: version, URL: c.endpoint(manifestAPIPath(k, repo, name, version))}
	start, err := c.startTransaction(ctx, token, k, repo, name, version, opts)
	if err != nil {
		return res, err
	}
	for i, f := range files {
		target := start.FilesUploadPath + "/" + f.Name
		if !opts.DisableChecksumDeploy {
			done, err := c.deployByChecksum(ctx, token, repo, target, digests[i])
			if err != nil {
				return res, err
			}
			if done {
				res.ChecksumDeployed++
				continue
			}
		}
		if err := c.deployContent(ctx, token, repo, target, f.Path, digests[i], opts.Retry); err != nil {
			return res, err
		}
		res.BytesSent += digests[i].Size
	}
	res.Manifest = buildManifest(files, digests, start.TransactionID, now, opts)
	if k != modelKind {
		res.Manifest.ModelFormat = nil
	}
	if err := c.endTransaction(ctx, token, k, repo, name, version, start.TransactionID, res.Manifest, props); err != nil {
		return res, err
	}
	return res, nil
}

func validateUpload(repo, name, version string, files []ModelFile, props map[string]string) error {
	if err := ValidateRepoKey(repo); err != nil {
		return err
	}
	if err := ValidateModelName(name); err != nil {
		return err
	}
	if err := ValidateModelVersion(version); err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("model %s %s has no files to upload: %w", name, version, ErrInvalidInput)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if err := ValidateArtifactPath(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("artifact path %q is listed twice: %w", f.Name, ErrInvalidInput)
		}
		seen[f.Name] = true
	}
	arts := make([]Artifact, len(files))
	for i, f := range files {
		arts[i].ArtifactPath = f.Name
	}
	if err := checkNotNested("files", arts); err != nil {
		return fmt.Errorf("%v: %w", err, ErrInvalidInput)
	}
	for k, v := range props {
		if err := ValidateProperty(k, v); err != nil {
			return err
		}
	}
	return nil
}

func buildManifest(files []ModelFile, digests []digest, txID string, now time.Time, opts *UploadOptions) ModelManifest {
	format := ModelFormat{
		Framework:           FrameworkFiles,
		FrameworkVersion:    opts.FrameworkVersion,
		SerializationFormat: opts.SerializationFormat,
		Runtime:             opts.Runtime,
		RuntimeVersion:      opts.RuntimeVersion,
	}
	if format.SerializationFormat == "" {
		format.SerializationFormat = strings.TrimPrefix(path.Ext(files[0].Name), ".")
	}
	if format.Runtime == "" {
		format.Runtime, format.RuntimeVersion = "go", strings.TrimPrefix(runtime.Version(), "go")
	}
	m := ModelManifest{CreatedDate: createdDate(txID, now), ModelFormat: &format}
	for i, f := range files {
		m.ModelArtifacts = append(m.ModelArtifacts, Artifact{
			ArtifactPath: f.Name, Size: digests[i].Size, Checksums: ArtifactChecksums{Sha2: digests[i].Sha256},
		})
	}
	return m
}

// startTransaction opens the upload of one version.
func (c *Client) startTransaction(ctx context.Context, token secret.Token, k entityKind, repo, name, version string, opts *UploadOptions) (startReply, error) {
	p := "/artifactory/api/machinelearning/" + url.PathEscape(repo) + "/" + k.api + "/" + url.PathEscape(name) + "/start-transaction/" + url.PathEscape(version)
	req, err := c.newRequest(policy.WithRetryOptions(ctx, postRetry(opts.Retry)), http.MethodPost, p, token, nil)
	if err != nil {
		return startReply{}, err
	}
	resp, err := c.send(req, mlHint(repo, name, version), http.StatusOK, http.StatusCreated)
	if err != nil {
		return startReply{}, err
	}
	raw, err := readBody(resp, 1<<20)
	if err != nil {
		return startReply{}, fmt.Errorf("jfrog: POST %s: %w", c.endpoint(p), err)
	}
	var s startReply
	if json.Unmarshal(raw, &s) != nil || !validateRelPath(s.FilesUploadPath) || s.TransactionID == "" || strings.ContainsAny(s.TransactionID, "/?#;") {
		return startReply{}, fmt.Errorf("jfrog: POST %s: the reply lacks filesUploadPath or transactionId: %w", c.endpoint(p), upstream.ErrUnavailable)
	}
	return s, nil
}

// endTransaction closes the transaction with the manifest and properties
// (PUT .../{model,dataset}/entity-manifest/{name}/{version}/{transactionId},
// multipart parts modelManifest or datasetManifest, and additionalData). The call is retried;
// when a retry finds the transaction already closed (404/409), the stored
// manifest decides whether the first try succeeded.
func (c *Client) endTransaction(ctx context.Context, token secret.Token, k entityKind, repo, name, version, txID string, m ModelManifest, props map[string]string) error {
	manifest, err := encodeEntityManifest(k, m)
	if err != nil {
		return err
	}
	additional := []byte("null")
	if len(props) > 0 {
		if additional, err = json.Marshal(props); err != nil {
			return fmt.Errorf("encode properties: %w", err)
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct {
		name string
		data []byte
	}{{k.manifestPart, manifest}, {"additionalData", additional}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, part.name, part.name))
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		w.Write(part.data)
	}
	if err := mw.Close(); err != nil {
		return err
	}
	p := manifestAPIPath(k, repo, name, version) + "/" + url.PathEscape(txID)
	req, err := c.newRequest(ctx, http.MethodPut, p, token, nil)
	if err != nil {
		return err
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body.Bytes())), mw.FormDataContentType()); err != nil {
		return err
	}
	resp, err := c.send(req, mlHint(repo, name, version), http.StatusOK, http.StatusCreated, http.StatusNoContent)
	if err == nil {
		_, _ = readBody(resp, maxManifestSize)
		return nil
	}
	if errors.Is(err, upstream.ErrNotFound) || errors.Is(err, upstream.ErrConflict) {
		if stored, gerr := c.getManifest(ctx, token, k, repo, name, version); gerr == nil && sameArtifacts(stored.ModelArtifacts, m.ModelArtifacts) {
			return nil
		}
	}
	return err
}

// sameArtifacts reports whether two artifact lists name the same files
// with the same sizes and SHA-256, in any order.
func sameArtifacts(a, b []Artifact) bool {
	if len(a) != len(b) {
		return false
	}
	want := make(map[string]Artifact, len(b))
	for _, x := range b {
		want[x.ArtifactPath] = x
	}
	for _, x := range a {
		y, ok := want[x.ArtifactPath]
		if !ok || y.Size != x.Size || !strings.EqualFold(y.Checksums.Sha2, x.Checksums.Sha2) {
			return false
		}
	}
	return true
}

// manifestAPIPath is .../{model|dataset}/entity-manifest/{name}/{version}.
func manifestAPIPath(k entityKind, repo, name, version string) string {
	return "/artifactory/api/machinelearning/" + url.PathEscape(repo) + "/" + k.api + "/entity-manifest/" + url.PathEscape(name) + "/" + url.PathEscape(version)
}

// artifactPath is /artifactory/{repo}/{p} with every segment escaped.
func artifactPath(repo, p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/artifactory/" + url.PathEscape(repo) + "/" + strings.Join(segs, "/")
}

// mlHint names the fix for the usual failures of a model version call.
func mlHint(repo, name, version string) func(int) string {
	return func(status int) string {
		switch status {
		case http.StatusUnauthorized:
			return "the JFrog access token was rejected (expired, revoked or from another platform): check the token the rotation function keeps in Key Vault"
		case http.StatusForbidden:
			return fmt.Sprintf("give the token's user Read and Deploy/Cache permissions on repository %s", repo)
		case http.StatusNotFound:
			return fmt.Sprintf("check that repository %s exists with packageType machinelearning and holds model %s version %s", repo, name, version)
		case http.StatusConflict:
			return fmt.Sprintf("model %s version %s already exists in %s: upload with a new version", name, version, repo)
		}
		return ""
	}
}

// contentHint names the fix for a failed file deploy or download.
func contentHint(repo string) func(int) string {
	return func(status int) string {
		switch status {
		case http.StatusConflict:
			return "the server's checksums differ from the file's: the file changed while it was uploaded; upload again"
		case http.StatusForbidden:
			return fmt.Sprintf("give the token's user Read (download) and Deploy/Cache (upload) permissions on repository %s", repo)
		case http.StatusUnauthorized:
			return mlHint(repo, "", "")(status)
		case http.StatusNotFound:
			return fmt.Sprintf("check that repository %s exists and still holds the file (for an upload: that the transaction is still open)", repo)
		}
		return ""
	}
}
