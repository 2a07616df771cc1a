package jfrog_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// TestManifestExistsAndGetRepository runs the two diagnostics calls
// against the local JFrog: a pushed tag exists, a missing one is
// ErrNotFound with the fix naming the settings, and a repository's
// package type is reported.
func TestManifestExistsAndGetRepository(t *testing.T) {
	s := newMLServer(t, "models")
	req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/artifactory/api/repositories/docker-local",
		strings.NewReader(`{"rclass":"local","packageType":"docker"}`))
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	req.Header.Set("Content-Type", "application/json")
	if resp, err := s.srv.Client().Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("create docker repo: %v %v", resp, err)
	}
	req, _ = http.NewRequest(http.MethodPut, s.srv.URL+"/artifactory/docker-local/trainer/1.0/manifest.json", strings.NewReader(`{"schemaVersion":2}`))
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	resp, err := s.srv.Client().Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("deploy manifest: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	c := s.client(t)
	ctx := context.Background()
	if err := c.ManifestExists(ctx, s.admin, "docker-local", "trainer", "1.0"); err != nil {
		t.Fatalf("existing tag: %v", err)
	}
	err = c.ManifestExists(ctx, s.admin, "docker-local", "trainer", "2.0")
	var re *upstream.ResponseError
	if !errors.Is(err, upstream.ErrNotFound) || !errors.As(err, &re) || !strings.Contains(re.Fix, "TRAINER_IMAGE_TAG") {
		t.Fatalf("missing tag = %v, want not found naming TRAINER_IMAGE_TAG", err)
	}
	info, err := c.GetRepository(ctx, s.admin, "models")
	if err != nil || info.PackageType != "machinelearning" || info.Key != "models" {
		t.Fatalf("GetRepository = %+v, %v", info, err)
	}
	if _, err := c.GetRepository(ctx, s.admin, "nope"); !errors.As(err, &re) || !strings.Contains(re.Fix, "ARTIFACTORY_ML_REPO") {
		t.Fatalf("missing repository = %v, want an error naming ARTIFACTORY_ML_REPO", err)
	}
}
