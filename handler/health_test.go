package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// syncBuffer is a bytes.Buffer safe for the handler's logger and the test.
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

// serveWith runs the handler with productionSettings overridden and
// extended by env and returns its base URL and its log.
func serveWith(t *testing.T, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	for _, kv := range productionSettings {
		k, v, _ := strings.Cut(kv, "=")
		if e, ok := env[k]; ok {
			v = e
		}
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	t.Setenv("FUNCTIONS_CUSTOMHANDLER_PORT", strconv.Itoa(port))
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for start := time.Now(); ; {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			return base, out
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("handler did not answer: %v\n%s", err, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHealthNeverRepeatsSettingValues: a malformed URL setting may carry a
// password or a SAS signature; neither the anonymous health answer nor
// the start-up log repeats it, and both name the setting.
func TestHealthNeverRepeatsSettingValues(t *testing.T) {
	const password, sig = "pw-s3cr3t-9f2c", "sig-s3cr3t-77aa"
	base, out := serveWith(t, map[string]string{
		"ARTIFACTORY_URL":                     "https://admin:" + password + "@example.jfrog.io",
		"AzureWebJobsStorage__blobServiceUri": "https://acct.blob.core.windows.net/?sv=2022-11-02&sig=" + sig,
	})
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("health = %d %s, want 503", resp.StatusCode, body)
	}
	time.Sleep(100 * time.Millisecond) // the start-up report is logged beside the first answers
	for what, text := range map[string]string{"health body": string(body), "log": out.String()} {
		for _, secret := range []string{password, sig} {
			if strings.Contains(text, secret) {
				t.Errorf("%s repeats a setting value (%s):\n%s", what, secret, text)
			}
		}
		for _, name := range []string{"ARTIFACTORY_URL", "AzureWebJobsStorage__blobServiceUri"} {
			if !strings.Contains(text, name) {
				t.Errorf("%s does not name %s:\n%s", what, name, text)
			}
		}
	}
}

// fakeRotator counts Status reads.
type fakeRotator struct {
	mu    sync.Mutex
	reads int
	st    rotation.TokenStatus
	err   error
}

func (f *fakeRotator) Rotate(context.Context, rotation.RotateOptions) (rotation.Result, error) {
	return rotation.Result{Rotated: true}, nil
}

func (f *fakeRotator) Status(context.Context) (rotation.TokenStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.st, f.err
}

func (f *fakeRotator) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.reads }

func healthHandlers(t *testing.T, rot rotator, now func() time.Time) *handlers {
	t.Helper()
	settings := map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "7071"}
	for _, kv := range productionSettings {
		k, v, _ := strings.Cut(kv, "=")
		settings[k] = v
	}
	cfg := config.Load(func(k string) string { return settings[k] })
	if ps := cfg.Problems(); len(ps) != 0 {
		t.Fatalf("productionSettings have problems: %v", ps)
	}
	return &handlers{cfg: cfg, rotation: rot, statuses: &statusCache{ttl: healthCacheTTL, now: now}}
}

func get(t *testing.T, hf http.HandlerFunc, path string) (int, map[string]any, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	hf(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, rec.Body)
	}
	return rec.Code, body, rec.Body.String()
}

// TestHealthCachesAndHidesDetails: a flood of anonymous health checks is
// one Key Vault read per cache period, and the anonymous answer holds the
// status and reasons only; the token's user, id and version and the error
// text are in the details.
func TestHealthCachesAndHidesDetails(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	created, exp := now.Add(-time.Hour), now.Add(5*time.Hour)
	rot := &fakeRotator{st: rotation.TokenStatus{SecretName: "s", Version: "v-1234", Username: "frogbridge-rotation", TokenID: "jti-5678", Created: &created, ExpiresOn: &exp}}
	h := healthHandlers(t, rot, clock)

	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, body := get(t, h.health, "/api/health"); code != http.StatusOK {
				t.Errorf("health = %d %s", code, body)
			}
		}()
	}
	wg.Wait()
	if n := rot.count(); n != 1 {
		t.Errorf("50 health checks read Key Vault %d times, want 1", n)
	}
	_, pub, raw := get(t, h.health, "/api/health")
	if len(pub) != 2 || pub["status"] != "ok" || pub["reasons"] == nil {
		t.Errorf("anonymous health = %s, want only status and reasons", raw)
	}
	for _, detail := range []string{"v-1234", "frogbridge-rotation", "jti-5678"} {
		if strings.Contains(raw, detail) {
			t.Errorf("anonymous health shows %s: %s", detail, raw)
		}
	}
	code, det, raw := get(t, h.healthDetails, "/api/health/details")
	tok, _ := det["token"].(map[string]any)
	if code != http.StatusOK || tok["secret_version"] != "v-1234" || tok["username"] != "frogbridge-rotation" || tok["token_id"] != "jti-5678" {
		t.Errorf("details = %d %s", code, raw)
	}

	mu.Lock()
	now = now.Add(healthCacheTTL)
	mu.Unlock()
	rot.mu.Lock()
	rot.err = &rotation.Error{Kind: errkind.Forbidden, Step: "read secret attributes", Err: errors.New("vault said: Caller is not authorized; assign role Key Vault Secrets User")}
	rot.mu.Unlock()
	code, pub, raw = get(t, h.health, "/api/health")
	if code != http.StatusServiceUnavailable || strings.Contains(raw, "Caller is not authorized") || len(pub) != 2 {
		t.Errorf("anonymous health after the cache period with a vault error = %d %s, want 503 without the error text", code, raw)
	}
	if n := rot.count(); n != 2 {
		t.Errorf("Key Vault reads after the cache period = %d, want 2", n)
	}
	if _, _, raw := get(t, h.healthDetails, "/api/health/details"); !strings.Contains(raw, "Caller is not authorized") {
		t.Errorf("details lack the error text: %s", raw)
	}
	if n := rot.count(); n != 2 {
		t.Errorf("the error was not cached: %d reads", n)
	}
}
