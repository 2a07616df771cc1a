package e2e

import (
	"net/http"
	"strings"
	"testing"
)

func TestHealthOnTheLocalStack(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)

	status, body := h.call(t, http.MethodGet, "/api/health/details", "", "function")
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
	t.Run("details need a key", func(t *testing.T) {
		if status, _ := h.call(t, http.MethodGet, "/api/health/details", "", ""); status != http.StatusUnauthorized {
			t.Errorf("health details without key = %d, want 401", status)
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

// TestHealthAnonymous: the anonymous health check answers the status and
// the reasons only, and a flood of it costs Key Vault at most one read
// (the attributes are cached); the details carry the stored version.
func TestHealthAnonymous(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	kv := s.vault(t)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	version, _, user := s.storedCredentials(t, kv)

	const times = 1000
	s.fault(t, map[string]any{"service": "keyvault", "method": "GET", "path": "/secrets/", "action": "stall", "delay": "1ms", "times": times})
	for i := 0; i < 20; i++ {
		status, body := h.call(t, http.MethodGet, "/api/health", "", "")
		var rep map[string]any
		decode(t, body, &rep)
		if status != http.StatusOK || len(rep) != 2 || rep["status"] != "ok" || rep["reasons"] == nil {
			t.Fatalf("anonymous health = %d %s, want 200 with status and reasons only", status, body)
		}
		if strings.Contains(body, version) || strings.Contains(body, user) {
			t.Fatalf("anonymous health shows the stored version or user: %s", body)
		}
	}
	reads := s.faultsConsumed(t, times)
	s.clearFaults(t)
	if reads > 1 {
		t.Errorf("20 anonymous health checks made %d Key Vault reads, want at most 1", reads)
	}
	status, body := h.call(t, http.MethodGet, "/api/health/details", "", "function")
	var det healthReply
	decode(t, body, &det)
	if status != http.StatusOK || det.Token == nil || det.Token.Version != version {
		t.Errorf("health details = %d %s, want the stored version %s", status, body, version)
	}
}
