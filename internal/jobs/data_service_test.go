package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/keyvault"
)

// fakeWorkspace records submissions and serves one job and two
// datastores: the default one and the one job outputs are written to.
type fakeWorkspace struct {
	submitted azureml.CommandJob
	job       azureml.Job
	read      []string // datastores read
}

func (f *fakeWorkspace) PutRegistryConnection(context.Context, string, azureml.RegistryConnection) error {
	return nil
}

func (f *fakeWorkspace) PutEnvironmentVersion(context.Context, string, string, azureml.EnvironmentVersion) (string, error) {
	return "/env/id", nil
}

func (f *fakeWorkspace) PutCommandJob(_ context.Context, name string, job azureml.CommandJob) (azureml.Job, error) {
	f.submitted = job
	return azureml.Job{Name: name, Status: azureml.StatusNotStarted}, nil
}

func (f *fakeWorkspace) GetJob(context.Context, string) (azureml.Job, error) { return f.job, nil }
func (f *fakeWorkspace) CancelJob(context.Context, string, *azureml.CancelJobOptions) error {
	return nil
}

func (f *fakeWorkspace) GetDefaultDatastore(ctx context.Context) (azureml.Datastore, error) {
	return f.GetDatastore(ctx, "defaultstore")
}

func (f *fakeWorkspace) GetDatastore(_ context.Context, name string) (azureml.Datastore, error) {
	f.read = append(f.read, name)
	return azureml.Datastore{Name: name, AccountName: name + "acct", ContainerName: "c"}, nil
}

func (f *fakeWorkspace) StudioURL(azureml.Job) string { return "https://studio" }
func (f *fakeWorkspace) ComputeID(name string) string { return "/computes/" + name }

type fakeCreds struct{}

func (fakeCreds) Current(context.Context) (keyvault.Credentials, error) {
	return keyvault.Credentials{AccessToken: "t", Username: "u"}, nil
}

// fakeOutputs returns metadata.json for any path of the datastore it holds.
type fakeOutputs struct{ datastore string }

func (o fakeOutputs) Read(_ context.Context, ds azureml.Datastore, path string) ([]byte, error) {
	if ds.Name != o.datastore {
		return nil, errors.New("outputs are not on datastore " + ds.Name)
	}
	return []byte(`{"model_name":"m","version":"v1","accuracy":0.9,"dataset":"azureml://datastores/d/paths/a.csv","dataset_sha256":"ab"}`), nil
}

func TestSubmitTrainingWithDataInput(t *testing.T) {
	ws := &fakeWorkspace{}
	s := NewService(Config{Jobs: config.Jobs{ArtifactoryHost: "acme.jfrog.io", ModelName: "m"}}, ws, fakeCreds{}, nil)
	req, err := ParseTrainingRequest(strings.NewReader(`{"data":{"uri":"azureml://datastores/training/paths/iris/","label":"species"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitTraining(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	in, ok := ws.submitted.Inputs[DataInputName]
	if !ok || in.Type != azureml.InputURIFolder || in.URI != "azureml://datastores/training/paths/iris/" || in.Mode != azureml.ModeDownload {
		t.Fatalf("inputs = %+v, want a uri_folder download", ws.submitted.Inputs)
	}
	if !strings.Contains(ws.submitted.Command, " --data ${{inputs.data}} --data-ref azureml://datastores/training/paths/iris/ --label species") {
		t.Fatalf("command = %s", ws.submitted.Command)
	}
	// Iris stays the default: no input, no data flags.
	req, _ = ParseTrainingRequest(strings.NewReader(`{}`))
	if _, err := s.SubmitTraining(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if ws.submitted.Inputs != nil || strings.Contains(ws.submitted.Command, "--data") {
		t.Fatalf("default job has inputs %v, command %s", ws.submitted.Inputs, ws.submitted.Command)
	}
}

// TestStatusReadsTheOutputsDatastore: jobs write to the datastore their
// output URI names, which need not be the workspace default.
func TestStatusReadsTheOutputsDatastore(t *testing.T) {
	ws := &fakeWorkspace{job: azureml.Job{
		Name: "train-1", Status: azureml.StatusCompleted, Tags: map[string]string{tagKind: KindTraining},
		Inputs:  map[string]azureml.Input{DataInputName: {Type: azureml.InputURIFile, URI: "azureml://datastores/d/paths/a.csv", Mode: azureml.ModeDownload}},
		Outputs: map[string]azureml.Output{jobspec.OutputMetadata: {URI: "azureml://datastores/workspaceblobstore/paths/azureml/train-1/metadata/"}},
	}}
	s := NewService(Config{}, ws, fakeCreds{}, fakeOutputs{datastore: "workspaceblobstore"})
	st, err := s.Status(context.Background(), "train-1")
	if err != nil {
		t.Fatalf("status: %v (datastores read: %v)", err, ws.read)
	}
	if len(ws.read) != 1 || ws.read[0] != "workspaceblobstore" {
		t.Errorf("datastores read %v, want workspaceblobstore", ws.read)
	}
	if st.Training == nil || st.Training.Dataset != "azureml://datastores/d/paths/a.csv" || st.Data == nil || st.Data.URI != "azureml://datastores/d/paths/a.csv" {
		t.Errorf("status %+v (training %+v) does not name the data", st, st.Training)
	}
	// An output URI naming ${{default_datastore}} (or none) reads the default.
	ws.job.Outputs[jobspec.OutputMetadata] = azureml.Output{URI: "azureml://datastores/${{default_datastore}}/paths/azureml/train-1/metadata/"}
	ws.read = nil
	s = NewService(Config{}, ws, fakeCreds{}, fakeOutputs{datastore: "defaultstore"})
	if _, err := s.Status(context.Background(), "train-1"); err != nil || len(ws.read) != 1 || ws.read[0] != "defaultstore" {
		t.Fatalf("status: %v, datastores read %v, want the default", err, ws.read)
	}
}
