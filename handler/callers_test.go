package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/funcpkg"
)

// pkgWith returns a package whose SubmitTrainingJob has authLevel level.
func pkgWith(level string) *funcpkg.App {
	return &funcpkg.App{Functions: []funcpkg.Function{{Name: "SubmitTrainingJob", Bindings: []funcpkg.Binding{
		{Type: "httpTrigger", Direction: "in", Name: "req", AuthLevel: level, Route: "jobs/training"},
		{Type: "http", Direction: "out", Name: "res"},
	}}}}
}

// TestCallersFailClosed: in keys mode an anonymous package refuses every
// request, keyed or not; a keyed package (or none) lets the host's check
// stand. In both mode a request without a token on an anonymous function
// needs a key, and one on a keyed function passed the host's check.
func TestCallersFailClosed(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		pkg     *funcpkg.App
		headers map[string]string
		want    int
		body    string
	}{
		{"keys, anonymous package", config.AuthKeys, pkgWith("anonymous"), nil, http.StatusServiceUnavailable, "AUTH_MODE is keys"},
		{"keys, anonymous package, with a key", config.AuthKeys, pkgWith("anonymous"), map[string]string{"x-functions-key": "k"}, http.StatusServiceUnavailable, "SubmitTrainingJob"},
		{"keys, keyed package", config.AuthKeys, pkgWith("function"), nil, http.StatusTeapot, ""},
		{"keys, no package", config.AuthKeys, nil, nil, http.StatusTeapot, ""},
		{"both, keyed package, no token", config.AuthBoth, pkgWith("function"), nil, http.StatusTeapot, ""},
		{"both, anonymous package, nothing", config.AuthBoth, pkgWith("anonymous"), nil, http.StatusUnauthorized, "function key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &callers{cfg: config.Auth{Mode: tt.mode, TenantID: "t", Audience: "a"}, pkg: tt.pkg}
			h := c.require("SubmitTrainingJob", "Jobs.Submit", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTeapot)
			}))
			req := httptest.NewRequest(http.MethodPost, "/api/jobs/training", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.body) {
				t.Fatalf("= %d %s, want %d mentioning %q", rec.Code, rec.Body, tt.want, tt.body)
			}
			if rec.Code == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("401 without a Bearer challenge")
			}
		})
	}
}
