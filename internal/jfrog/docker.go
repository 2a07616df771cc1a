package jfrog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// ManifestExists asks the Docker registry API v2 of an Artifactory Docker
// repository whether image:tag exists: HEAD /v2/<repo>/<image>/manifests/<tag>
// (OCI distribution spec, "Checking if content exists in the registry":
// 200 when it exists, 404 when not; JFrog's "repository path" method puts
// the repository key first in the name). It returns nil when the tag
// exists and an *upstream.ResponseError otherwise, matching
// upstream.ErrNotFound for a missing tag or repository.
func (c *Client) ManifestExists(ctx context.Context, token secret.Token, repo, image, tag string) error {
	p := "/v2/" + url.PathEscape(repo) + "/" + escapeSegments(image) + "/manifests/" + url.PathEscape(tag)
	req, err := c.newRequest(ctx, http.MethodHead, p, token, nil)
	if err != nil {
		return err
	}
	req.Raw().Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
	}, ", "))
	resp, err := c.send(req, func(status int) string {
		switch status {
		case http.StatusNotFound:
			return "push " + image + ":" + tag + " to the Docker repository " + repo + ", or set TRAINER_IMAGE_NAME / TRAINER_IMAGE_TAG / ARTIFACTORY_DOCKER_REPO to an image that exists"
		case http.StatusUnauthorized, http.StatusForbidden:
			return "give the rotation's JFrog user read permission on the Docker repository " + repo
		}
		return ""
	}, http.StatusOK)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// escapeSegments path-escapes each "/"-separated segment of p.
func escapeSegments(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// RepositoryInfo is a repository's configuration as JFrog reports it.
type RepositoryInfo struct {
	Key         string `json:"key"`
	RClass      string `json:"rclass"`
	PackageType string `json:"packageType"`
}

// GetRepository reads repository key's configuration (GET
// /artifactory/api/repositories/{key}, JFrog REST API "Repository
// Configuration"). A missing repository is an error whose Fix names
// ARTIFACTORY_ML_REPO: the local JFrog answers it with 400 "Repository 'x'
// does not exist", as Artifactory does (its answer is taken as given here,
// not verified against a live instance), and 404 gets the same fix.
// Which permission JFrog asks of a non-admin token for this call is not
// verified here; a 403 is reported with the permission to check.
func (c *Client) GetRepository(ctx context.Context, token secret.Token, key string) (RepositoryInfo, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/artifactory/api/repositories/"+url.PathEscape(key), token, nil)
	if err != nil {
		return RepositoryInfo{}, err
	}
	resp, err := c.send(req, func(status int) string {
		switch status {
		case http.StatusNotFound, http.StatusBadRequest:
			return "create the Machine Learning repository " + key + " in Artifactory or set ARTIFACTORY_ML_REPO to an existing one"
		case http.StatusUnauthorized, http.StatusForbidden:
			return "give the rotation's JFrog user read permission on repository " + key
		}
		return ""
	}, http.StatusOK)
	if err != nil {
		return RepositoryInfo{}, err
	}
	b, err := readBody(resp, 1<<20)
	if err != nil {
		return RepositoryInfo{}, err
	}
	var info RepositoryInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return RepositoryInfo{}, fmt.Errorf("jfrog: decode repository %s: %w", key, err)
	}
	return info, nil
}
