package jfrog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// manifestFileName is the entity manifest frogml writes for a model version.
const manifestFileName = "model-manifest.json"

// FrameworkFiles is the model_format.framework of a "files" model, the
// only kind frogml.files.load_model accepts.
const FrameworkFiles = "files"

// maxManifestSize bounds a manifest read from the server.
const maxManifestSize = 8 << 20

// ModelManifest is model-manifest.json as frogml writes it
// (ModelManifest.model_dump_json(by_alias=True, exclude_none=True)). ID,
// Version and each artifact's DownloadURL are added by the server when the
// manifest is read back; they are never sent.
type ModelManifest struct {
	// ID is "<organization>/<entity_name>" (server field).
	ID string `json:"id,omitempty"`
	// Version is the model version (server field).
	Version string `json:"version,omitempty"`
	// CreatedDate is the transaction time, "2006-01-02T15:04:05.00" (two
	// fractional digits, no zone).
	CreatedDate string `json:"created_date,omitempty"`
	// ModelArtifacts are the model's files.
	ModelArtifacts []Artifact `json:"model_artifacts"`
	// ModelFormat describes the serialization.
	ModelFormat *ModelFormat `json:"model_format,omitempty"`
	// DependencyArtifacts are requirement files; this client uploads none.
	DependencyArtifacts []Artifact `json:"dependency_artifacts,omitempty"`
	// CodeArtifacts is the code archive; this client uploads none.
	CodeArtifacts *Artifact `json:"code_artifacts,omitempty"`
}

// Artifact is one file of a model version.
type Artifact struct {
	// ArtifactPath is relative to the version's files folder.
	ArtifactPath string `json:"artifact_path"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
	// Checksums hold the SHA-256.
	Checksums ArtifactChecksums `json:"checksums"`
	// DownloadURL is added by the server when the manifest is read.
	DownloadURL string `json:"download_url,omitempty"`
}

// ArtifactChecksums are an artifact's checksums as frogml names them.
type ArtifactChecksums struct {
	// Sha2 is the lower-case hex SHA-256.
	Sha2 string `json:"sha2"`
}

// ModelFormat is frogml's serialization metadata.
type ModelFormat struct {
	// Framework is "files" for models stored as plain files.
	Framework string `json:"framework"`
	// FrameworkVersion is "" for "files" models.
	FrameworkVersion string `json:"framework_version"`
	// SerializationFormat is the model file's extension, such as "json".
	SerializationFormat string `json:"serialization_format"`
	// Runtime and RuntimeVersion name what wrote the model ("go", "1.26.0").
	Runtime        string `json:"runtime"`
	RuntimeVersion string `json:"runtime_version"`
}

// createdDate renders a transaction id (epoch milliseconds) the way frogml
// does (__milliseconds_to_iso_instant): %Y-%m-%dT%H:%M:%S.%f cut to two
// fractional digits. The zone is UTC (INFERRED: frogml formats a naive
// datetime).
func createdDate(transactionID string, now time.Time) string {
	t := now
	var ms int64
	if _, err := fmt.Sscan(transactionID, &ms); err == nil && ms > 0 && ms < 1<<53 {
		t = time.UnixMilli(ms)
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000")
	return s[:len(s)-1]
}

// encodeManifest renders m for the modelManifest part, without the server
// fields.
func encodeManifest(m ModelManifest) ([]byte, error) {
	m.ID, m.Version = "", ""
	m.ModelArtifacts = append([]Artifact(nil), m.ModelArtifacts...)
	for i := range m.ModelArtifacts {
		m.ModelArtifacts[i].DownloadURL = ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", manifestFileName, err)
	}
	return b, nil
}

// DatasetManifest is dataset-manifest.json as frogml writes it
// (DatasetManifest, an EntityManifest whose artifacts serialize as
// "dataset_artifacts") [frogml storage models/dataset_manifest.py]. ID,
// Version and each artifact's DownloadURL are server fields.
type DatasetManifest struct {
	// ID is "<organization>/<entity_name>" (server field).
	ID string `json:"id,omitempty"`
	// Version is the dataset version (server field).
	Version string `json:"version,omitempty"`
	// CreatedDate is the transaction time, as in ModelManifest.
	CreatedDate string `json:"created_date,omitempty"`
	// DatasetArtifacts are the dataset's files.
	DatasetArtifacts []Artifact `json:"dataset_artifacts"`
}

// encodeEntityManifest renders m for the manifest part of kind k: a
// ModelManifest, or for datasets a DatasetManifest with m's artifacts.
func encodeEntityManifest(k entityKind, m ModelManifest) ([]byte, error) {
	if k == modelKind {
		return encodeManifest(m)
	}
	d := DatasetManifest{CreatedDate: m.CreatedDate, DatasetArtifacts: append([]Artifact(nil), m.ModelArtifacts...)}
	for i := range d.DatasetArtifacts {
		d.DatasetArtifacts[i].DownloadURL = ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", k.manifestFile, err)
	}
	return b, nil
}

// ParseDatasetManifest decodes a dataset manifest read from the server
// with the checks of ParseModelManifest.
func ParseDatasetManifest(body []byte) (DatasetManifest, error) {
	m, err := parseEntityManifest(datasetKind, body)
	if err != nil {
		return DatasetManifest{}, err
	}
	return DatasetManifest{ID: m.ID, Version: m.Version, CreatedDate: m.CreatedDate, DatasetArtifacts: m.ModelArtifacts}, nil
}

// ParseModelManifest decodes a manifest read from the server and checks
// what a download relies on: at least one model artifact, every
// artifact_path a safe relative path listed once, sizes not negative, and
// each sha2 a SHA-256 hex digest (lower-cased). Errors match upstream.ErrUnavailable:
// a bad manifest is the server's fault, not the caller's.
func ParseModelManifest(body []byte) (ModelManifest, error) {
	return parseEntityManifest(modelKind, body)
}

// parseEntityManifest parses a manifest of kind k; a dataset's artifacts
// are returned in ModelArtifacts.
func parseEntityManifest(k entityKind, body []byte) (ModelManifest, error) {
	var m ModelManifest
	bad := func(format string, args ...any) (ModelManifest, error) {
		return ModelManifest{}, fmt.Errorf("%s: %s: %w", k.manifestFile, fmt.Sprintf(format, args...), upstream.ErrUnavailable)
	}
	group := "model_artifacts"
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return bad("not a JSON object")
	}
	var target any = &m
	var ds DatasetManifest
	if k != modelKind {
		target, group = &ds, "dataset_artifacts"
	}
	if err := json.Unmarshal(body, target); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return bad("field %s has the wrong type", te.Field)
		}
		return bad("not valid JSON")
	}
	if k != modelKind {
		m = ModelManifest{ID: ds.ID, Version: ds.Version, CreatedDate: ds.CreatedDate, ModelArtifacts: ds.DatasetArtifacts}
	}
	if len(m.ModelArtifacts) == 0 {
		return bad("%s is empty", group)
	}
	check := func(group string, list []Artifact) error {
		seen := make(map[string]bool, len(list))
		for i := range list {
			a := &list[i]
			if !validateRelPath(a.ArtifactPath) || strings.ContainsRune(a.ArtifactPath, ':') {
				return fmt.Errorf("%s[%d].artifact_path is not a safe relative path", group, i)
			}
			if seen[a.ArtifactPath] {
				return fmt.Errorf("%s lists %q twice", group, a.ArtifactPath)
			}
			seen[a.ArtifactPath] = true
			if a.Size < 0 {
				return fmt.Errorf("%s[%d].size is negative", group, i)
			}
			a.Checksums.Sha2 = strings.ToLower(a.Checksums.Sha2)
			if !isHexDigest(a.Checksums.Sha2, 64) {
				return fmt.Errorf("%s[%d].checksums.sha2 is not a SHA-256 hex digest", group, i)
			}
		}
		return nil
	}
	if err := check(group, m.ModelArtifacts); err != nil {
		return bad("%v", err)
	}
	if err := checkNotNested(group, m.ModelArtifacts); err != nil {
		return bad("%v", err)
	}
	if err := check("dependency_artifacts", m.DependencyArtifacts); err != nil {
		return bad("%v", err)
	}
	if m.CodeArtifacts != nil {
		if err := check("code_artifacts", []Artifact{*m.CodeArtifacts}); err != nil {
			return bad("%v", err)
		}
		m.CodeArtifacts.Checksums.Sha2 = strings.ToLower(m.CodeArtifacts.Checksums.Sha2)
	}
	return m, nil
}

// isHexDigest reports whether s is n lower-case hex characters.
func isHexDigest(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkNotNested refuses a list where one artifact path is a folder of
// another ("x" and "x/y"): both cannot be files, and a download would fail
// half-way.
func checkNotNested(group string, list []Artifact) error {
	paths := make(map[string]bool, len(list))
	for _, a := range list {
		paths[a.ArtifactPath] = true
	}
	for _, a := range list {
		for p := a.ArtifactPath; ; {
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
			if paths[p] {
				return fmt.Errorf("%s lists %q and %q: one artifact path is inside another", group, p, a.ArtifactPath)
			}
		}
	}
	return nil
}
