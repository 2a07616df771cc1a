package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// blackHole accepts connections and never answers, like a stalled
// dependency; it returns its URL.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/msi/token"
}

// TestJobEndpointsHaveADeadline: with the managed identity endpoint
// stalled, the job functions answer 504 at their deadline instead of
// holding the request past the platform's 230 s.
func TestJobEndpointsHaveADeadline(t *testing.T) {
	defer func(d time.Duration) { httpDeadline = d }(httpDeadline)
	httpDeadline = time.Second
	base, _ := serveWith(t, map[string]string{"IDENTITY_ENDPOINT": blackHole(t)})
	client := &http.Client{Timeout: 15 * time.Second}
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/jobs/train-20260101000000-abcd"},
		{http.MethodPost, "/api/jobs/train-20260101000000-abcd/cancel"},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: no answer: %v", c.method, c.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error, Details string }
		if resp.StatusCode != http.StatusGatewayTimeout || json.Unmarshal(b, &e) != nil || e.Details == "" {
			t.Errorf("%s %s = %d %s, want 504 with details", c.method, c.path, resp.StatusCode, b)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s %s answered after %s, want about the 1 s deadline", c.method, c.path, d)
		}
	}
}

// TestHTTPDeadlineBelowPlatformLimit: the deadline every HTTP function
// runs under stays below Azure's 230 s, and the rotation's own below it.
func TestHTTPDeadlineBelowPlatformLimit(t *testing.T) {
	if httpDeadline >= 230*time.Second || httpRotationTimeout > httpDeadline {
		t.Errorf("httpDeadline %s, rotation %s: want rotation <= deadline < 230 s", httpDeadline, httpRotationTimeout)
	}
}
