package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/funcpkg"
	"github.com/frogbridge/frogbridge/internal/testbin"
)

// syncBuffer is a bytes.Buffer safe for the host's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

type runningHost struct {
	*Host
	logs *syncBuffer
	out  *syncBuffer
	stop func()
}

// startPackagedApp packs the repository's app with the real handler and
// runs it under the host.
func startPackagedApp(t *testing.T, settings map[string]string) *runningHost {
	t.Helper()
	root := testbin.RepoRoot(t)
	dir := filepath.Join(t.TempDir(), "functionapp")
	app, err := funcpkg.Pack(funcpkg.PackOptions{SrcDir: root, Handler: testbin.Path(t, "handler"), OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	logs, out := &syncBuffer{}, &syncBuffer{}
	h, err := New(Options{
		App: app, Addr: "127.0.0.1:0", Settings: settings,
		MasterKey: "master-key-for-tests", FunctionKey: "function-key-for-tests",
		Logger: zerolog.New(logs), Stdout: out, Stderr: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if err := h.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- h.Run(ctx) }()
	rh := &runningHost{Host: h, logs: logs, out: out}
	rh.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("host Run = %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Error("host did not stop")
		}
	}
	t.Cleanup(rh.stop)
	waitFor(t, "the host to serve", func() bool {
		resp, err := http.Get(h.URL() + "/api/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return rh
}

func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPackagedAppUnderHost(t *testing.T) {
	h := startPackagedApp(t, map[string]string{"ROTATION_SCHEDULE": "0 0 0 1 1 *", "LOG_LEVEL": "debug"})
	base := h.URL()

	t.Run("anonymous health", func(t *testing.T) {
		status, body := get(t, base+"/api/health", nil)
		if status != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503 for an unconfigured app; body %s", status, body)
		}
		var rep struct {
			Reasons []string `json:"reasons"`
		}
		if err := json.Unmarshal([]byte(body), &rep); err != nil || len(rep.Reasons) == 0 || !strings.Contains(rep.Reasons[0], "rotation settings") {
			t.Fatalf("health body = %s (%v)", body, err)
		}
	})
	t.Run("function key required", func(t *testing.T) {
		if status, _ := get(t, base+"/api/jobs/some-job", nil); status != http.StatusUnauthorized {
			t.Fatalf("without key: status = %d, want 401", status)
		}
		if status, _ := get(t, base+"/api/jobs/some-job?code=wrong", nil); status != http.StatusUnauthorized {
			t.Fatalf("wrong key: status = %d, want 401", status)
		}
		status, body := get(t, base+"/api/jobs/some-job", map[string]string{"x-functions-key": "function-key-for-tests"})
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "AZUREML_WORKSPACE_NAME") {
			t.Fatalf("with key: status = %d body %s, want the handler's 503 naming the missing settings", status, body)
		}
		status, _ = get(t, base+"/api/jobs/some-job?code=master-key-for-tests", nil)
		if status != http.StatusServiceUnavailable {
			t.Fatalf("master key in code: status = %d, want the handler's answer", status)
		}
	})
	t.Run("method and route", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, base+"/api/health", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("DELETE health = %d, want 405", resp.StatusCode)
		}
		if status, _ := get(t, base+"/api/nowhere", nil); status != http.StatusNotFound {
			t.Errorf("unknown route = %d, want 404", status)
		}
	})
	t.Run("invocation id forwarded", func(t *testing.T) {
		get(t, base+"/api/health", nil)
		waitFor(t, "an invocation id in the handler's log", func() bool {
			return strings.Contains(h.out.String(), `"invocation_id":"`) && strings.Contains(h.out.String(), `"function":"Health"`)
		})
	})
	t.Run("admin invoke of the timer", func(t *testing.T) {
		post := func(key, body string) int {
			req, _ := http.NewRequest(http.MethodPost, base+"/admin/functions/KeyVaultSecretRotation", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("x-functions-key", key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := post("", `{"input":""}`); s != http.StatusUnauthorized {
			t.Errorf("without master key = %d, want 401", s)
		}
		if s := post("function-key-for-tests", `{"input":""}`); s != http.StatusUnauthorized {
			t.Errorf("with function key = %d, want 401", s)
		}
		if s := post("master-key-for-tests", `nope`); s != http.StatusBadRequest {
			t.Errorf("bad body = %d, want 400", s)
		}
		if s := post("master-key-for-tests", `{"input":""}`); s != http.StatusAccepted {
			t.Fatalf("admin invoke = %d, want 202", s)
		}
		// The unconfigured handler fails the run, naming the settings.
		waitFor(t, "the timer invocation result", func() bool {
			return strings.Contains(h.logs.String(), `"result":"Failed"`)
		})
		// The host discards Logs of a failed invocation; the handler's own
		// log line names the settings to fix.
		if !strings.Contains(h.out.String(), "KEY_VAULT_NAME") {
			t.Errorf("handler log lacks the reason: %s", h.out.String())
		}
	})
}

func TestTimerFiresOnSchedule(t *testing.T) {
	h := startPackagedApp(t, map[string]string{"ROTATION_SCHEDULE": "* * * * * *"})
	waitFor(t, "two scheduled timer runs", func() bool {
		return strings.Count(h.logs.String(), `"reason":"Timer fired"`) >= 2
	})
}

func TestHandlerRestartedAfterCrash(t *testing.T) {
	h := startPackagedApp(t, map[string]string{"ROTATION_SCHEDULE": "0 0 0 1 1 *"})
	h.worker.mu.Lock()
	port := h.worker.port
	h.worker.mu.Unlock()
	// Find and kill the handler process group.
	pid := handlerPID(t, h)
	syscall.Kill(pid, syscall.SIGKILL)
	waitFor(t, "the handler to be restarted", func() bool {
		h.worker.mu.Lock()
		defer h.worker.mu.Unlock()
		select {
		case <-h.worker.ready:
			return h.worker.port != port
		default:
			return false
		}
	})
	if status, _ := get(t, h.URL()+"/api/health", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("after restart health = %d, want the handler's 503", status)
	}
	if !strings.Contains(h.logs.String(), "custom handler exited; restarting") {
		t.Error("restart not logged")
	}
}

func handlerPID(t *testing.T, h *runningHost) int {
	t.Helper()
	var pid int
	waitFor(t, "the handler pid in the log", func() bool {
		for _, line := range strings.Split(h.logs.String(), "\n") {
			var m struct {
				Pid     int    `json:"pid"`
				Message string `json:"message"`
			}
			if json.Unmarshal([]byte(line), &m) == nil && m.Message == "custom handler ready" {
				pid = m.Pid
			}
		}
		return pid != 0
	})
	return pid
}

func TestNewRefusesUnresolvedSchedule(t *testing.T) {
	root := testbin.RepoRoot(t)
	dir := filepath.Join(t.TempDir(), "app")
	app, err := funcpkg.Pack(funcpkg.PackOptions{SrcDir: root, Handler: testbin.Path(t, "handler"), OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{App: app, Addr: "127.0.0.1:0", Settings: map[string]string{}, MasterKey: "m", FunctionKey: "f"})
	if err == nil || !strings.Contains(err.Error(), "ROTATION_SCHEDULE") {
		t.Fatalf("New = %v, want an error naming ROTATION_SCHEDULE", err)
	}
	_, err = New(Options{App: app, Addr: "127.0.0.1:0", Settings: map[string]string{"ROTATION_SCHEDULE": "every hour"}, MasterKey: "m", FunctionKey: "f"})
	if err == nil {
		t.Fatal("New accepted a bad NCRONTAB")
	}
}

func TestParseTimeSpan(t *testing.T) {
	tests := map[string]time.Duration{
		"00:10:00":   10 * time.Minute,
		"01:00:00":   time.Hour,
		"1.02:03:04": 26*time.Hour + 3*time.Minute + 4*time.Second,
	}
	for in, want := range tests {
		got, err := parseTimeSpan(in)
		if err != nil || got != want {
			t.Errorf("parseTimeSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"10m", "1:2", "a:b:c", "-1:00:00"} {
		if _, err := parseTimeSpan(bad); err == nil {
			t.Errorf("parseTimeSpan(%q) accepted", bad)
		}
	}
}

func TestTimerPayloadShape(t *testing.T) {
	sched, _ := parseSchedule("0 */5 * * * *")
	tm := &timer{fn: funcpkg.Function{Name: "KeyVaultSecretRotation"}, binding: "rotationTimer", sched: sched, monitor: true}
	b, err := tm.payload(time.Date(2024, 11, 30, 14, 43, 50, 403838000, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Data map[string]struct {
			ScheduleStatus map[string]string
			IsPastDue      bool
		}
		Metadata struct{ Sys map[string]string }
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	st := p.Data["rotationTimer"].ScheduleStatus
	if st["Last"] != "0001-01-01T00:00:00" || st["Next"] != "2024-11-30T14:45:00+00:00" {
		t.Errorf("ScheduleStatus = %v", st)
	}
	if p.Metadata.Sys["MethodName"] != "KeyVaultSecretRotation" || p.Metadata.Sys["UtcNow"] == "" {
		t.Errorf("sys = %v", p.Metadata.Sys)
	}
}

// TestWorkerEnvIsAppSettings: the handler gets the app settings and the
// platform's basic variables, never the rest of the host's environment
// (such as the local stack's admin token) nor the host's keys.
func TestWorkerEnvIsAppSettings(t *testing.T) {
	hostEnv := []string{"PATH=/usr/bin", "HOME=/root", "JFROG_ADMIN_TOKEN=admin-secret", "DEVSTACK_COMPUTE_MSI_SECRET=msi", "LANG=C.UTF-8", "TZ"}
	settings := map[string]string{
		"KEY_VAULT_URL": "https://vault.example", "FUNCTIONS_MASTER_KEY": "mk", "FUNCTIONS_DEFAULT_KEY": "fk", "LANG": "en_US.UTF-8",
	}
	got := workerEnv(hostEnv, settings)
	want := []string{"PATH=/usr/bin", "HOME=/root", "TZ", "KEY_VAULT_URL=https://vault.example", "LANG=en_US.UTF-8"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("workerEnv =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
