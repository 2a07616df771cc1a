package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// trainingWithSHA is the training part of GET /api/jobs/{name} with the
// model's sha256.
type trainingWithSHA struct {
	Status   string `json:"status"`
	Error    string `json:"error"`
	Training *struct {
		ModelSHA256 string `json:"model_sha256"`
	} `json:"training"`
}

func modelSHA(t *testing.T, h *host, name string) string {
	t.Helper()
	st := follow(t, h, name)
	if st.Status != "Completed" {
		t.Fatalf("job %s = %+v", name, st)
	}
	_, body := h.call(t, http.MethodGet, "/api/jobs/"+name, "", "function")
	var ts trainingWithSHA
	decode(t, body, &ts)
	if ts.Training == nil || len(ts.Training.ModelSHA256) != 64 {
		t.Fatalf("job %s reports no model sha256: %s", name, body)
	}
	return ts.Training.ModelSHA256
}

// TestDistributedTrainingSameModel trains through the Functions host and
// the local AzureML on one instance and on two (two trainer processes that
// exchange trees over loopback): the uploaded models are the same bytes.
func TestDistributedTrainingSameModel(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	hp := `"hyperparameters": {"n_estimators": 40, "seed": 11}`
	one := submit(t, h, "/api/jobs/training", `{"model_name": "e2e-dist-one", "instance_count": 1, `+hp+`}`)
	two := submit(t, h, "/api/jobs/training", `{"model_name": "e2e-dist-two", "instance_count": 2, `+hp+`}`)
	if a, b := modelSHA(t, h, one.JobName), modelSHA(t, h, two.JobName); a != b {
		t.Fatalf("model sha256 with 1 instance %s, with 2 %s", a, b)
	}
}

// TestKilledRankFailsTheJob kills rank 1 of a two-instance training while
// it runs: the job fails naming the rank and no model version is uploaded.
// Iris trains in milliseconds, so a kill that lands after rank 1 finished
// is retried with a new job.
func TestKilledRankFailsTheJob(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	for attempt := range 5 {
		model := "e2e-dist-killed-" + strconv.Itoa(attempt)
		sub := submit(t, h, "/api/jobs/training", `{"model_name": "`+model+`", "instance_count": 2, "hyperparameters": {"n_estimators": 1000, "max_features": "all", "workers": 1}}`)
		pid := findRank(t, sub.JobName, 1, 30*time.Second)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Logf("attempt %d: rank 1 (pid %d) ended before the kill: %v", attempt, pid, err)
			follow(t, h, sub.JobName)
			continue
		}
		st := follow(t, h, sub.JobName)
		if st.Status == "Completed" {
			t.Logf("attempt %d: the kill reached rank 1 after it had finished", attempt)
			continue
		}
		if st.Status != "Failed" || !strings.Contains(st.Error, "rank 1 of 2") || !strings.Contains(st.Error, "killed") {
			t.Fatalf("job = %+v, want Failed naming the killed rank 1", st)
		}
		t.Logf("attempt %d: the job failed with: %s", attempt, st.Error)
		if code := modelStorage(t, s, model); code != http.StatusNotFound {
			t.Fatalf("model %s after a failed job: storage answers %d, want 404 (nothing uploaded)", model, code)
		}
		return
	}
	t.Fatal("rank 1 finished before every kill")
}

// findRank returns the pid of the trainer process of job's rank, found by
// its environment (AZUREML_RUN_ID and RANK, as the local AzureML sets
// them).
func findRank(t *testing.T, job string, rank int, limit time.Duration) int {
	t.Helper()
	runID := []byte("AZUREML_RUN_ID=" + job + "\x00")
	rankVar := []byte("RANK=" + strconv.Itoa(rank) + "\x00")
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || !bytes.Contains(cmdline, []byte("trainer")) {
				continue
			}
			env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
			if err != nil {
				continue
			}
			if bytes.Contains(env, runID) && (bytes.HasPrefix(env, rankVar) || bytes.Contains(env, append([]byte{0}, rankVar...))) {
				return pid
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no trainer process of job %s rank %d within %s", job, rank, limit)
	return 0
}

// modelStorage returns the status of the storage API for model in the ML
// repository, read with the stored JFrog token.
func modelStorage(t *testing.T, s *stack, model string) int {
	t.Helper()
	_, token, _ := s.storedCredentials(t, s.vault(t))
	req, _ := http.NewRequest(http.MethodGet, s.env["ARTIFACTORY_URL"]+"/artifactory/api/storage/"+s.env["ARTIFACTORY_ML_REPO"]+"/models/"+model+"?list&deep=1&depth=2", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
