package azureml_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/azureml"
	devaml "github.com/frogbridge/frogbridge/internal/devstack/localazureml"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/testbin"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// localAzureML starts the local stack's AzureML over TLS, running the real
// trainer, and returns a client for it. Tokens are checked by a Verify
// that accepts only the fake credential's token.
func localAzureML(t *testing.T) (*azureml.Client, *httptest.Server) {
	t.Helper()
	trainer := testbin.Path(t, "trainer")
	s, err := devaml.New(devaml.Options{
		DataDir:     t.TempDir(),
		TrainerPath: trainer,
		Workspaces:  []devaml.Workspace{{SubscriptionID: testWS.SubscriptionID, ResourceGroup: testWS.ResourceGroup, Name: testWS.Name, Computes: []string{"cpu-cluster"}}},
		QueueDelay:  20 * time.Millisecond,
		Verify: func(r *http.Request) (devaml.Principal, error) {
			if r.Header.Get("Authorization") != "Bearer "+fakeToken {
				return devaml.Principal{}, errors.New("unknown token")
			}
			return devaml.Principal{ObjectID: "oid", AppID: "app"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return newClient(t, srv, nil), srv
}

// waitJob polls until the job is terminal.
func waitJob(t *testing.T, c *azureml.Client, name string) azureml.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		j, err := c.GetJob(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAgainstLocalAzureML(t *testing.T) {
	c, srv := localAzureML(t)
	ctx := context.Background()
	envID, err := c.PutEnvironmentVersion(ctx, "trainer", "1.0.0", azureml.EnvironmentVersion{Image: "acme.jfrog.io/docker-local/trainer:1.0.0", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if envID != c.EnvironmentID("trainer", "1.0.0") {
		t.Fatalf("environment id %s", envID)
	}
	if err := c.PutRegistryConnection(ctx, "trainer-registry", azureml.RegistryConnection{Target: "https://acme.jfrog.io", Username: "puller", Password: secret.Token("pw")}); err != nil {
		t.Fatal(err)
	}
	base := azureml.CommandJob{
		ExperimentName: "exp", ComputeID: c.ComputeID("cpu-cluster"), EnvironmentID: envID,
		EnvironmentVariables: map[string]string{"MODEL_NAME": "iris-local"},
		Identity:             &azureml.ManagedIdentity{},
	}

	t.Run("completed", func(t *testing.T) {
		job := base
		job.Command = "trainer train --output-dir ./outputs"
		j, err := c.PutCommandJob(ctx, "ok-1", job)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != azureml.StatusNotStarted || j.ID != testWS.ID()+"/jobs/ok-1" || j.ExperimentName != "exp" || j.CreatedAt.IsZero() {
			t.Fatalf("submitted %+v", j)
		}
		j = waitJob(t, c, "ok-1")
		if j.Status != azureml.StatusCompleted || j.Error != "" {
			t.Fatalf("finished %+v", j)
		}
		if !strings.HasPrefix(c.StudioURL(j), srv.URL+"/studio/runs/ok-1?wsid=") {
			t.Fatalf("studio %s", c.StudioURL(j))
		}
	})

	t.Run("failed", func(t *testing.T) {
		job := base
		job.Command = "trainer train --max-depth -3"
		if _, err := c.PutCommandJob(ctx, "bad-1", job); err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, c, "bad-1")
		if j.Status != azureml.StatusFailed || !strings.Contains(j.Error, "--max-depth") || j.ErrorCode != "UserError" {
			t.Fatalf("finished %+v", j)
		}
	})

	t.Run("data input", func(t *testing.T) {
		job := base
		job.Command = "trainer train --data ${{inputs.data}}"
		job.Inputs = map[string]azureml.Input{"data": {Type: azureml.InputURIFile, URI: "azureml://datastores/nope/paths/a.csv", Mode: azureml.ModeDownload}}
		if _, err := c.PutCommandJob(ctx, "input-1", job); err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, c, "input-1")
		in := j.Inputs["data"]
		if in.Type != azureml.InputURIFile || in.URI != "azureml://datastores/nope/paths/a.csv" || in.Mode != azureml.ModeDownload {
			t.Fatalf("input read back %+v", j.Inputs)
		}
		if j.Status != azureml.StatusFailed || !strings.Contains(j.Error, "datastore 'nope' was not found") {
			t.Fatalf("finished %+v", j)
		}
	})

	t.Run("canceled", func(t *testing.T) {
		job := base
		job.Command = "trainer train --n-estimators 100000000 --workers 1"
		if _, err := c.PutCommandJob(ctx, "long-1", job); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := c.CancelJob(cctx, "long-1", &azureml.CancelJobOptions{Wait: true}); err != nil {
			t.Fatal(err)
		}
		j, err := c.GetJob(ctx, "long-1")
		if err != nil || j.Status != azureml.StatusCanceled {
			t.Fatalf("after cancel: %+v %v", j, err)
		}
		// Canceling a finished job answers 200 without an operation.
		if err := c.CancelJob(cctx, "long-1", &azureml.CancelJobOptions{Wait: true}); err != nil {
			t.Fatalf("second cancel: %v", err)
		}
	})

	t.Run("rejected submission", func(t *testing.T) {
		job := base
		job.Command = "trainer train"
		job.EnvironmentID = c.EnvironmentID("trainer", "9.9.9")
		_, err := c.PutCommandJob(ctx, "bad-env", job)
		if !errors.Is(err, upstream.ErrBadRequest) || !strings.Contains(err.Error(), "was not found") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("missing job", func(t *testing.T) {
		_, err := c.GetJob(ctx, "nope")
		var re *upstream.ResponseError
		if !errors.As(err, &re) || re.Code != "ResourceNotFound" || !errors.Is(err, upstream.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("datastore", func(t *testing.T) {
		ds, err := c.GetDefaultDatastore(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Name != "workspaceblobstore" || !strings.HasPrefix(ds.ContainerName, "azureml-blobstore-") || !ds.IsDefault {
			t.Fatalf("datastore %+v", ds)
		}
		named, err := c.GetDatastore(ctx, "workspaceblobstore")
		if err != nil || named != ds {
			t.Fatalf("GetDatastore = %+v, %v; want %+v", named, err, ds)
		}
		if _, err := c.GetDatastore(ctx, "other"); !errors.Is(err, upstream.ErrNotFound) {
			t.Fatalf("missing datastore: %v", err)
		}
	})
}

func TestLocalAzureMLRejectsOtherTokensAndWorkspaces(t *testing.T) {
	_, srv := localAzureML(t)
	t.Run("workspace", func(t *testing.T) {
		c := newClientFor(t, srv, azureml.Workspace{SubscriptionID: testWS.SubscriptionID, ResourceGroup: testWS.ResourceGroup, Name: "missing"}, &fakeCred{})
		_, err := c.GetJob(context.Background(), "x")
		var re *upstream.ResponseError
		if !errors.As(err, &re) || re.Code != "WorkspaceNotFound" || !strings.Contains(err.Error(), "TEST_WORKSPACE") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		c := newClientFor(t, srv, testWS, &fakeCred{token: "someone-else"})
		_, err := c.GetJob(context.Background(), "x")
		if !errors.Is(err, upstream.ErrUnauthorized) {
			t.Fatalf("got %v", err)
		}
	})
}
