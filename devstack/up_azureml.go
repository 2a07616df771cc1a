package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/frogbridge/frogbridge/internal/devstack/localazureml"
)

// The local AzureML workspace the suite is configured with.
const (
	localSubscription  = "5f0c6b8e-3c1d-4a7e-9b2a-6d8f0e1c2b3a"
	localResourceGroup = "frogbridge-local"
	localWorkspace     = "frogbridge-local"
	localCompute       = "cpu-cluster"
	localDockerRepo    = "docker-local"
)

// armAudiences are the token audiences the local ARM accepts, as Azure
// Resource Manager does.
var armAudiences = []string{"https://management.core.windows.net/", "https://management.core.windows.net", "https://management.azure.com", "https://management.azure.com/"}

// newAzureML starts the local AzureML: ARM routes for one workspace whose
// jobs run the trainer binary as a local process with the compute
// identity, and upload their outputs to Azurite.
func newAzureML(s *stack) (*localazureml.Server, error) {
	cfg := s.tenant.Config()
	compute, _ := cfg.Identity(entra.ComputeIdentity)
	identity := s.url(slotIdentity, "http")
	env := map[string]string{
		"MSI_ENDPOINT":               identity + entra.AzureMLPath,
		"MSI_SECRET":                 s.tenant.MSISecret(),
		"DEFAULT_IDENTITY_CLIENT_ID": compute.ClientID,
		"SSL_CERT_FILE":              s.ca.BundleFile(),
		"PATH":                       os.Getenv("PATH"),
		"HOME":                       os.Getenv("HOME"),
	}
	blobOpts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: s.ca.HTTPClient(5 * time.Minute)}}
	return localazureml.New(localazureml.Options{
		DataDir: filepath.Join(s.cfg.dataDir, "azureml"),
		BaseURL: s.url(slotAzureML, "https"),
		Verify: func(r *http.Request) (localazureml.Principal, error) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				return localazureml.Principal{}, fmt.Errorf("no bearer token")
			}
			c, err := s.tenant.VerifyAccessToken(raw, armAudiences...)
			if err != nil {
				return localazureml.Principal{}, err
			}
			return localazureml.Principal{ObjectID: c.ObjectID, AppID: c.AppID}, nil
		},
		TrainerPath:   s.cfg.trainer,
		ComputeEnv:    env,
		Blob:          localazureml.BlobTarget{ConnectionString: s.azurite.ConnectionString(), ClientOptions: blobOpts},
		CheckRegistry: s.checkRegistry,
		Workspaces:    []localazureml.Workspace{{SubscriptionID: localSubscription, ResourceGroup: localResourceGroup, Name: localWorkspace, Computes: []string{localCompute}}},
		Logger:        s.log.With().Str("service", "azureml").Logger(),
	})
}

// checkRegistry stands in for the image pull: the connection's credentials
// must be a JFrog user and a token JFrog accepts for that user.
func (s *stack) checkRegistry(ctx context.Context, target, username, password string) error {
	if s.jfrog == nil {
		return nil
	}
	if username == "" || password == "" {
		return fmt.Errorf("no workspace connection holds credentials for registry %s", target)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url(slotJFrog, "https")+"/access/api/v1/tokens/me", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+password)
	resp, err := s.ca.HTTPClient(30 * time.Second).Do(req)
	if err != nil {
		return fmt.Errorf("registry %s unreachable: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("registry %s refused the credentials of user %s (HTTP %d: the token is expired or revoked; rotate it)", target, username, resp.StatusCode)
	}
	return nil
}

// azureMLEnv returns the app settings that point the suite at the local
// AzureML workspace.
func (s *stack) azureMLEnv() map[string]string {
	env := map[string]string{
		"AZURE_SUBSCRIPTION_ID":           localSubscription,
		"AZURE_RESOURCE_GROUP":            localResourceGroup,
		"AZUREML_WORKSPACE_NAME":          localWorkspace,
		"AZUREML_COMPUTE_NAME":            localCompute,
		"AZURE_RESOURCE_MANAGER_ENDPOINT": s.url(slotAzureML, "https"),
		"ARTIFACTORY_DOCKER_REPO":         localDockerRepo,
	}
	return env
}

// findTrainer returns the trainer binary beside the devstack executable, or
// the one on PATH.
func findTrainer() string {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "trainer")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("trainer"); err == nil {
		return p
	}
	return "trainer"
}
