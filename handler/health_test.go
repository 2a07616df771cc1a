package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
