package jfrog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// maxFileList bounds a storage file list reply.
const maxFileList = 32 << 20

// ModelVersionInfo is one stored version of a model.
type ModelVersionInfo struct {
	// Version is the version name.
	Version string
	// Stored is when the version's manifest was written (the transaction
	// closed); zero when the server did not say.
	Stored time.Time
}

// ListModelVersions lists the complete versions of the model ref.Name in
// ref.Repo (ref.Version is ignored), newest first (ties by version, descending). A version is complete when
// its model-manifest.json exists. It reads GET
// /artifactory/api/storage/{repo}/models/{name}?list&deep=1&depth=2 (the
// models/{name}/{version}/ layout is INFERRED from frogml's upload paths).
// A model with no version matches ErrNotFound.
func (c *Client) ListModelVersions(ctx context.Context, token secret.Token, ref ModelRef) ([]ModelVersionInfo, error) {
	repo, name := ref.Repo, ref.Name
	if err := ValidateRepoKey(repo); err != nil {
		return nil, err
	}
	if err := ValidateModelName(name); err != nil {
		return nil, err
	}
	p := "/artifactory/api/storage/" + url.PathEscape(repo) + "/models/" + url.PathEscape(name)
	req, err := c.newRequest(ctx, http.MethodGet, p, token, nil)
	if err != nil {
		return nil, err
	}
	req.Raw().URL.RawQuery = "list&deep=1&depth=2"
	hint := func(status int) string {
		if status == http.StatusNotFound {
			return fmt.Sprintf("no model %s in repository %s (or no such repository): upload a version first or check ARTIFACTORY_ML_REPO and the model name", name, repo)
		}
		return mlHint(repo, name, "")(status)
	}
	resp, err := c.send(req, hint, http.StatusOK)
	if err != nil {
		return nil, err
	}
	raw, err := readBody(resp, maxFileList)
	if err != nil {
		return nil, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(p), err)
	}
	versions, err := ParseVersionList(raw)
	if err != nil {
		return nil, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(p), err)
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("jfrog: model %s in repository %s has no complete version: upload one first: %w", name, repo, ErrNotFound)
	}
	return versions, nil
}

// fileList is the storage API's ?list reply; size and folder may be
// strings or numbers/booleans depending on the server version.
type fileList struct {
	Files []struct {
		URI          string          `json:"uri"`
		Folder       json.RawMessage `json:"folder"`
		LastModified string          `json:"lastModified"`
	} `json:"files"`
}

// ParseVersionList reads a storage file list of a model folder and returns
// the versions that have a model-manifest.json directly inside them,
// newest first. Entries that are not "/{version}/model-manifest.json" with
// a valid version are ignored.
func ParseVersionList(body []byte) ([]ModelVersionInfo, error) {
	var fl fileList
	if err := json.Unmarshal(bytes.TrimSpace(body), &fl); err != nil {
		return nil, fmt.Errorf("storage file list is not valid JSON: %w", ErrUnavailable)
	}
	seen := map[string]bool{}
	var out []ModelVersionInfo
	for _, f := range fl.Files {
		if strings.Trim(string(f.Folder), `"`) == "true" {
			continue
		}
		v, rest, ok := strings.Cut(strings.TrimPrefix(f.URI, "/"), "/")
		if !ok || rest != manifestFileName || ValidateModelVersion(v) != nil || seen[v] {
			continue
		}
		seen[v] = true
		info := ModelVersionInfo{Version: v}
		if t, err := time.Parse(time.RFC3339Nano, f.LastModified); err == nil {
			info.Stored = t.UTC()
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Stored.Equal(out[j].Stored) {
			return out[i].Stored.After(out[j].Stored)
		}
		return out[i].Version > out[j].Version
	})
	return out, nil
}

// ResolveVersion returns ref.Version unchanged after validating ref, or,
// for LatestVersion ("latest"), the newest complete version of the model
// (see ListModelVersions).
func (c *Client) ResolveVersion(ctx context.Context, token secret.Token, ref ModelRef) (string, error) {
	if ref.Version != LatestVersion {
		if err := validateRef(ref.Repo, ref.Name, ref.Version); err != nil {
			return "", err
		}
		return ref.Version, nil
	}
	vs, err := c.ListModelVersions(ctx, token, ref)
	if err != nil {
		return "", fmt.Errorf("resolve %s of model %s: %w", LatestVersion, ref.Name, err)
	}
	return vs[0].Version, nil
}
