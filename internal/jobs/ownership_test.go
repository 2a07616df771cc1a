package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// jobsWorkspace is a workspace holding some jobs; only the calls Status
// and Cancel make are implemented (the embedded nil Workspace panics on
// any other).
type jobsWorkspace struct {
	Workspace
	jobs map[string]azureml.Job

	mu      sync.Mutex
	cancels []string
	waited  bool
}

func (w *jobsWorkspace) GetJob(_ context.Context, name string) (azureml.Job, error) {
	j, ok := w.jobs[name]
	if !ok {
		return azureml.Job{}, fmt.Errorf("job %s: %w", name, upstream.ErrNotFound)
	}
	return j, nil
}

func (w *jobsWorkspace) CancelJob(_ context.Context, name string, opts *azureml.CancelJobOptions) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancels = append(w.cancels, name)
	w.waited = w.waited || opts != nil && opts.Wait
	return nil
}

func (w *jobsWorkspace) StudioURL(j azureml.Job) string { return "https://ml.azure.com/runs/" + j.Name }

const leakedJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqZmFjQHgvdXNlcnMvY2kifQ.c2lnbmF0dXJlc2lnbmF0dXJl"

func ownershipService() (*Service, *jobsWorkspace) {
	ws := &jobsWorkspace{jobs: map[string]azureml.Job{
		"someone-elses": {Name: "someone-elses", Status: azureml.StatusRunning, Tags: map[string]string{"team": "research"}},
		"train-1":       {Name: "train-1", Status: azureml.StatusRunning, Tags: map[string]string{tagKind: KindTraining}},
		"train-failed": {Name: "train-failed", Status: azureml.StatusFailed, Tags: map[string]string{tagKind: KindTraining},
			Error: "trainer: GET https://acme.jfrog.io/artifactory/api/ml failed: Authorization: Bearer " + leakedJWT + " access_token=s3cr3t-value"},
	}}
	return NewService(Config{}, ws, nil, nil), ws
}

// TestJobsOfOthersAreNotFound: status and cancel answer 404 for a job the
// suite did not submit, the same way as for a missing job, and never
// cancel it.
func TestJobsOfOthersAreNotFound(t *testing.T) {
	s, ws := ownershipService()
	ctx := context.Background()
	for _, name := range []string{"someone-elses", "missing"} {
		_, err := s.Status(ctx, name)
		if errkind.Of(err) != errkind.NotFound {
			t.Errorf("Status(%s) = %v, want not found (404)", name, err)
		}
		if name == "someone-elses" && !errors.Is(err, ErrNotOurs) {
			t.Errorf("Status(%s) = %v, want ErrNotOurs", name, err)
		}
		if _, err := s.Cancel(ctx, name); errkind.Of(err) != errkind.NotFound {
			t.Errorf("Cancel(%s) = %v, want 404", name, err)
		}
	}
	if len(ws.cancels) != 0 {
		t.Errorf("canceled %v, jobs the suite did not submit", ws.cancels)
	}
}

// TestCancelReturnsOnceAccepted: cancel asks AzureML once and does not
// wait for the job to stop; the answer points at the status URL.
func TestCancelReturnsOnceAccepted(t *testing.T) {
	s, ws := ownershipService()
	acc, err := s.Cancel(context.Background(), "train-1")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != "CancelRequested" || acc.StatusURL != "/api/jobs/train-1" || acc.JobName != "train-1" {
		t.Errorf("answer = %+v", acc)
	}
	if fmt.Sprint(ws.cancels) != "[train-1]" || ws.waited {
		t.Errorf("cancels = %v, waited = %v; want one cancel without waiting", ws.cancels, ws.waited)
	}
}

// TestJobErrorIsScrubbed: a failed job's error text (a trainer's stderr)
// passes the redactor before it is returned.
func TestJobErrorIsScrubbed(t *testing.T) {
	s, _ := ownershipService()
	st, err := s.Status(context.Background(), "train-failed")
	if err != nil {
		t.Fatal(err)
	}
	if st.Error == "" || !strings.Contains(st.Error, "acme.jfrog.io") {
		t.Fatalf("error = %q, want the failure kept", st.Error)
	}
	for _, secret := range []string{leakedJWT, "s3cr3t-value"} {
		if strings.Contains(st.Error, secret) {
			t.Errorf("job error holds a secret: %q", st.Error)
		}
	}
}
