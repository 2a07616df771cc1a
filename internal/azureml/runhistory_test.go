package azureml_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// runHistoryARM fakes ARM, the discovery service and the run history on
// one TLS server. details is the run details body; "" answers 404.
func runHistoryARM(t *testing.T, details string, discovery func(base string) string) (*azureml.Client, map[string]int, map[string]string) {
	t.Helper()
	var mu sync.Mutex
	calls := map[string]int{}
	auth := map[string]string{}
	var base string
	srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		p := r.URL.Path
		key := p
		switch {
		case p == wsPath() && r.URL.Query().Get("api-version") == azureml.APIVersion:
			key = "workspace"
			io.WriteString(w, `{"id":"`+wsPath()+`","properties":{"discoveryUrl":"`+base+`/discovery"}}`)
		case p == "/discovery":
			key = "discovery"
			io.WriteString(w, discovery(base))
		case p == "/history/v1.0"+wsPath()+"/runs/run-1/details":
			key = "details"
			if details == "" {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"error":{"code":"UserError","message":"Run run-1 was not found"}}`)
				return
			}
			io.WriteString(w, details)
		case p == wsPath()+"/jobs/run-1":
			key = "job"
			io.WriteString(w, `{"name":"run-1","properties":{"jobType":"Command","status":"Failed"}}`)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
		calls[key]++
		auth[key] = r.Header.Get("Authorization")
	})
	base = srv.URL
	return newClient(t, srv, nil), calls, auth
}

func TestFailedJobErrorFromRunHistory(t *testing.T) {
	api := func(base string) string { return `{"api":"` + base + `","history":"` + base + `"}` }
	t.Run("error", func(t *testing.T) {
		c, calls, auth := runHistoryARM(t, `{"runId":"run-1","status":"Failed","error":{"error":{"code":"UserError","message":"Execution failed. User process exited with status code 2."}}}`, api)
		for range 2 {
			j, err := c.GetJob(context.Background(), "run-1")
			if err != nil || j.ErrorCode != "UserError" || !strings.Contains(j.Error, "status code 2") {
				t.Fatalf("got %+v %v", j, err)
			}
		}
		if calls["workspace"] != 1 || calls["discovery"] != 1 || calls["details"] != 2 {
			t.Fatalf("calls %v: discovery must be cached", calls)
		}
		if auth["discovery"] != "" || auth["details"] != "Bearer "+fakeToken {
			t.Fatalf("authorization %v: the token goes to the run history only", auth)
		}
	})
	t.Run("no detail", func(t *testing.T) {
		c, _, _ := runHistoryARM(t, `{"runId":"run-1","status":"Failed"}`, api)
		j, err := c.GetJob(context.Background(), "run-1")
		if err != nil || j.Error != azureml.NoErrorDetail || j.ErrorCode != "" {
			t.Fatalf("got %+v %v", j, err)
		}
	})
	t.Run("run history unreadable", func(t *testing.T) {
		c, _, _ := runHistoryARM(t, "", api)
		j, err := c.GetJob(context.Background(), "run-1")
		if err != nil || !strings.HasPrefix(j.Error, azureml.NoErrorDetail) || !strings.Contains(j.Error, "404") {
			t.Fatalf("got %+v %v", j, err)
		}
	})
	t.Run("no token to plain http", func(t *testing.T) {
		c, calls, _ := runHistoryARM(t, `{}`, func(string) string { return `{"api":"http://evil.example"}` })
		j, err := c.GetJob(context.Background(), "run-1")
		if err != nil || !strings.Contains(j.Error, "not an https URL") || calls["details"] != 0 {
			t.Fatalf("got %+v %v, calls %v", j, err, calls)
		}
	})
}
