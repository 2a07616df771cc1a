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
	"github.com/frogbridge/frogbridge/internal/upstream"
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
// A model with no version matches upstream.ErrNotFound.
func (c *Client) ListModelVersions(ctx context.Context, token secret.Token, ref ModelRef) ([]ModelVersionInfo, error) {
	return c.listVersions(ctx, token, modelKind, ref.Repo, ref.Name)
}

// ListDatasetVersions lists the complete versions of the dataset ref.Name
// in ref.Repo, newest first, like ListModelVersions: a version is complete
// when its dataset-manifest.json exists under datasets/{name}/{version}/
// (INFERRED layout, from frogml's folder_name "datasets").
func (c *Client) ListDatasetVersions(ctx context.Context, token secret.Token, ref DatasetRef) ([]ModelVersionInfo, error) {
	return c.listVersions(ctx, token, datasetKind, ref.Repo, ref.Name)
}

func (c *Client) listVersions(ctx context.Context, token secret.Token, k entityKind, repo, name string) ([]ModelVersionInfo, error) {
	if err := ValidateRepoKey(repo); err != nil {
		return nil, err
	}
	if err := ValidateModelName(name); err != nil {
		return nil, err
	}
	p := "/artifactory/api/storage/" + url.PathEscape(repo) + "/" + k.root + "/" + url.PathEscape(name)
	req, err := c.newRequest(ctx, http.MethodGet, p, token, nil)
	if err != nil {
		return nil, err
	}
	req.Raw().URL.RawQuery = "list&deep=1&depth=2"
	hint := func(status int) string {
		if status == http.StatusNotFound {
			return fmt.Sprintf("no %s %s in repository %s (or no such repository): upload a version first or check %s and the %s name", k.noun, name, repo, upstream.Setting(c.settings.MLRepo, "the repository"), k.noun)
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
	versions, err := parseVersionList(raw, k.manifestFile)
	if err != nil {
		return nil, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(p), err)
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("jfrog: %s %s in repository %s has no complete version: upload one first: %w", k.noun, name, repo, upstream.ErrNotFound)
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
	return parseVersionList(body, manifestFileName)
}

func parseVersionList(body []byte, manifest string) ([]ModelVersionInfo, error) {
	var fl fileList
	if err := json.Unmarshal(bytes.TrimSpace(body), &fl); err != nil {
		return nil, fmt.Errorf("storage file list is not valid JSON: %w", upstream.ErrUnavailable)
	}
	seen := map[string]bool{}
	var out []ModelVersionInfo
	for _, f := range fl.Files {
		if strings.Trim(string(f.Folder), `"`) == "true" {
			continue
		}
		v, rest, ok := strings.Cut(strings.TrimPrefix(f.URI, "/"), "/")
		if !ok || rest != manifest || ValidateModelVersion(v) != nil || seen[v] {
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
	return c.resolveVersion(ctx, token, modelKind, ref)
}

// ResolveDatasetVersion is ResolveVersion for a dataset.
func (c *Client) ResolveDatasetVersion(ctx context.Context, token secret.Token, ref DatasetRef) (string, error) {
	return c.resolveVersion(ctx, token, datasetKind, ModelRef(ref))
}

func (c *Client) resolveVersion(ctx context.Context, token secret.Token, k entityKind, ref ModelRef) (string, error) {
	if ref.Version != LatestVersion {
		if err := validateRef(ref.Repo, ref.Name, ref.Version); err != nil {
			return "", err
		}
		return ref.Version, nil
	}
	vs, err := c.listVersions(ctx, token, k, ref.Repo, ref.Name)
	if err != nil {
		return "", fmt.Errorf("resolve %s of %s %s: %w", LatestVersion, k.noun, ref.Name, err)
	}
	return vs[0].Version, nil
}
