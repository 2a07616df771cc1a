package localazureml

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/azurite"
	"github.com/frogbridge/frogbridge/internal/testbin"
)

const (
	testSub = "00000000-0000-0000-0000-000000000001"
	testRG  = "rg-test"
	testWS  = "ws-test"
	apiV    = "2025-09-01"
)

var (
	azOnce sync.Once
	azProc *azurite.Process
	azErr  error
)

// TestMain stops the Azurite started by startAzurite.
func TestMain(m *testing.M) {
	code := m.Run()
	if azProc != nil {
		azProc.Stop()
	}
	os.Exit(code)
}

// startAzurite starts one plain-http Azurite shared by the package's tests
// and returns it. A missing azurite-blob fails the test.
func startAzurite(t testing.TB) *azurite.Process {
	t.Helper()
	azOnce.Do(func() {
		dir, err := os.MkdirTemp("", "azureml-azurite-")
		if err != nil {
			azErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		azProc, azErr = azurite.Start(ctx, azurite.Options{Dir: dir})
	})
	if azErr != nil {
		t.Fatalf("start azurite: %v", azErr)
	}
	return azProc
}

// testServer is a Server behind an httptest server.
type testServer struct {
	*Server
	url  string
	http *http.Client
}

// newTestServer starts a server for the test workspace. mutate adjusts
// the options before New.
func newTestServer(t *testing.T, mutate func(*Options)) *testServer {
	t.Helper()
	opts := Options{
		DataDir:    t.TempDir(),
		Workspaces: []Workspace{{SubscriptionID: testSub, ResourceGroup: testRG, Name: testWS}},
		QueueDelay: 20 * time.Millisecond,
	}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return &testServer{Server: s, url: hs.URL, http: hs.Client()}
}

// trainerPath returns the real trainer binary.
func trainerPath(t *testing.T) string {
	t.Helper()
	return testbin.Path(t, "trainer")
}

func wsPath() string {
	return "/subscriptions/" + testSub + "/resourceGroups/" + testRG + "/providers/Microsoft.MachineLearningServices/workspaces/" + testWS
}

// do sends a request with api-version and returns status, headers and the
// decoded JSON body (nil when empty).
func (ts *testServer) do(t *testing.T, method, path string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	sep := "?"
	if bytes.ContainsRune([]byte(path), '?') {
		sep = "&"
	}
	return ts.raw(t, method, path+sep+"api-version="+apiV, body)
}

func (ts *testServer) raw(t *testing.T, method, path string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// errCode returns error.code of an ARM error body.
func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["message"].(string)
	return c
}

// props returns body.properties.
func props(body map[string]any) map[string]any {
	p, _ := body["properties"].(map[string]any)
	return p
}

// putEnv creates environment trainer version 1 with image.
func (ts *testServer) putEnv(t *testing.T, image string) string {
	t.Helper()
	st, _, body := ts.do(t, http.MethodPut, wsPath()+"/environments/trainer/versions/1", map[string]any{
		"properties": map[string]any{"image": image},
	})
	if st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("put environment: %d %v", st, body)
	}
	return body["id"].(string)
}

// commandJob returns a Command job body.
func commandJob(envID, command string, outputs ...string) map[string]any {
	outs := map[string]any{}
	for _, o := range outputs {
		outs[o] = map[string]any{"jobOutputType": "uri_folder", "mode": "Upload"}
	}
	return map[string]any{"properties": map[string]any{
		"jobType": "Command", "command": command, "environmentId": envID,
		"computeId":      wsPath() + "/computes/cpu-cluster",
		"experimentName": "test", "outputs": outs,
		"environmentVariables": map[string]string{"MODEL_NAME": "iris-test"},
		"identity":             map[string]any{"identityType": "Managed"},
	}}
}

// waitStatus polls job name until its status is terminal and returns the
// last body and every status seen.
func (ts *testServer) waitStatus(t *testing.T, name string, timeout time.Duration) (map[string]any, []string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var seen []string
	for {
		st, _, body := ts.do(t, http.MethodGet, wsPath()+"/jobs/"+name, nil)
		if st != http.StatusOK {
			t.Fatalf("get job: %d %v", st, body)
		}
		s, _ := props(body)["status"].(string)
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		if terminal(s) {
			return body, seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %s (seen %v)", name, s, timeout, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readLog returns the job's std_log.txt.
func (ts *testServer) readLog(t *testing.T, name string) string {
	t.Helper()
	ts.mu.Lock()
	j := ts.st.Workspaces[wsKey(testSub, testRG, testWS)].Jobs[name]
	ts.mu.Unlock()
	b, _ := os.ReadFile(filepath.Join(j.Dir, logFile))
	return string(b)
}

// runError returns the root error of job name's run details, as the run
// history serves it (nil when there is none).
func (ts *testServer) runError(t *testing.T, name string) map[string]any {
	t.Helper()
	st, _, out := ts.raw(t, http.MethodGet, "/history/v1.0"+wsPath()+"/runs/"+name+"/details", nil)
	if st != http.StatusOK {
		t.Fatalf("run details of %s: %d %v", name, st, out)
	}
	outer, _ := out["error"].(map[string]any)
	e, _ := outer["error"].(map[string]any)
	return e
}
