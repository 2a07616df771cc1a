package e2e

import (
	"net/http"
	"testing"
)

// rotationReply is the body of POST /api/KeyVaultSecretRotation.
type rotationReply struct {
	Status        string `json:"status"`
	Rotated       bool   `json:"rotated"`
	Reason        string `json:"reason"`
	Username      string `json:"username"`
	ExpiresOn     string `json:"expires_on"`
	SecretVersion string `json:"secret_version"`
	TokenID       string `json:"token_id"`
}

func TestRotationOverHTTP(t *testing.T) {
	s := startStack(t, "")
	h := startHost(t, s, nil)

	status, body := h.call(t, http.MethodPost, "/api/KeyVaultSecretRotation", "", "function")
	if status != http.StatusOK {
		t.Fatalf("first rotation = %d %s\nhost output:\n%s", status, body, h.out)
	}
	var first rotationReply
	decode(t, body, &first)
	if !first.Rotated || first.SecretVersion == "" || first.Username == "" || first.ExpiresOn == "" {
		t.Fatalf("first rotation = %+v", first)
	}
	t.Logf("first: %s", body)
}
