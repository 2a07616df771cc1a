package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// connectionSecrets reads the workspace connection's credentials through
// ARM listsecrets: POST …/workspaces/{ws}/connections/{name}/listsecrets,
// "List all the secrets of a machine learning workspaces connections.",
// 200 with a WorkspaceConnectionPropertiesV2BasicResource whose
// properties.credentials carry username and password for UsernamePassword
// (Azure/azure-rest-api-specs specification/machinelearningservices/
// resource-manager/…/stable/2025-09-01/workspaceRP.json).
func (s *stack) connectionSecrets(t testing.TB, name string) (username, password string) {
	t.Helper()
	tok, err := (&computeIdentity{s: s, http: s.tlsClient(t)}).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	u := s.env["AZURE_RESOURCE_MANAGER_ENDPOINT"] + s.workspacePath() + "/connections/" + name + "/listsecrets?api-version=2025-09-01"
	req, _ := http.NewRequest(http.MethodPost, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("listsecrets %s = %d %s", name, resp.StatusCode, b)
	}
	var c struct {
		Properties struct {
			Credentials struct{ Username, Password string }
		}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Properties.Credentials.Username, c.Properties.Credentials.Password
}

func (s *stack) workspacePath() string {
	return "/subscriptions/" + s.env["AZURE_SUBSCRIPTION_ID"] + "/resourceGroups/" + s.env["AZURE_RESOURCE_GROUP"] +
		"/providers/Microsoft.MachineLearningServices/workspaces/" + s.env["AZUREML_WORKSPACE_NAME"]
}

// TestRotationRefreshesRegistryConnection: each rotation writes the new
// token into the AzureML registry connection; a failure there leaves the
// rotation done, is reported in the answer and in health as degraded, and
// the next rotation retries it.
func TestRotationRefreshesRegistryConnection(t *testing.T) {
	s := sharedStack(t)
	kv := s.vault(t)
	h := startHost(t, s, map[string]string{"AZUREML_CONNECTION_NAME": "rotation-e2e"})
	type reply struct {
		Rotated            bool `json:"rotated"`
		RegistryConnection *struct {
			Name    string `json:"name"`
			Updated bool   `json:"updated"`
			Error   string `json:"error"`
		} `json:"registry_connection"`
	}
	rot := func(query string) reply {
		t.Helper()
		status, body := h.call(t, http.MethodPost, "/api/KeyVaultSecretRotation"+query, "", "function")
		if status != http.StatusOK {
			t.Fatalf("rotation%s = %d %s", query, status, body)
		}
		var r reply
		decode(t, body, &r)
		return r
	}

	r := rot("?force=true")
	_, token, user := s.storedCredentials(t, kv)
	if !r.Rotated || r.RegistryConnection == nil || !r.RegistryConnection.Updated || r.RegistryConnection.Name != "rotation-e2e" {
		t.Fatalf("rotation = %+v, want the connection updated", r)
	}
	if u, p := s.connectionSecrets(t, "rotation-e2e"); u != user || p != token {
		t.Fatalf("connection holds user %q and the stored token: %v", u, p == token)
	}

	// AzureML refuses the connection write: the rotation still lands.
	s.fault(t, map[string]any{"service": "azureml", "method": "PUT", "path": s.workspacePath() + "/connections/",
		"action": "body", "status": 403, "body": `{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/connections/write'."}}`})
	r = rot("?force=true")
	s.clearFaults(t)
	_, token2, _ := s.storedCredentials(t, kv)
	if !r.Rotated || token2 == token || r.RegistryConnection == nil || r.RegistryConnection.Updated || !strings.Contains(r.RegistryConnection.Error, "AuthorizationFailed") {
		t.Fatalf("rotation with a refused connection write = %+v, want rotated with the connection error", r)
	}
	if _, p := s.connectionSecrets(t, "rotation-e2e"); p != token {
		t.Fatal("the connection changed although AzureML refused the write")
	}
	if status, body := h.call(t, http.MethodGet, "/api/health", "", ""); status != http.StatusOK || !strings.Contains(body, `"status":"degraded"`) {
		t.Fatalf("public health after a failed connection refresh = %d %s, want 200 degraded", status, body)
	}
	status, body := h.call(t, http.MethodGet, "/api/health/details", "", "function")
	if status != http.StatusOK || !strings.Contains(body, `"status":"degraded"`) || !strings.Contains(body, "rotation-e2e") {
		t.Fatalf("health after a failed connection refresh = %d %s, want 200 degraded naming the connection", status, body)
	}
	if strings.Contains(body, token2) {
		t.Fatal("health shows the token")
	}
	// The diagnostics see the stale connection without showing either token.
	_, rep, body := diagnostics(t, h)
	if strings.Contains(body, token) || strings.Contains(body, token2) {
		t.Fatal("the diagnostics show a token")
	}
	found := false
	for _, c := range rep.Checks {
		if c.Check == "AzureML registry connection" {
			found = true
			if c.Result != "fail" || !strings.Contains(c.Fix, "KeyVaultSecretRotation") {
				t.Errorf("connection check with a stale connection = %+v, want a failure naming the rotation", c)
			}
		}
	}
	if !found {
		t.Errorf("no registry connection check in %s", body)
	}

	// The next rotation, though it skips, retries the connection.
	r = rot("")
	if r.Rotated || r.RegistryConnection == nil || !r.RegistryConnection.Updated {
		t.Fatalf("next rotation = %+v, want a skip that refreshed the connection", r)
	}
	if _, p := s.connectionSecrets(t, "rotation-e2e"); p != token2 {
		t.Fatal("the retried refresh did not write the stored token")
	}
	if status, body := h.call(t, http.MethodGet, "/api/health/details", "", "function"); status != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("health after the retry = %d %s", status, body)
	}
	// Fresh and refreshed: nothing to do.
	if r = rot(""); r.RegistryConnection != nil {
		t.Errorf("a skip with the connection up to date refreshed it again: %+v", r)
	}
}
