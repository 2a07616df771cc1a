package azureml_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// TestEnvironmentVersionsAreImmutable follows AzureML's rule against the
// local stack: an existing version takes a new description and tags, and
// refuses a new image with 409 UserError.
func TestEnvironmentVersionsAreImmutable(t *testing.T) {
	c, _ := localAzureML(t)
	ctx := context.Background()
	image := "acme.jfrog.io/docker-local/trainer:1.0.0"
	if _, err := c.PutEnvironmentVersion(ctx, "trainer", "1.0.0", azureml.EnvironmentVersion{Image: image, Description: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutEnvironmentVersion(ctx, "trainer", "1.0.0", azureml.EnvironmentVersion{Image: image, Description: "second", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatalf("description and tags must stay mutable: %v", err)
	}
	_, err := c.PutEnvironmentVersion(ctx, "trainer", "1.0.0", azureml.EnvironmentVersion{Image: "other.jfrog.io/docker-local/trainer:1.0.0"})
	var re *upstream.ResponseError
	if !errors.As(err, &re) || !errors.Is(err, upstream.ErrConflict) || re.Code != "UserError" ||
		!strings.Contains(re.Message, "already registered and cannot be changed") || !strings.Contains(err.Error(), "ImageVersion") {
		t.Fatalf("changed image: got %v, want 409 UserError naming the fix", err)
	}

	// Versions named by ImageVersion never collide: the same tag from
	// another host is a new version.
	for _, ref := range []string{image, "other.jfrog.io/docker-local/trainer:1.0.0", "acme.jfrog.io/docker-remote/trainer:1.0.0"} {
		v := azureml.ImageVersion(ref, "1.0.0")
		if _, err := c.PutEnvironmentVersion(ctx, "trainer", v, azureml.EnvironmentVersion{Image: ref}); err != nil {
			t.Fatalf("%s as %s: %v", ref, v, err)
		}
	}
}

func TestImageVersion(t *testing.T) {
	a := azureml.ImageVersion("acme.jfrog.io/docker-local/trainer:1.4.2", "1.4.2")
	if !strings.HasPrefix(a, "1.4.2-") || len(a) != len("1.4.2-")+12 {
		t.Fatalf("got %q", a)
	}
	if a != azureml.ImageVersion("acme.jfrog.io/docker-local/trainer:1.4.2", "1.4.2") {
		t.Fatal("not deterministic")
	}
	tests := []struct {
		name, image, tag, prefix string
	}{
		{"other host", "beta.jfrog.io/docker-local/trainer:1.4.2", "1.4.2", "1.4.2-"},
		{"other repo", "acme.jfrog.io/docker-dev/trainer:1.4.2", "1.4.2", "1.4.2-"},
		{"leading underscore", "acme.jfrog.io/docker-local/trainer:_x", "_x", "x-"},
		{"only punctuation", "acme.jfrog.io/docker-local/trainer:__", "__", "img-"},
		{"long tag", "acme.jfrog.io/docker-local/trainer:" + strings.Repeat("a", 128), strings.Repeat("a", 128), strings.Repeat("a", 64) + "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := azureml.ImageVersion(tt.image, tt.tag)
			if !strings.HasPrefix(v, tt.prefix) || v == a {
				t.Fatalf("got %q, want prefix %q and not %q", v, tt.prefix, a)
			}
			if err := azureml.ValidateEnvironmentVersion(v); err != nil {
				t.Fatal(err)
			}
		})
	}
}
