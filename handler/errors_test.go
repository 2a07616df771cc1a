package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jobs"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// TestFailureAnswers pins the status and body of every failure kind to the
// README: rotation 401/403/404/502/503/409/504, jobs 400/404/502.
func TestFailureAnswers(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	rot := func(k errkind.Kind) error {
		return fmt.Errorf("run: %w", &rotation.Error{Kind: k, Step: "exchange token at JFrog", Err: errors.New("upstream said " + jwt)})
	}
	job := func(k errkind.Kind) error { return &jobs.Error{Kind: k, Step: "read job x", Err: errors.New("gone")} }
	_, invalid := jobs.ParseTrainingRequest(strings.NewReader(`{"unknown": 1}`))
	tests := []struct {
		name   string
		title  string
		err    error
		status int
		want   string
	}{
		{"rotation authentication", "rotation failed", rot(errkind.Authentication), 401, "rotation failed"},
		{"rotation forbidden", "rotation failed", rot(errkind.Forbidden), 403, "rotation failed"},
		{"rotation not found", "rotation failed", rot(errkind.NotFound), 404, "rotation failed"},
		{"rotation upstream", "rotation failed", rot(errkind.Upstream), 502, "rotation failed"},
		{"rotation config", "rotation failed", rot(errkind.Config), 503, "rotation failed"},
		{"rotation locked", "rotation failed", rot(errkind.Locked), 409, "rotation failed"},
		{"rotation timeout", "rotation failed", rot(errkind.Timeout), 504, "rotation failed"},
		{"rotation internal", "rotation failed", rot(errkind.Internal), 500, "rotation failed"},
		{"job invalid", "", invalid, 400, "invalid request"},
		{"job not found", "", job(errkind.NotFound), 404, "job not found"},
		{"job upstream", "", job(errkind.Upstream), 502, "upstream failure"},
		{"plain error", "", errors.New("boom"), 500, "internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if got := writeFailure(rec, tc.title, tc.err); got != tc.status || rec.Code != tc.status {
				t.Fatalf("status = %d (sent %d), want %d", got, rec.Code, tc.status)
			}
			var body struct{ Error, Details string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error != tc.want || body.Details == "" || strings.Contains(body.Details, jwt) {
				t.Errorf("body = %+v", body)
			}
		})
	}
}

func TestEveryKindHasAnAnswer(t *testing.T) {
	for k := errkind.Internal; k <= errkind.RateLimited; k++ {
		if a, ok := answers[k]; !ok || a.status < 400 || a.title == "" || http.StatusText(a.status) == "" {
			t.Errorf("kind %v: answer %+v", k, a)
		}
	}
}
