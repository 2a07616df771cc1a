package localazureml

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// distributedJob is a command job on instances instances with the PyTorch
// distribution.
func distributedJob(envID, command string, instances int) map[string]any {
	body := commandJob(envID, command)
	p := body["properties"].(map[string]any)
	p["resources"] = map[string]any{"instanceCount": instances}
	p["distribution"] = map[string]any{"distributionType": "PyTorch", "processCountPerInstance": 1}
	return body
}

func shServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServer(t, func(o *Options) { o.Executables = map[string]string{"sh": "/bin/sh"} })
}

func (ts *testServer) rankLog(t *testing.T, name string, rank int) string {
	t.Helper()
	ts.mu.Lock()
	j := ts.st.Workspaces[wsKey(testSub, testRG, testWS)].Jobs[name]
	ts.mu.Unlock()
	b, _ := os.ReadFile(filepath.Join(j.Dir, rankLog(rank)))
	return string(b)
}

func TestDistributedJobRunsEveryRank(t *testing.T) {
	ts := shServer(t)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	cmd := `sh -c 'echo "rank=$RANK world=$WORLD_SIZE node=$NODE_RANK local=$LOCAL_RANK master=$MASTER_ADDR:$MASTER_PORT run=$AZUREML_RUN_ID"'`
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/dist-1", distributedJob(envID, cmd, 3)); st != http.StatusCreated {
		t.Fatalf("put: %d %v", st, out)
	}
	final, _ := ts.waitStatus(t, "dist-1", 30*time.Second)
	if s := props(final)["status"]; s != statusCompleted {
		t.Fatalf("status %v: %v", s, ts.runError(t, "dist-1"))
	}
	if r := props(final)["resources"].(map[string]any)["instanceCount"]; r != float64(3) {
		t.Errorf("resources.instanceCount reported %v", r)
	}
	line := regexp.MustCompile(`rank=(\d) world=3 node=(\d) local=0 master=127\.0\.0\.1:(\d+) run=dist-1`)
	port := ""
	for r := range 3 {
		m := line.FindStringSubmatch(ts.rankLog(t, "dist-1", r))
		if m == nil || m[1] != string(rune('0'+r)) || m[2] != m[1] {
			t.Fatalf("rank %d log %q", r, ts.rankLog(t, "dist-1", r))
		}
		if port != "" && m[3] != port {
			t.Errorf("rank %d has MASTER_PORT %s, rank 0 %s", r, m[3], port)
		}
		port = m[3]
	}
}

func TestDistributedJobFailsWithTheRanksError(t *testing.T) {
	ts := shServer(t)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	// rank 1 fails; rank 0 would run for a minute: the runner stops it.
	cmd := `sh -c 'if [ "$RANK" = 1 ]; then echo "rank one: disk full" >&2; exit 3; fi; sleep 60'`
	start := time.Now()
	ts.do(t, http.MethodPut, wsPath()+"/jobs/dist-2", distributedJob(envID, cmd, 2))
	final, _ := ts.waitStatus(t, "dist-2", 30*time.Second)
	if s := props(final)["status"]; s != statusFailed {
		t.Fatalf("status %v", s)
	}
	if d := time.Since(start); d > rankGrace+10*time.Second {
		t.Errorf("failing took %s: the other rank was not stopped", d)
	}
	msg, _ := ts.runError(t, "dist-2")["message"].(string)
	for _, want := range []string{"rank 1 of 2 exited with status code 3", "rank one: disk full", "std_log_process_01.txt"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !strings.Contains(msg, "Then User process 'sh' of rank 0 of 2") {
		t.Errorf("error %q does not say rank 0 was stopped after", msg)
	}
}

func TestDistributionValidated(t *testing.T) {
	ts := shServer(t)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	for name, mutate := range map[string]func(p map[string]any){
		"mpi":      func(p map[string]any) { p["distribution"] = map[string]any{"distributionType": "Mpi"} },
		"unknown":  func(p map[string]any) { p["distribution"] = map[string]any{"distributionType": "Ray"} },
		"zero":     func(p map[string]any) { p["resources"] = map[string]any{"instanceCount": 0} },
		"fraction": func(p map[string]any) { p["resources"] = map[string]any{"instanceCount": 1.5} },
		"too many": func(p map[string]any) { p["resources"] = map[string]any{"instanceCount": maxLocalProcesses + 1} },
	} {
		body := distributedJob(envID, "sh -c true", 2)
		mutate(body["properties"].(map[string]any))
		if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/v-"+strings.ReplaceAll(name, " ", "-"), body); st != http.StatusBadRequest {
			t.Errorf("%s: %d %v", name, st, out)
		}
	}
}
