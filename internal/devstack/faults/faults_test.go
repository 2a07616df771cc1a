package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newStack(t *testing.T) (*Registry, *httptest.Server, *httptest.Server) {
	t.Helper()
	reg := New()
	svc := httptest.NewServer(reg.Wrap("keyvault", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served "+r.Method+" "+r.URL.Path)
	})))
	admin := httptest.NewServer(reg.AdminHandler())
	t.Cleanup(func() { svc.Close(); admin.Close() })
	return reg, svc, admin
}

func arm(t *testing.T, admin *httptest.Server, body string) {
	t.Helper()
	resp, err := http.Post(admin.URL+"/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("arm fault: %d %s", resp.StatusCode, b)
	}
}

func do(t *testing.T, client *http.Client, method, url string) (int, http.Header, string, error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), nil
}

func TestStatusFaultTimes(t *testing.T) {
	_, svc, admin := newStack(t)
	arm(t, admin, `{"service":"keyvault","method":"PUT","path":"/secrets/","action":"status","status":429,"retry_after":"1","times":2}`)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantRetry  string
	}{
		{"other method passes", http.MethodGet, "/secrets/a", 200, ""},
		{"other path passes", http.MethodPut, "/keys/a", 200, ""},
		{"first hit", http.MethodPut, "/secrets/a", 429, "1"},
		{"second hit", http.MethodPut, "/secrets/b", 429, "1"},
		{"used up", http.MethodPut, "/secrets/a", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, _, err := do(t, svc.Client(), tt.method, svc.URL+tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus || h.Get("Retry-After") != tt.wantRetry {
				t.Errorf("got %d Retry-After %q, want %d %q", status, h.Get("Retry-After"), tt.wantStatus, tt.wantRetry)
			}
		})
	}
}

func TestBodyDropStall(t *testing.T) {
	t.Run("body", func(t *testing.T) {
		_, svc, admin := newStack(t)
		arm(t, admin, `{"service":"keyvault","action":"body","body":"{not json"}`)
		status, _, body, err := do(t, svc.Client(), http.MethodGet, svc.URL+"/secrets/x")
		if err != nil || status != 200 || body != "{not json" {
			t.Errorf("got %d %q %v, want 200 {not json", status, body, err)
		}
	})
	t.Run("drop", func(t *testing.T) {
		_, svc, admin := newStack(t)
		arm(t, admin, `{"service":"keyvault","action":"drop","times":1}`)
		if _, _, _, err := do(t, svc.Client(), http.MethodGet, svc.URL+"/x"); err == nil {
			t.Error("dropped request got an answer")
		}
		if status, _, _, err := do(t, svc.Client(), http.MethodGet, svc.URL+"/x"); err != nil || status != 200 {
			t.Errorf("after the drop: %d %v", status, err)
		}
	})
	t.Run("stall past deadline", func(t *testing.T) {
		_, svc, admin := newStack(t)
		arm(t, admin, `{"service":"keyvault","action":"stall","delay":"2s","times":1}`)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, svc.URL+"/x", nil)
		_, err := svc.Client().Do(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stalled request error = %v, want deadline exceeded", err)
		}
	})
	t.Run("stall then serve", func(t *testing.T) {
		_, svc, admin := newStack(t)
		arm(t, admin, `{"service":"keyvault","action":"stall","delay":"100ms"}`)
		start := time.Now()
		status, _, body, err := do(t, svc.Client(), http.MethodGet, svc.URL+"/x")
		if err != nil || status != 200 || body != "served GET /x" {
			t.Fatalf("got %d %q %v", status, body, err)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("answered after %s, want at least 100ms", d)
		}
	})
	t.Run("late", func(t *testing.T) {
		reg := New()
		served := make(chan string, 1)
		svc := httptest.NewServer(reg.Wrap("keyvault", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			served <- r.Method + " " + r.URL.Path + " " + string(b)
		})))
		admin := httptest.NewServer(reg.AdminHandler())
		t.Cleanup(func() { svc.Close(); admin.Close() })
		arm(t, admin, `{"service":"keyvault","action":"late","delay":"300ms","times":1}`)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPut, svc.URL+"/secrets/s", strings.NewReader(`{"value":"v"}`))
		resp, err := svc.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("late fault answered %d, want 503", resp.StatusCode)
		}
		select {
		case got := <-served:
			t.Fatalf("served before the delay: %s", got)
		default:
		}
		select {
		case got := <-served:
			if got != `PUT /secrets/s {"value":"v"}` {
				t.Errorf("served %q, want the original request", got)
			}
			if d := time.Since(start); d < 300*time.Millisecond {
				t.Errorf("served after %s, want at least 300ms", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the late request never reached the service")
		}
	})
	t.Run("other service untouched", func(t *testing.T) {
		_, svc, admin := newStack(t)
		arm(t, admin, `{"service":"jfrog","action":"status","status":500}`)
		if status, _, _, err := do(t, svc.Client(), http.MethodGet, svc.URL+"/x"); err != nil || status != 200 {
			t.Errorf("got %d %v, want 200", status, err)
		}
	})
}

func TestAdminListAndClear(t *testing.T) {
	reg, svc, admin := newStack(t)
	arm(t, admin, `{"service":"keyvault","action":"status","status":500}`)
	arm(t, admin, `{"service":"entra","action":"drop"}`)
	_, _, body, err := do(t, admin.Client(), http.MethodGet, admin.URL+"/faults")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Faults []Fault }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Faults) != 2 || list.Faults[0].Status != 500 || list.Faults[1].Service != "entra" {
		t.Fatalf("list = %+v", list.Faults)
	}
	if status, _, _, _ := do(t, admin.Client(), http.MethodDelete, admin.URL+"/faults/99"); status != http.StatusNotFound {
		t.Errorf("delete unknown id: %d, want 404", status)
	}
	if status, _, _, _ := do(t, admin.Client(), http.MethodDelete, admin.URL+"/faults"); status != http.StatusNoContent {
		t.Errorf("clear: %d, want 204", status)
	}
	if n := len(reg.List()); n != 0 {
		t.Errorf("%d faults left after clear", n)
	}
	if status, _, _, _ := do(t, svc.Client(), http.MethodGet, svc.URL+"/x"); status != 200 {
		t.Errorf("service after clear: %d", status)
	}
	resp, err := http.Post(admin.URL+"/faults", "application/json", bytes.NewBufferString(`{"service":"nope","action":"status"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad fault: %d, want 400", resp.StatusCode)
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		want    Fault
	}{
		{"status default", `{"service":"keyvault","action":"status"}`, "", Fault{Service: "keyvault", Action: "status", Status: 503}},
		{"method upper-cased", `{"service":"jfrog","method":"put","action":"drop"}`, "", Fault{Service: "jfrog", Method: "PUT", Action: "drop"}},
		{"unknown service", `{"service":"s3","action":"drop"}`, "service", Fault{}},
		{"unknown action", `{"service":"entra","action":"explode"}`, "action", Fault{}},
		{"stall without delay", `{"service":"entra","action":"stall"}`, "delay", Fault{}},
		{"bad delay", `{"service":"entra","action":"stall","delay":"soon"}`, "delay", Fault{}},
		{"bad retry-after", `{"service":"entra","action":"status","retry_after":"later"}`, "retry_after", Fault{}},
		{"relative path", `{"service":"entra","action":"drop","path":"secrets"}`, "path", Fault{}},
		{"unknown field", `{"service":"entra","action":"drop","tmes":2}`, "unknown field", Fault{}},
		{"negative times", `{"service":"entra","action":"drop","times":-1}`, "times", Fault{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFault([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.delay = 0
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseFault(f *testing.F) {
	f.Add([]byte(`{"service":"keyvault","method":"PUT","path":"/secrets/","action":"status","status":429,"retry_after":"1","times":2}`))
	f.Add([]byte(`{"service":"entra","action":"stall","delay":"5s"}`))
	f.Add([]byte(`{"service":"jfrog","action":"body","body":"{not json"}`))
	f.Add([]byte(`{"service":"keyvault","method":"PUT","action":"late","status":503,"delay":"6s","times":20}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseFault(data)
		if err != nil {
			return
		}
		if !knownService(got.Service) {
			t.Fatalf("accepted unknown service %q", got.Service)
		}
		if (got.Action == ActionStall || got.Action == ActionLate) && (got.delay < 0 || got.delay > maxDelay) {
			t.Fatalf("accepted delay %s", got.delay)
		}
		if got.Times < 0 {
			t.Fatalf("accepted times %d", got.Times)
		}
	})
}
