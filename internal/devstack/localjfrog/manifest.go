package localjfrog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// entityNameRE is frogml's pattern for model names, namespaces, versions.
var entityNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$`)

func validEntityName(s string) bool { return len(s) <= 60 && entityNameRE.MatchString(s) }

// propertyValueRE is frogml 1.2.46's pattern for property values
// (frogml/storage/utils/_input_checks_utility.py), ASCII only.
var propertyValueRE = regexp.MustCompile(`^([a-zA-Z0-9_-]+([./][a-zA-Z0-9_-]+)*|\[[\[\]0-9., \t-]+\])$`)

// checkMLProperty applies frogml's rules to one property of an ML
// repository version: key as a name, value at most 60 characters matching
// propertyValueRE. What JFrog's server enforces on these properties is not
// documented (unverified); the local JFrog refuses whatever frogml would
// refuse to send, the conservative reading, so that the suite never relies
// on the server taking what frogml cannot write.
func checkMLProperty(k, v string) error {
	switch {
	case !validEntityName(k):
		return fmt.Errorf("additionalData: property key %q must match ^[a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*$ (at most 60 characters)", k)
	case len(v) > 60:
		return fmt.Errorf("additionalData: value of property %q has %d characters; at most 60 are allowed", k, len(v))
	case !propertyValueRE.MatchString(v):
		return fmt.Errorf("additionalData: value of property %q must be name segments separated by '.' or '/', or a list of numbers", k)
	}
	return nil
}

// artifactEntry is one file of a model version as frogml describes it.
type artifactEntry struct {
	ArtifactPath string            `json:"artifact_path"`
	Size         int64             `json:"size"`
	Checksums    artifactChecksums `json:"checksums"`
	DownloadURL  string            `json:"download_url,omitempty"`
}

type artifactChecksums struct {
	Sha2 string `json:"sha2"`
}

// modelFormat is frogml's serialization metadata.
type modelFormat struct {
	Framework           string `json:"framework"`
	FrameworkVersion    string `json:"framework_version"`
	SerializationFormat string `json:"serialization_format"`
	Runtime             string `json:"runtime"`
	RuntimeVersion      string `json:"runtime_version"`
}

// entityManifest is model-manifest.json; id, version and download_url are
// added by the server when the manifest is read back.
type entityManifest struct {
	ID                  string          `json:"id,omitempty"`
	Version             string          `json:"version,omitempty"`
	CreatedDate         string          `json:"created_date,omitempty"`
	ModelArtifacts      []artifactEntry `json:"model_artifacts"`
	ModelFormat         *modelFormat    `json:"model_format,omitempty"`
	DependencyArtifacts []artifactEntry `json:"dependency_artifacts,omitempty"`
	CodeArtifacts       *artifactEntry  `json:"code_artifacts,omitempty"`
}

// parseManifest decodes and validates a manifest sent by a client; server
// fields in it are dropped.
func parseManifest(b []byte) (entityManifest, error) {
	var m entityManifest
	if err := decodeObject(b, &m); err != nil {
		return m, err
	}
	m.ID, m.Version = "", ""
	if len(m.ModelArtifacts) == 0 {
		return m, errors.New("model_artifacts must list at least one file")
	}
	check := func(group string, list []artifactEntry) error {
		seen := map[string]bool{}
		for i := range list {
			a := &list[i]
			a.DownloadURL = ""
			p, err := cleanPath(a.ArtifactPath)
			if err != nil || p == "" {
				return fmt.Errorf("%s[%d].artifact_path must be a relative file path", group, i)
			}
			a.ArtifactPath = p
			if seen[p] {
				return fmt.Errorf("%s lists %q twice", group, p)
			}
			seen[p] = true
			if a.Size < 0 {
				return fmt.Errorf("%s[%d].size must not be negative", group, i)
			}
			a.Checksums.Sha2 = strings.ToLower(a.Checksums.Sha2)
			if !isHex(a.Checksums.Sha2, 64) {
				return fmt.Errorf("%s[%d].checksums.sha2 must be a SHA-256 hex digest", group, i)
			}
		}
		return nil
	}
	if err := check("model_artifacts", m.ModelArtifacts); err != nil {
		return m, err
	}
	if err := check("dependency_artifacts", m.DependencyArtifacts); err != nil {
		return m, err
	}
	if m.CodeArtifacts != nil {
		one := []artifactEntry{*m.CodeArtifacts}
		if err := check("code_artifacts", one); err != nil {
			return m, err
		}
		m.CodeArtifacts = &one[0]
	}
	return m, nil
}

// parseAdditionalData decodes the additionalData part: JSON null or an
// object whose values become properties (non-strings as their JSON text).
func parseAdditionalData(b []byte) (map[string][]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	var raw map[string]json.RawMessage
	if err := decodeObject(b, &raw); err != nil {
		return nil, fmt.Errorf("additionalData: %w", err)
	}
	props := map[string][]string{}
	for k, v := range raw {
		if k == "" {
			return nil, errors.New("additionalData has an empty key")
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			s = string(bytes.TrimSpace(v))
		}
		if err := checkMLProperty(k, s); err != nil {
			return nil, err
		}
		props[k] = []string{s}
	}
	if len(props) == 0 {
		return nil, nil
	}
	return props, nil
}
