package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
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
	st := follow(t, h, sub.JobName)
	if st.Status != "Completed" || st.Training == nil || st.Training.Version == "" || st.Training.Accuracy < 0.9 {
		t.Fatalf("training job = %+v (%v)", st, strings.Contains(h.out.String(), "error"))
	}
}
