package azureml

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// EnvironmentVersion is the content of an environment version. Only the
// description and tags of an existing version can change; use a new
// version for a new image.
type EnvironmentVersion struct {
	// Image is the container image, such as
	// acme.jfrog.io/docker-local/trainer:1.4.2.
	Image string
	// Description is free text shown in the studio.
	Description string
	// Tags are free string pairs.
	Tags map[string]string
}

type environmentResource struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Properties struct {
		Image       string            `json:"image"`
		OSType      string            `json:"osType,omitempty"`
		Description string            `json:"description,omitempty"`
		Tags        map[string]string `json:"tags,omitempty"`
	} `json:"properties"`
}

// PutEnvironmentVersion creates or updates version of environment name and
// returns its ARM resource ID, the value a job's EnvironmentID takes.
//
// An existing version accepts only a new description and tags; a PUT that
// changes its image fails with a *upstream.ResponseError matching ErrConflict (409).
// The status is the one azure-ai-ml expects for it: its
// EnvironmentOperations._try_update_latest_version catches the
// ResourceExistsError that the generated environment_versions client maps
// from 409 and retries under the next version
// (Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/azure/ai/ml/operations/_environment_operations.py,
// _restclient/v2023_04_01_preview/operations/_environment_versions_operations.py).
func (c *Client) PutEnvironmentVersion(ctx context.Context, name, version string, env EnvironmentVersion) (string, error) {
	if err := ValidateEnvironmentName(name); err != nil {
		return "", err
	}
	if err := ValidateEnvironmentVersion(version); err != nil {
		return "", err
	}
	op := "put environment " + name + " version " + version
	var body environmentResource
	body.Properties.Image = env.Image
	body.Properties.OSType = "Linux"
	body.Properties.Description = env.Description
	body.Properties.Tags = env.Tags
	var out environmentResource
	u := c.url("/environments/" + url.PathEscape(name) + "/versions/" + url.PathEscape(version))
	if _, err := c.do(ctx, op, http.MethodPut, u, body, &out, http.StatusOK, http.StatusCreated); err != nil {
		var e *upstream.ResponseError
		if errors.As(err, &e) && e.StatusCode == http.StatusConflict && e.Fix == "" {
			// AzureML answers 409 when the PUT changes more than the
			// description and tags of an existing version (see
			// ImageVersion for the sources).
			e.Fix = "environment versions are immutable except for description and tags: name the version after the image reference (azureml.ImageVersion) or delete version " + version
		}
		return "", err
	}
	if out.ID == "" {
		return c.EnvironmentID(name, version), nil
	}
	return out.ID, nil
}
