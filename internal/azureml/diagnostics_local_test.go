package azureml_test

import (
	"context"
	"errors"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// TestReadsForDiagnostics runs the read-only calls of the diagnostics
// against the local AzureML: the workspace, a compute that exists and one
// that does not, and a connection with and without its credentials.
func TestReadsForDiagnostics(t *testing.T) {
	c, _ := localAzureML(t)
	ctx := context.Background()
	if err := c.CheckWorkspace(ctx); err != nil {
		t.Fatalf("CheckWorkspace: %v", err)
	}
	comp, err := c.GetCompute(ctx, "cpu-cluster")
	if err != nil || comp.Type != "AmlCompute" || comp.ProvisioningState != "Succeeded" {
		t.Fatalf("GetCompute = %+v, %v", comp, err)
	}
	if _, err := c.GetCompute(ctx, "no-such-cluster"); !errors.Is(err, upstream.ErrNotFound) {
		t.Fatalf("missing compute = %v, want not found", err)
	}
	if _, err := c.GetConnection(ctx, "reg"); !errors.Is(err, upstream.ErrNotFound) {
		t.Fatalf("missing connection = %v, want not found", err)
	}
	if err := c.PutRegistryConnection(ctx, "reg", azureml.RegistryConnection{Target: "https://acme.jfrog.io", Username: "u", Password: secret.Token("p")}); err != nil {
		t.Fatal(err)
	}
	info, err := c.GetConnection(ctx, "reg")
	if err != nil || info.Target != "https://acme.jfrog.io" || info.AuthType != azureml.AuthTypeUsernamePassword || info.Category != azureml.CategoryGenericContainerRegistry {
		t.Fatalf("GetConnection = %+v, %v", info, err)
	}
	cr, err := c.ListConnectionSecrets(ctx, "reg")
	if err != nil || cr.Username != "u" || cr.Password.Reveal() != "p" {
		t.Fatalf("ListConnectionSecrets = %v, %v", cr, err)
	}
}
