package localazureml

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// runServer starts a server that runs the real trainer and uploads to
// Azurite.
func runServer(t *testing.T, mutate func(*Options)) (*testServer, *azblob.Client) {
	t.Helper()
	az := startAzurite(t)
	trainer := trainerPath(t)
	ts := newTestServer(t, func(o *Options) {
		o.TrainerPath = trainer
		o.ComputeEnv = map[string]string{"MSI_ENDPOINT": "http://127.0.0.1:1/msi", "MSI_SECRET": "s3cret"}
		o.Blob = BlobTarget{ConnectionString: az.ConnectionString()}
		if mutate != nil {
			mutate(o)
		}
	})
	client, err := azblob.NewClientFromConnectionString(az.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ts, client
}

// blobs lists the blob names under prefix in container.
func blobs(t *testing.T, c *azblob.Client, container, prefix string) []string {
	t.Helper()
	var names []string
	pager := c.NewListBlobsFlatPager(container, &azblob.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	return names
}

func TestJobRunsTrainerAndUploadsOutputs(t *testing.T) {
	ts, bc := runServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	body := commandJob(envID, `trainer train --output-dir ${{outputs.model}} --metadata-dir "${{ outputs.metadata }}" --seed ${{inputs.seed}}`, "model", "metadata")
	body["properties"].(map[string]any)["inputs"] = map[string]any{"seed": map[string]any{"jobInputType": "literal", "value": "7"}}
	st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/train-1", body)
	if st != http.StatusCreated || props(out)["status"] != statusNotStarted {
		t.Fatalf("put: %d %v", st, out)
	}
	if out["id"] != wsPath()+"/jobs/train-1" || out["type"] != typeJob {
		t.Fatalf("put reply %v", out)
	}
	final, seen := ts.waitStatus(t, "train-1", 60*time.Second)
	if s := props(final)["status"]; s != statusCompleted {
		t.Fatalf("status %v (%v), log:\n%s", s, ts.runError(t, "train-1"), ts.readLog(t, "train-1"))
	}
	for _, want := range []string{statusNotStarted, statusCompleted} {
		if !slices.Contains(seen, want) {
			t.Errorf("statuses seen %v lack %s", seen, want)
		}
	}
	if !strings.Contains(ts.readLog(t, "train-1"), "trained iris-test") {
		t.Errorf("log lacks the trainer's output:\n%s", ts.readLog(t, "train-1"))
	}
	container := ts.container(ts.st.Workspaces[wsKey(testSub, testRG, testWS)])
	meta := blobs(t, bc, container, "azureml/train-1/metadata/")
	if !slices.Equal(meta, []string{"azureml/train-1/metadata/metadata.json"}) {
		t.Fatalf("metadata blobs %v", meta)
	}
	model := blobs(t, bc, container, "azureml/train-1/model/")
	for _, f := range []string{"metadata.json", "metrics.json", "model.json"} {
		if !slices.Contains(model, "azureml/train-1/model/"+f) {
			t.Errorf("model blobs %v lack %s", model, f)
		}
	}
	resp, err := bc.DownloadStream(context.Background(), container, "azureml/train-1/metadata/metadata.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "iris-test") {
		t.Errorf("metadata.json does not carry MODEL_NAME from environmentVariables: %s", b)
	}
	// The Studio service endpoint shows the status and the log.
	studio := props(final)["services"].(map[string]any)["Studio"].(map[string]any)["endpoint"].(string)
	sresp, err := ts.http.Get(studio)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(sresp.Body)
	sresp.Body.Close()
	if sresp.StatusCode != http.StatusOK || !strings.Contains(string(page), "status: Completed") || !strings.Contains(string(page), "trained iris-test") {
		t.Errorf("studio page %s: %d\n%s", studio, sresp.StatusCode, page)
	}
	// A second PUT of the same name is an update: 200, tags replaced.
	body["properties"].(map[string]any)["tags"] = map[string]string{"k": "v"}
	st, _, out = ts.do(t, http.MethodPut, wsPath()+"/jobs/train-1", body)
	if st != http.StatusOK || props(out)["status"] != statusCompleted || props(out)["tags"].(map[string]any)["k"] != "v" {
		t.Fatalf("update: %d %v", st, out)
	}
}

func TestJobFailsWithTrainerError(t *testing.T) {
	ts, _ := runServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/bad-1", commandJob(envID, "trainer train --n-estimators 0 --metadata-dir ${{outputs.metadata}}", "metadata"))
	if st != http.StatusCreated {
		t.Fatalf("put: %d %v", st, out)
	}
	final, _ := ts.waitStatus(t, "bad-1", 30*time.Second)
	p := props(final)
	if p["error"] != nil {
		t.Fatalf("the job resource has no error property in AzureML's schema: %v", p)
	}
	e := ts.runError(t, "bad-1")
	msg, _ := e["message"].(string)
	if p["status"] != statusFailed || e["code"] != codeUserError || !strings.Contains(msg, "--n-estimators 0: must be at least 1") || !strings.Contains(msg, "status code 2") {
		t.Fatalf("got %v", p)
	}
}

func TestJobCancel(t *testing.T) {
	ts, _ := runServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	st, _, _ := ts.do(t, http.MethodPut, wsPath()+"/jobs/long-1", commandJob(envID, "trainer train --n-estimators 100000000 --workers 1"))
	if st != http.StatusCreated {
		t.Fatalf("put: %d", st)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _, out := ts.do(t, http.MethodGet, wsPath()+"/jobs/long-1", nil)
		if props(out)["status"] == statusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never ran: %v", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, h, _ := ts.do(t, http.MethodPost, wsPath()+"/jobs/long-1/cancel", nil)
	loc := h.Get("Location")
	if st != http.StatusAccepted || !strings.HasPrefix(loc, ts.url+"/subscriptions/"+testSub+"/providers/Microsoft.MachineLearningServices/locations/") {
		t.Fatalf("cancel: %d Location %q", st, loc)
	}
	final, _ := ts.waitStatus(t, "long-1", 20*time.Second)
	if props(final)["status"] != statusCanceled {
		t.Fatalf("status %v", props(final))
	}
	st, _, _ = ts.raw(t, http.MethodGet, strings.TrimPrefix(loc, ts.url), nil)
	if st != http.StatusOK {
		t.Fatalf("operation after cancel: %d", st)
	}
	if st, _, _ = ts.do(t, http.MethodPost, wsPath()+"/jobs/long-1/cancel", nil); st != http.StatusOK {
		t.Fatalf("second cancel: %d", st)
	}
}

func TestJobImagePullRefused(t *testing.T) {
	var got [3]string
	ts, _ := runServer(t, func(o *Options) {
		o.CheckRegistry = func(_ context.Context, target, user, pass string) error {
			got = [3]string{target, user, pass}
			return errors.New("401 Unauthorized: bad credentials")
		}
	})
	envID := ts.putEnv(t, "jfrog.local:8443/docker-local/trainer:1")
	st, _, out := ts.do(t, http.MethodPut, wsPath()+"/connections/reg", map[string]any{"properties": map[string]any{
		"category": "GenericContainerRegistry", "target": "https://JFrog.local:8443", "authType": "UsernamePassword",
		"credentials": map[string]any{"username": "u", "password": "expired"},
	}})
	if st != http.StatusOK {
		t.Fatalf("connection: %d %v", st, out)
	}
	ts.do(t, http.MethodPut, wsPath()+"/jobs/pull-1", commandJob(envID, "trainer train"))
	final, _ := ts.waitStatus(t, "pull-1", 20*time.Second)
	e := ts.runError(t, "pull-1")
	msg, _ := e["message"].(string)
	if props(final)["status"] != statusFailed || !strings.Contains(msg, "Failed to pull Docker image jfrog.local:8443/docker-local/trainer:1") ||
		!strings.Contains(msg, "connection reg") || strings.Contains(msg, "expired") {
		t.Fatalf("got %v", props(final))
	}
	if got != [3]string{"https://JFrog.local:8443", "u", "expired"} {
		t.Fatalf("CheckRegistry got %v", got)
	}
}

func TestJobTimeout(t *testing.T) {
	ts, _ := runServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	body := commandJob(envID, "trainer train --n-estimators 100000000 --workers 1")
	body["properties"].(map[string]any)["limits"] = map[string]any{"jobLimitsType": "Command", "timeout": "PT1S"}
	ts.do(t, http.MethodPut, wsPath()+"/jobs/slow-1", body)
	final, _ := ts.waitStatus(t, "slow-1", 20*time.Second)
	msg, _ := ts.runError(t, "slow-1")["message"].(string)
	if props(final)["status"] != statusFailed || !strings.Contains(msg, "timeout") {
		t.Fatalf("got %v", props(final))
	}
}

func TestCloseFailsRunningJobs(t *testing.T) {
	ts, _ := runServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	ts.do(t, http.MethodPut, wsPath()+"/jobs/orphan-1", commandJob(envID, "trainer train --n-estimators 100000000 --workers 1"))
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	ts.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %s", d)
	}
	j := ts.st.Workspaces[wsKey(testSub, testRG, testWS)].Jobs["orphan-1"]
	if j.Status != statusFailed || !strings.Contains(j.ErrorMessage, "local stack stopped") {
		t.Fatalf("job after Close: %+v", j)
	}
}

func TestJobEnvironment(t *testing.T) {
	// The process environment is ComputeEnv, then the job's variables, then
	// the runtime variables; a job variable overrides ComputeEnv.
	ts := newTestServer(t, func(o *Options) {
		o.ComputeEnv = map[string]string{"MSI_ENDPOINT": "http://x", "SHARED": "compute"}
	})
	p := jobPlan{name: "j", dir: "/d", def: jobProps{EnvironmentVariables: map[string]string{"SHARED": "job"}}}
	env := ts.jobEnv("j", p, map[string]string{"seed": "7"}, map[string]string{"model": "/d/outputs/model"})
	for k, want := range map[string]string{
		"MSI_ENDPOINT": "http://x", "SHARED": "job", "AZUREML_RUN_ID": "j",
		"AZURE_ML_INPUT_seed": "7", "AZURE_ML_OUTPUT_model": "/d/outputs/model", "TMPDIR": filepath.Join("/d", "tmp"),
	} {
		if got := envValue(env, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
