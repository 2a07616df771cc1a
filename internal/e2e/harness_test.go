package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/envfile"
	"github.com/frogbridge/frogbridge/internal/funcpkg"
	"github.com/frogbridge/frogbridge/internal/testbin"
)

// output collects a child's output for the leak scans.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// stack is a running `devstack up`.
type stack struct {
	env  map[string]string
	dir  string
	cmd  *exec.Cmd
	out  *output
	done chan error
}

// Most tests share one stack. Tests that arm faults for a long time (the
// fault matrix, stalls past the deadline, a killed handler) take a stack of
// their own (privateStack) and run in parallel with the others, so faults
// never reach another test. The tests' own clients use computeIdentity, which
// keeps no process-wide token cache, so tokens of one stack never reach
// another.
var (
	sharedOnce sync.Once
	shared     *stack
	sharedErr  string
)

// sharedStack returns the package's stack, starting it on first use.
// TestMain stops it.
func sharedStack(t testing.TB) *stack {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "frogbridge-e2e-stack-")
		if err != nil {
			sharedErr = err.Error()
			return
		}
		shared, sharedErr = launchStack(dir)
	})
	if shared == nil {
		t.Fatalf("local stack: %s", sharedErr)
	}
	return shared
}

// privateStack starts a stack for one test and stops it when the test ends.
func privateStack(t testing.TB) *stack {
	t.Helper()
	dir := t.TempDir()
	s, errText := launchStack(dir)
	if s == nil {
		t.Fatalf("local stack: %s", errText)
	}
	t.Cleanup(s.stop)
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
		os.RemoveAll(shared.dir)
	}
	if appPath != "" {
		os.RemoveAll(filepath.Dir(appPath))
	}
	os.Exit(code)
}

// launchStack runs `devstack up` on random loopback ports with its state in
// dir and waits for its env file.
func launchStack(dir string, extra ...string) (*stack, string) {
	envPath := filepath.Join(dir, "devstack.env")
	os.Remove(envPath)
	s := &stack{dir: dir, out: &output{}, done: make(chan error, 1)}
	args := append([]string{"up", "--data", filepath.Join(dir, "stack"), "--env-file", envPath, "--port-base", "0"}, extra...)
	bin, err := testbin.Build("devstack")
	if err != nil {
		return nil, err.Error()
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err.Error()
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if m, err := envfile.ReadFile(envPath); err == nil && m["KEY_VAULT_URL"] != "" {
			s.env = m
			return s, ""
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Sprintf("devstack up exited: %v\n%s", err, s.out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Sprintf("devstack up wrote no env file within 90 s:\n%s", s.out)
		}
	}
}

// stop interrupts devstack up and waits for it.
func (s *stack) stop() {
	if s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(20 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// host is a running `devstack host` with the packaged app.
type host struct {
	url         string
	masterKey   string
	functionKey string
	settings    map[string]string
	cmd         *exec.Cmd
	out         *output
	done        chan error
}

// appDir packs the function app once per test binary.
var (
	appOnce sync.Once
	appPath string
	appErr  error
)

func packagedApp(t testing.TB) string {
	t.Helper()
	handler := testbin.Path(t, "handler")
	appOnce.Do(func() {
		dir, err := os.MkdirTemp("", "frogbridge-e2e-app-")
		if err != nil {
			appErr = err
			return
		}
		appPath = filepath.Join(dir, "functionapp")
		_, appErr = funcpkg.Pack(funcpkg.PackOptions{SrcDir: testbin.RepoRoot(t), Handler: handler, OutDir: appPath})
	})
	if appErr != nil {
		t.Fatal(appErr)
	}
	return appPath
}

// startHost runs the packaged app under `devstack host` with the stack's
// settings plus overrides (an empty value removes a setting).
func startHost(t testing.TB, s *stack, overrides map[string]string) *host {
	t.Helper()
	return startHostApp(t, s, packagedApp(t), overrides)
}

// startHostApp is startHost for the packaged app in appDir.
func startHostApp(t testing.TB, s *stack, appDir string, overrides map[string]string) *host {
	t.Helper()
	settings := map[string]string{}
	for k, v := range s.env {
		settings[k] = v
	}
	settings["ROTATION_SCHEDULE"] = "0 0 */3 * * *"
	// The tests force rotations back to back; TestForcedRotationLimit
	// turns the limit on.
	settings["ROTATION_FORCE_MIN_INTERVAL"] = "0"
	settings["FUNCTIONS_MASTER_KEY"] = "e2e-master-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	settings["FUNCTIONS_DEFAULT_KEY"] = "e2e-function-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for k, v := range overrides {
		if v == "" {
			delete(settings, k)
		} else {
			settings[k] = v
		}
	}
	b, err := envfile.Encode(settings)
	if err != nil {
		t.Fatal(err)
	}
	envPath := filepath.Join(t.TempDir(), "host.env")
	if err := os.WriteFile(envPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	h := &host{
		url:       "http://127.0.0.1:" + strconv.Itoa(port),
		masterKey: settings["FUNCTIONS_MASTER_KEY"], functionKey: settings["FUNCTIONS_DEFAULT_KEY"],
		settings: settings, out: &output{}, done: make(chan error, 1),
	}
	h.cmd = exec.Command(testbin.Path(t, "devstack"), "host", "--app", appDir, "--port", strconv.Itoa(port), "--env-file", envPath)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.done <- h.cmd.Wait() }()
	t.Cleanup(h.stop)
	deadline := time.Now().Add(40 * time.Second)
	for {
		resp, err := http.Get(h.url + "/api/health")
		if err == nil {
			resp.Body.Close()
			return h
		}
		select {
		case err := <-h.done:
			h.done <- err
			t.Fatalf("devstack host exited: %v\n%s", err, h.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("devstack host did not serve within 40 s:\n%s", h.out)
		}
	}
}

func (h *host) stop() {
	if h.cmd.Process == nil {
		return
	}
	syscall.Kill(-h.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-h.done:
		h.done <- err
	case <-time.After(40 * time.Second):
		syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// call sends a request; key is "", "function" or "master".
func (h *host) call(t testing.TB, method, path, body, key string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch key {
	case "function":
		req.Header.Set("x-functions-key", h.functionKey)
	case "master":
		req.Header.Set("x-functions-key", h.masterKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func decode(t testing.TB, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("body is not the expected JSON: %v\n%s", err, body)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitUntil polls cond every 100 ms until it holds or limit passes.
func waitUntil(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
