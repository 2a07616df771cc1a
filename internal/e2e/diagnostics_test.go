package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

// diagReport is the body of GET /api/diagnostics.
type diagReport struct {
	Status string `json:"status"`
	Checks []struct {
		Check  string         `json:"check"`
		Result string         `json:"result"`
		Detail string         `json:"detail"`
		Fix    string         `json:"fix"`
		Claims map[string]any `json:"claims"`
	} `json:"checks"`
}

func diagnostics(t *testing.T, h *host) (int, diagReport, string) {
	t.Helper()
	status, body := h.call(t, http.MethodGet, "/api/diagnostics", "", "function")
	var rep diagReport
	decode(t, body, &rep)
	return status, rep, body
}

// doctor runs `handler doctor` with settings as its environment.
func doctor(t *testing.T, settings map[string]string) (int, string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "handler"), "doctor")
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// jfrogAdmin calls JFrog's REST API with the stack's admin token.
func (s *stack) jfrogAdmin(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.env["ARTIFACTORY_URL"]+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.env["JFROG_ADMIN_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestDiagnostics: on the provisioned stack every check passes; with an
// identity mapping that does not match the identity, the function app's
// Key Vault role removed and a trainer tag that was never pushed, each
// check fails naming its fix — and no token appears in the report.
func TestDiagnostics(t *testing.T) {
	s := sharedStack(t)
	kv := s.vault(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	_, token, _ := s.storedCredentials(t, kv)
	noSecrets := func(body string) {
		t.Helper()
		for _, v := range []string{token, h.functionKey, h.masterKey, s.env["JFROG_ADMIN_TOKEN"], "eyJ"} {
			if v != "" && strings.Contains(body, v) {
				t.Fatalf("the diagnostics show a token or key (%.6s…)", v)
			}
		}
	}
	byName := func(rep diagReport, name string) (result, detail, fix string, claims map[string]any) {
		for _, c := range rep.Checks {
			if c.Check == name {
				return c.Result, c.Detail, c.Fix, c.Claims
			}
		}
		t.Fatalf("no check %q in %+v", name, rep)
		return
	}

	status, rep, body := diagnostics(t, h)
	noSecrets(body)
	if status != http.StatusOK || rep.Status != "ok" {
		t.Fatalf("diagnostics on the provisioned stack = %d %s", status, body)
	}
	for _, c := range rep.Checks {
		if c.Result != "ok" {
			t.Errorf("check %s = %s (%s; %s)", c.Check, c.Result, c.Detail, c.Fix)
		}
	}
	if _, _, _, claims := byName(rep, "managed identity token"); claims["oid"] != s.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"] || claims["iss"] == nil || claims["aud"] == nil || claims["ver"] == nil {
		t.Errorf("identity claims = %v, want the function app's oid, iss, aud and ver", claims)
	}

	// A provider whose only mapping names another identity.
	provider := s.env["JFROG_OIDC_PROVIDER_NAME"]
	st, b := s.jfrogAdmin(t, http.MethodGet, "/access/api/v1/oidc/"+provider, nil)
	if st != http.StatusOK {
		t.Fatalf("read provider: %d %s", st, b)
	}
	var p map[string]any
	json.Unmarshal(b, &p)
	p["name"] = "diag-broken"
	s.jfrogAdmin(t, http.MethodDelete, "/access/api/v1/oidc/diag-broken", nil)
	if st, b := s.jfrogAdmin(t, http.MethodPost, "/access/api/v1/oidc", p); st/100 != 2 {
		t.Fatalf("create provider: %d %s", st, b)
	}
	defer s.jfrogAdmin(t, http.MethodDelete, "/access/api/v1/oidc/diag-broken", nil)
	mapping := map[string]any{"name": "someone-else", "priority": 1, "claims": map[string]string{"oid": "00000000-0000-0000-0000-000000000001"},
		"token_spec": map[string]any{"username": "frogbridge-rotation", "scope": "applied-permissions/user", "expires_in": 21600}}
	if st, b := s.jfrogAdmin(t, http.MethodPost, "/access/api/v1/oidc/diag-broken/identity_mappings", mapping); st/100 != 2 {
		t.Fatalf("create mapping: %d %s", st, b)
	}
	role := `{"principal_id":"` + s.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"] + `","role":"Key Vault Secrets Officer"}`
	s.admin(t, http.MethodDelete, "/keyvault/role-assignments", role)
	defer s.admin(t, http.MethodPost, "/keyvault/role-assignments", role)
	broken := startHost(t, s, map[string]string{"JFROG_OIDC_PROVIDER_NAME": "diag-broken", "TRAINER_IMAGE_TAG": "never-pushed"})

	status, rep, body = diagnostics(t, broken)
	noSecrets(body)
	if status != http.StatusServiceUnavailable || rep.Status != "fail" {
		t.Fatalf("diagnostics with three faults = %d %s", status, body)
	}
	if r, d, f, _ := byName(rep, "JFrog token exchange"); r != "fail" || !strings.Contains(d, s.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"]) || !strings.Contains(f, "identity mapping") || !strings.Contains(f, "diag-broken") {
		t.Errorf("exchange check = %s %q fix %q, want a failure showing the oid sent and naming the mapping of diag-broken", r, d, f)
	}
	if r, d, f, _ := byName(rep, "Key Vault secret attributes"); r != "fail" || !strings.Contains(d+f, "Key Vault Secrets") {
		t.Errorf("Key Vault check = %s %q fix %q, want a failure naming the role to assign", r, d, f)
	}
	if r, d, f, _ := byName(rep, "trainer image tag"); r == "fail" {
		t.Errorf("with the vault unreadable the image check cannot run, got %s %q %q", r, d, f)
	}

	// With the role back, the stored token is readable and the missing
	// tag is found.
	s.admin(t, http.MethodPost, "/keyvault/role-assignments", role)
	status, rep, body = diagnostics(t, broken)
	noSecrets(body)
	if r, d, f, _ := byName(rep, "trainer image tag"); r != "fail" || !strings.Contains(d, "never-pushed") || !strings.Contains(f, "TRAINER_IMAGE_TAG") {
		t.Errorf("image check = %s %q fix %q, want a failure naming TRAINER_IMAGE_TAG", r, d, f)
	}
	if r, _, _, _ := byName(rep, "Key Vault secret attributes"); r != "ok" {
		t.Errorf("Key Vault check with the role back = %s", r)
	}
	if r, d, _, _ := byName(rep, "Key Vault write permission"); r != "ok" {
		t.Errorf("write permission as Secrets Officer = %s %q", r, d)
	}

	// A reader role reads the attributes but cannot store: the write check
	// says so, from a harmless call.
	reader := `{"principal_id":"` + s.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"] + `","role":"Key Vault Secrets User"}`
	s.admin(t, http.MethodDelete, "/keyvault/role-assignments", role)
	s.admin(t, http.MethodPost, "/keyvault/role-assignments", reader)
	_, rep, body = diagnostics(t, broken)
	noSecrets(body)
	if r, _, _, _ := byName(rep, "Key Vault secret attributes"); r != "ok" {
		t.Errorf("attributes as Secrets User = %s", r)
	}
	if r, d, f, _ := byName(rep, "Key Vault write permission"); r != "fail" || !strings.Contains(f, "Key Vault Secrets Officer") {
		t.Errorf("write permission as Secrets User = %s %q fix %q, want a failure naming Key Vault Secrets Officer", r, d, f)
	}
	s.admin(t, http.MethodDelete, "/keyvault/role-assignments", reader)
	s.admin(t, http.MethodPost, "/keyvault/role-assignments", role)

	// handler doctor runs the same checks from a shell with the settings.
	code, out := doctor(t, broken.settings)
	noSecrets(out)
	if code != 1 || !strings.Contains(out, "WHAT TO CHANGE") || !strings.Contains(out, "never-pushed") || !strings.Contains(out, "identity mapping") {
		t.Errorf("handler doctor with faults = exit %d\n%s", code, out)
	}
	if code, out := doctor(t, h.settings); code != 0 || !strings.Contains(out, "status: ok") {
		t.Errorf("handler doctor on the provisioned stack = exit %d\n%s", code, out)
	}
	s.admin(t, http.MethodDelete, "/keyvault/role-assignments", role)
}
