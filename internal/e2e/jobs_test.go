package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// submitted is the body of a 202 from the job functions.
type submitted struct {
	JobName   string `json:"job_name"`
	Status    string `json:"status"`
	StudioURL string `json:"studio_url"`
	StatusURL string `json:"status_url"`
}

// jobStatus is the body of GET /api/jobs/{name}.
type jobStatus struct {
	JobName  string `json:"job_name"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Terminal bool   `json:"terminal"`
	Error    string `json:"error"`
	Training *struct {
		ModelName string  `json:"model_name"`
		Version   string  `json:"version"`
		Accuracy  float64 `json:"accuracy"`
	} `json:"training"`
	Deployment *struct {
		Accuracy          float64  `json:"accuracy"`
		TestSamples       int      `json:"test_samples"`
		SamplePredictions []string `json:"sample_predictions"`
	} `json:"deployment"`
}

// follow polls a job until it reaches a terminal status.
func follow(t *testing.T, h *host, name string) jobStatus {
	t.Helper()
	var st jobStatus
	waitUntil(t, 3*time.Minute, "job "+name+" to finish", func() bool {
		status, body := h.call(t, http.MethodGet, "/api/jobs/"+name, "", "function")
		if status != http.StatusOK {
			t.Fatalf("job status = %d %s", status, body)
		}
		decode(t, body, &st)
		return st.Status == "Completed" || st.Status == "Failed" || st.Status == "Canceled"
	})
	return st
}

func submit(t *testing.T, h *host, path, body string) submitted {
	t.Helper()
	status, resp := h.call(t, http.MethodPost, path, body, "function")
	if status != http.StatusAccepted {
		t.Fatalf("POST %s = %d %s\n%s", path, status, resp, h.out)
	}
	var s submitted
	decode(t, resp, &s)
	if s.JobName == "" || s.StatusURL != "/api/jobs/"+s.JobName || s.StudioURL == "" {
		t.Fatalf("submission = %+v", s)
	}
	return s
}

func TestTrainingJobWithoutUpload(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 20}}`)
	// One ?wait= call follows the job to its end, as a CI step does.
	start := time.Now()
	status, body := h.call(t, http.MethodGet, sub.StatusURL+"?wait=100", "", "function")
	if status != http.StatusOK {
		t.Fatalf("GET %s?wait=100 = %d %s", sub.StatusURL, status, body)
	}
	var st jobStatus
	decode(t, body, &st)
	if st.Status != "Completed" || !st.Terminal || st.Training == nil || st.Training.Version == "" || st.Training.Accuracy < 0.9 {
		t.Fatalf("training job after ?wait=100 (%v) = %+v (%v)", time.Since(start), st, strings.Contains(h.out.String(), "error"))
	}
	if el := time.Since(start); el > 90*time.Second {
		t.Errorf("?wait= answered after %v, not when the job completed", el)
	}
	for _, bad := range []string{"181", "-1", "soon", "1.5"} {
		if status, body := h.call(t, http.MethodGet, sub.StatusURL+"?wait="+bad, "", "function"); status != http.StatusBadRequest || !strings.Contains(body, "wait") {
			t.Errorf("?wait=%s = %d %s, want 400 naming wait", bad, status, body)
		}
	}
}

func TestJobFunctions(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}

	t.Run("failing job reports the trainer's error", func(t *testing.T) {
		sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"label": "no_such_column"}}`)
		st := follow(t, h, sub.JobName)
		if st.Status != "Failed" || !strings.Contains(st.Error, "no_such_column") {
			t.Fatalf("job = %+v, want Failed with the trainer's message naming the column", st)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 1000, "max_depth": 0, "min_samples_leaf": 1}}`)
		status, body := h.call(t, http.MethodPost, "/api/jobs/"+sub.JobName+"/cancel", "", "function")
		var acc struct {
			JobName   string `json:"job_name"`
			Status    string `json:"status"`
			StatusURL string `json:"status_url"`
		}
		if status != http.StatusAccepted {
			t.Fatalf("cancel = %d %s, want 202", status, body)
		}
		decode(t, body, &acc)
		if acc.JobName != sub.JobName || acc.StatusURL != "/api/jobs/"+sub.JobName || acc.Status == "" {
			t.Fatalf("cancel answer = %s", body)
		}
		st := follow(t, h, sub.JobName)
		if st.Status != "Canceled" {
			t.Fatalf("after cancel the job is %s", st.Status)
		}
	})
	t.Run("jobs of others are not found", func(t *testing.T) {
		// Another workspace user's job, with the same environment and
		// compute as the suite's but without its tags.
		ws := s.workspace(t)
		ours := submit(t, h, "/api/jobs/training", `{"upload": false}`)
		j, err := ws.GetJob(context.Background(), ours.JobName)
		if err != nil {
			t.Fatal(err)
		}
		name := "foreign-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if _, err := ws.PutCommandJob(context.Background(), name, azureml.CommandJob{
			ExperimentName: "someone-else", ComputeID: j.ComputeID, EnvironmentID: j.EnvironmentID,
			Command: "trainer train --n-estimators 2000 --workers 1", Identity: &azureml.ManagedIdentity{},
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ method, path string }{{http.MethodGet, "/api/jobs/" + name}, {http.MethodPost, "/api/jobs/" + name + "/cancel"}} {
			status, body := h.call(t, c.method, c.path, "", "function")
			if status != http.StatusNotFound {
				t.Errorf("%s %s = %d %s, want 404 for a job the suite did not submit", c.method, c.path, status, body)
			}
		}
		if got, err := ws.GetJob(context.Background(), name); err != nil || got.Status == azureml.StatusCancelRequested || got.Status == azureml.StatusCanceled {
			t.Errorf("the foreign job was canceled: %+v %v", got.Status, err)
		}
		if err := ws.CancelJob(context.Background(), name, nil); err != nil {
			t.Errorf("cancel the foreign job: %v", err)
		}
		follow(t, h, ours.JobName)
	})
	t.Run("unknown job", func(t *testing.T) {
		if status, body := h.call(t, http.MethodGet, "/api/jobs/train-none", "", "function"); status != http.StatusNotFound {
			t.Errorf("unknown job = %d %s, want 404", status, body)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		for _, tc := range []struct{ path, body string }{
			{"/api/jobs/training", `{"model_name": "../../etc/passwd"}`},
			{"/api/jobs/training", `{"hyperparameters": {"label": "x; rm -rf /"}}`},
			{"/api/jobs/training", `{"unknown": 1}`},
			{"/api/jobs/training", `not json`},
			{"/api/jobs/training", `{"display_name": "` + strings.Repeat("x", 70000) + `"}`},
			{"/api/jobs/deployment", `{}`},
			{"/api/jobs/deployment", `{"model_name": "iris-classifier", "model_version": "1 && curl evil"}`},
		} {
			status, body := h.call(t, http.MethodPost, tc.path, tc.body, "function")
			if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
				t.Errorf("POST %s %.60q = %d %s, want 400", tc.path, tc.body, status, body)
			}
			var e struct{ Error, Details string }
			decode(t, body, &e)
			if e.Error == "" || e.Details == "" {
				t.Errorf("error body lacks error/details: %s", body)
			}
		}
		status, _ := h.call(t, http.MethodGet, "/api/jobs/..%2F..%2Fetc", "", "function")
		if status != http.StatusBadRequest && status != http.StatusNotFound {
			t.Errorf("hostile job name = %d, want 400 or 404", status)
		}
	})
	t.Run("missing token fails submission with 502 pointing at rotation", func(t *testing.T) {
		h2 := startHost(t, s, map[string]string{"ARTIFACTORY_TOKEN_SECRET_NAME": "never-rotated-jobs"})
		status, body := h2.call(t, http.MethodPost, "/api/jobs/training", `{}`, "function")
		if status != http.StatusBadGateway || !strings.Contains(body, "KeyVaultSecretRotation") {
			t.Fatalf("submission without a stored token = %d %s, want 502 pointing at the rotation", status, body)
		}
	})
}

// TestTrainThenDeploy runs the main story: training uploads a model version
// to Artifactory, deployment downloads `latest` and reports inference.
func TestTrainThenDeploy(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	sub := submit(t, h, "/api/jobs/training", `{"model_name": "e2e-model", "hyperparameters": {"n_estimators": 30}, "tags": {"requestedBy": "e2e"}}`)
	st := follow(t, h, sub.JobName)
	if st.Status != "Completed" || st.Training == nil || st.Training.ModelName != "e2e-model" || st.Training.Version == "" {
		t.Fatalf("training = %+v", st)
	}
	checkONNXVersion(t, s, "e2e-model", st.Training.Version)
	sub = submit(t, h, "/api/jobs/deployment", `{"model_name": "e2e-model", "model_version": "latest"}`)
	dep := follow(t, h, sub.JobName)
	if dep.Status != "Completed" || dep.Deployment == nil {
		t.Fatalf("deployment = %+v", dep)
	}
	if dep.Deployment.TestSamples != 30 || dep.Deployment.Accuracy < 0.9 || len(dep.Deployment.SamplePredictions) != 5 {
		t.Errorf("deployment output = %+v", dep.Deployment)
	}
}

// TestRevokedTokenFailsLikeAnImagePull: the registry connection carries
// the stored token; when JFrog refuses it, the job fails as a failed pull.
func TestRevokedTokenFailsLikeAnImagePull(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	status, r, body := rotate(t, h, "?force=true")
	if status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	req, _ := http.NewRequest(http.MethodDelete, s.env["ARTIFACTORY_URL"]+"/access/api/v1/tokens/"+r.TokenID, nil)
	req.Header.Set("Authorization", "Bearer "+s.env["JFROG_ADMIN_TOKEN"])
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("revoke = %d", resp.StatusCode)
	}
	sub := submit(t, h, "/api/jobs/training", `{"upload": false}`)
	st := follow(t, h, sub.JobName)
	if st.Status != "Failed" || !strings.Contains(strings.ToLower(st.Error), "pull") {
		t.Fatalf("job with a revoked registry token = %+v, want Failed like an image pull", st)
	}
	// A fresh rotation repairs it.
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	sub = submit(t, h, "/api/jobs/training", `{"upload": false}`)
	if st := follow(t, h, sub.JobName); st.Status != "Completed" {
		t.Fatalf("after rotation the job = %+v", st)
	}
}

// TestExpiredTokenFailsSubmission: an expired JFrog token in Key Vault
// fails a submission with 502 and a message pointing at the rotation.
func TestExpiredTokenFailsSubmission(t *testing.T) {
	s := sharedStack(t)
	kv := s.vault(t)
	// Let the test's reader identity write one secret version, as an admin
	// would with a role assignment.
	role := `{"principal_id":"` + s.env["DEVSTACK_COMPUTE_OBJECT_ID"] + `","role":"Key Vault Secrets Officer"}`
	s.admin(t, http.MethodPost, "/keyvault/role-assignments", role)
	defer s.admin(t, http.MethodDelete, "/keyvault/role-assignments", role)
	expired := time.Now().Add(-time.Hour)
	value := `{"access_token":"expired-token-value-for-e2e","username":"frogbridge-rotation"}`
	if _, err := kv.SetSecret(context.Background(), "expired-e2e", azsecrets.SetSecretParameters{
		Value: &value, ContentType: to.Ptr("application/json"),
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &expired},
	}, nil); err != nil {
		t.Fatal(err)
	}
	h := startHost(t, s, map[string]string{"ARTIFACTORY_TOKEN_SECRET_NAME": "expired-e2e"})
	status, body := h.call(t, http.MethodPost, "/api/jobs/training", `{}`, "function")
	if status != http.StatusBadGateway || !strings.Contains(body, "expired") || !strings.Contains(body, "KeyVaultSecretRotation") {
		t.Fatalf("submission with an expired token = %d %s, want 502 naming the expiry and the rotation", status, body)
	}
	if strings.Contains(body, "expired-token-value-for-e2e") {
		t.Fatal("the answer shows the token")
	}
}
