package azureml_test

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// Submitting a training job: registry connection, environment version,
// command job with a named output, then polling its status.
func ExampleClient_PutCommandJob() {
	ctx := context.Background()
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		panic(err)
	}
	ws := azureml.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg-ml", Name: "ws-ml"}
	c, err := azureml.NewClient(ws, cred, nil)
	if err != nil {
		panic(err)
	}
	if err := c.PutRegistryConnection(ctx, "trainer-registry", azureml.RegistryConnection{Target: "https://acme.jfrog.io", Username: "puller", Password: secret.Token("…")}); err != nil {
		panic(err)
	}
	envID, err := c.PutEnvironmentVersion(ctx, "trainer", "1.4.2", azureml.EnvironmentVersion{Image: "acme.jfrog.io/docker-local/trainer:1.4.2"})
	if err != nil {
		panic(err)
	}
	job, err := c.PutCommandJob(ctx, "train-20261128-1", azureml.CommandJob{
		ExperimentName: "trainer",
		ComputeID:      c.ComputeID("cpu-cluster"),
		EnvironmentID:  envID,
		Command:        "trainer train --metadata-dir ${{outputs.metadata}}",
		Outputs:        map[string]azureml.Output{"metadata": {Type: azureml.OutputURIFolder, Mode: azureml.ModeUpload}},
		Identity:       &azureml.ManagedIdentity{},
		Timeout:        2 * time.Hour,
	})
	if err != nil {
		panic(err)
	}
	for !job.Status.Terminal() {
		time.Sleep(10 * time.Second)
		if job, err = c.GetJob(ctx, job.Name); err != nil {
			panic(err)
		}
	}
	fmt.Println(job.Status, c.StudioURL(job), azureml.OutputPrefix(job, "metadata"))
}
