package jobs

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/config"
	devaml "github.com/frogbridge/frogbridge/internal/devstack/localazureml"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/secret"
)

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type staticCreds struct{}

func (staticCreds) Current(context.Context) (keyvault.Credentials, error) {
	return keyvault.Credentials{Username: "puller", AccessToken: secret.Token("tok")}, nil
}

// localWorkspace returns an AzureML client for the local stack's AzureML.
func localWorkspace(t *testing.T) *azureml.Client {
	t.Helper()
	ws := azureml.Workspace{SubscriptionID: "sub", ResourceGroup: "rg", Name: "ws"}
	s, err := devaml.New(devaml.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	opts := &azureml.ClientOptions{}
	opts.Cloud = cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: srv.URL, Audience: "https://management.azure.com"},
	}}
	opts.Transport = srv.Client()
	opts.Retry = policy.RetryOptions{MaxRetries: -1}
	c, err := azureml.NewClient(ws, staticCred{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPrepareAfterRegistryMove follows AzureML's immutable environment
// versions: moving the image to another ARTIFACTORY_HOST or
// ARTIFACTORY_DOCKER_REPO under the same tag must still prepare a
// submission, each reference with its own version.
func TestPrepareAfterRegistryMove(t *testing.T) {
	ws := localWorkspace(t)
	ctx := context.Background()
	cfg := Config{Jobs: config.Jobs{ArtifactoryHost: "acme.jfrog.io", DockerRepo: "docker-local", TrainerImage: "trainer", TrainerTag: "1.0", ConnectionName: "registry"}}
	ids := map[string]string{}
	for _, move := range []func(*Config){
		func(*Config) {},
		func(c *Config) { c.ArtifactoryHost = "beta.jfrog.io" },
		func(c *Config) { c.DockerRepo = "docker-prod" },
		func(*Config) {}, // the same reference again reuses its version
	} {
		move(&cfg)
		s := NewService(cfg, ws, staticCreds{}, nil)
		id, err := s.prepare(ctx, "")
		if err != nil {
			t.Fatalf("%s/%s: %v", cfg.ArtifactoryHost, cfg.DockerRepo, err)
		}
		ref := cfg.ArtifactoryHost + "/" + cfg.DockerRepo
		if prev, ok := ids[ref]; ok && prev != id {
			t.Fatalf("%s: version changed from %s to %s", ref, prev, id)
		}
		ids[ref] = id
	}
	if len(ids) != 3 || ids["acme.jfrog.io/docker-local"] == ids["beta.jfrog.io/docker-local"] {
		t.Fatalf("environment ids %v", ids)
	}
}
