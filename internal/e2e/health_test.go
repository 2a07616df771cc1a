package e2e

import (
	"net/http"
	"strings"
	"testing"
)

func TestHealthOnTheLocalStack(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)

	status, body := h.call(t, http.MethodGet, "/api/health", "", "")
	var rep struct {
		Status    string          `json:"status"`
		Functions map[string]bool `json:"functions_configured"`
	}
	decode(t, body, &rep)
	if !rep.Functions["KeyVaultSecretRotation"] {
		t.Fatalf("rotation is not configured by the stack's settings: %d %s", status, body)
	}

	t.Run("keys enforced", func(t *testing.T) {
		if status, _ := h.call(t, http.MethodPost, "/api/KeyVaultSecretRotation", "", ""); status != http.StatusUnauthorized {
			t.Errorf("rotation without key = %d, want 401", status)
		}
		if status, _ := h.call(t, http.MethodGet, "/api/jobs/x", "", ""); status != http.StatusUnauthorized {
			t.Errorf("job status without key = %d, want 401", status)
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		if status, _ := h.call(t, http.MethodGet, "/api/nope", "", "function"); status != http.StatusNotFound {
			t.Errorf("unknown route = %d, want 404", status)
		}
	})
	if strings.Contains(h.out.String(), h.functionKey) || strings.Contains(h.out.String(), h.masterKey) {
		t.Error("a function key appears in the host's or handler's output")
	}
}
