package jfrog

import (
	"context"
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
