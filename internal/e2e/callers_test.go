package e2e

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/golang-jwt/jwt/v5"

	"github.com/frogbridge/frogbridge/internal/funcpkg"
	"github.com/frogbridge/frogbridge/internal/testbin"
)

// packaged apps per auth mode, made once per test binary.
var (
	modeAppsMu sync.Mutex
	modeApps   = map[string]string{}
)

// packagedAppFor packs the function app for an AUTH_MODE, as
// `make package AUTH_MODE=mode` does.
func packagedAppFor(t testing.TB, mode string) string {
	t.Helper()
	modeAppsMu.Lock()
	defer modeAppsMu.Unlock()
	if dir, ok := modeApps[mode]; ok {
		return dir
	}
	base := filepath.Dir(packagedApp(t)) // removed by TestMain
	dir := filepath.Join(base, "functionapp-"+mode)
	if _, err := funcpkg.Pack(funcpkg.PackOptions{SrcDir: testbin.RepoRoot(t), Handler: testbin.Path(t, "handler"), OutDir: dir, AuthMode: mode}); err != nil {
		t.Fatal(err)
	}
	modeApps[mode] = dir
	return dir
}

// ciToken gets a token for scope the way CI does: azidentity's
// ClientSecretCredential against the local tenant's authority.
func (s *stack) ciToken(t testing.TB, clientID, secret, scope string) string {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(s.env["AUTH_TENANT_ID"], clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.env["AUTH_AUTHORITY_HOST"] + "/"},
			Transport: s.tlsClient(t),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		t.Fatalf("token for %s: %v", scope, err)
	}
	return tok.Token
}

// registerClient registers a client application with app roles through
// the admin API and returns its client id and secret.
func (s *stack) registerClient(t testing.TB, name string, roles ...string) (string, string) {
	t.Helper()
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	s.adminJSON(t, http.MethodPost, "/entra/applications", map[string]string{"name": name}, http.StatusCreated, &c)
	for _, r := range roles {
		s.adminJSON(t, http.MethodPost, "/entra/app-role-assignments", map[string]string{"principal_id": c.ClientID, "role": r}, http.StatusCreated, nil)
	}
	return c.ClientID, c.ClientSecret
}

func (s *stack) adminJSON(t testing.TB, method, path string, body any, want int, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.env["DEVSTACK_ADMIN_URL"]+path, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, rb)
	}
	if out != nil {
		decode(t, string(rb), out)
	}
}

// authCall sends a request with the given headers and returns the status,
// the WWW-Authenticate header and the body.
func (h *host) authCall(t testing.TB, method, path, body string, headers map[string]string) (int, string, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// expiredCopy re-signs tok's claims with exp and nbf two hours in the past,
// with the local tenant's own signing key: a genuine but expired token.
func (s *stack) expiredCopy(t testing.TB, tok string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.env["DEVSTACK_DATA"], "entra", "signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var key *rsa.PrivateKey
	var kid string
	for blk, rest := pem.Decode(b); blk != nil; blk, rest = pem.Decode(rest) {
		switch blk.Type {
		case "RSA PRIVATE KEY":
			if key, err = x509.ParsePKCS1PrivateKey(blk.Bytes); err != nil {
				t.Fatal(err)
			}
		case "CERTIFICATE":
			sum := sha1.Sum(blk.Bytes)
			kid = base64.RawURLEncoding.EncodeToString(sum[:])
		}
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * time.Hour)
	claims["iat"], claims["nbf"], claims["exp"] = past.Add(-time.Hour).Unix(), past.Add(-time.Hour).Unix(), past.Unix()
	j := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	j.Header["kid"] = kid
	signed, err := j.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// tampered changes one character of the payload, keeping the signature.
func tampered(tok string) string {
	p := strings.Split(tok, ".")
	c := p[1][len(p[1])/2]
	r := byte('A')
	if c == 'A' {
		r = 'B'
	}
	p[1] = p[1][:len(p[1])/2] + string(r) + p[1][len(p[1])/2+1:]
	return strings.Join(p, ".")
}

// TestEntraCallers runs the app packaged for AUTH_MODE=entra: CI's client
// (Jobs.Submit, Jobs.Read, Rotation.Run) rotates and submits a job with its
// token; a reader gets 403 on submission; no token, a key alone, and a token
// for another audience, expired or tampered get 401 with a challenge.
func TestEntraCallers(t *testing.T) {
	s := sharedStack(t)
	h := startHostApp(t, s, packagedAppFor(t, "entra"), map[string]string{"AUTH_MODE": "entra"})
	api := "api://" + s.env["AUTH_AUDIENCE"] + "/.default"
	ci := s.ciToken(t, s.env["DEVSTACK_CI_CLIENT_ID"], s.env["DEVSTACK_CI_CLIENT_SECRET"], api)
	readerID, readerSecret := s.registerClient(t, "e2e-reader", "Jobs.Read")
	reader := s.ciToken(t, readerID, readerSecret, api)

	if status, _, body := h.authCall(t, http.MethodPost, "/api/KeyVaultSecretRotation?force=true", "", bearer(ci)); status != http.StatusOK {
		t.Fatalf("rotation with Rotation.Run = %d %s", status, body)
	}
	status, _, body := h.authCall(t, http.MethodPost, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 5}}`, bearer(ci))
	if status != http.StatusAccepted {
		t.Fatalf("submission with Jobs.Submit = %d %s\n%s", status, body, h.out)
	}
	var sub submitted
	decode(t, body, &sub)
	if status, _, body := h.authCall(t, http.MethodGet, "/api/jobs/"+sub.JobName, "", bearer(reader)); status != http.StatusOK {
		t.Errorf("status with Jobs.Read = %d %s", status, body)
	}
	status, challenge, body := h.authCall(t, http.MethodPost, "/api/jobs/"+sub.JobName+"/cancel", "", bearer(reader))
	if status != http.StatusForbidden || !strings.Contains(body, "Jobs.Submit") || !strings.Contains(challenge, `error="insufficient_scope"`) {
		t.Errorf("cancel with Jobs.Read only = %d %q %s, want 403 naming Jobs.Submit", status, challenge, body)
	}
	if status, _, body := h.authCall(t, http.MethodPost, "/api/jobs/"+sub.JobName+"/cancel", "", bearer(ci)); status != http.StatusAccepted {
		t.Errorf("cancel with Jobs.Submit = %d %s", status, body)
	}
	for _, path := range []string{"/api/health/details", "/api/diagnostics"} {
		if status, _, body := h.authCall(t, http.MethodGet, path, "", bearer(reader)); status != http.StatusForbidden || !strings.Contains(body, "Diagnostics.Read") {
			t.Errorf("%s with Jobs.Read only = %d %s, want 403 naming Diagnostics.Read", path, status, body)
		}
	}
	if status, _, body := h.authCall(t, http.MethodPost, "/api/jobs/training", `{"upload": false}`, bearer(reader)); status != http.StatusForbidden || !strings.Contains(body, "Jobs.Submit") {
		t.Errorf("submission with Jobs.Read only = %d %s, want 403 naming Jobs.Submit", status, body)
	}

	t.Run("federated GitHub Actions identity", func(t *testing.T) {
		ghID, _ := s.registerClient(t, "e2e-github", "Jobs.Read")
		const subject = "repo:mycompany/ml-pipelines:environment:prod"
		s.adminJSON(t, http.MethodPost, "/entra/applications/e2e-github/federated-credentials",
			map[string]string{"name": "prod", "issuer": s.env["DEVSTACK_GITHUB_ISSUER"], "subject": subject}, http.StatusCreated, nil)
		cred, err := azidentity.NewClientAssertionCredential(s.env["AUTH_TENANT_ID"], ghID, func(context.Context) (string, error) {
			var tok struct{ Value string }
			s.adminJSON(t, http.MethodPost, "/entra/github-actions/token", map[string]string{"subject": subject}, http.StatusOK, &tok)
			return tok.Value, nil
		}, &azidentity.ClientAssertionCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: s.env["AUTH_AUTHORITY_HOST"] + "/"}, Transport: s.tlsClient(t)},
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{api}})
		if err != nil {
			t.Fatal(err)
		}
		if status, _, body := h.authCall(t, http.MethodGet, "/api/jobs/"+sub.JobName, "", bearer(tok.Token)); status != http.StatusOK {
			t.Errorf("status with a federated token = %d %s", status, body)
		}
	})

	jfrogScope := "api://" + s.env["DEVSTACK_JFROG_APP_CLIENT_ID"] + "/.default"
	for _, tc := range []struct {
		name    string
		headers map[string]string
		invalid bool // error="invalid_token" expected in the challenge
	}{
		{"no token", nil, false},
		{"function key alone", map[string]string{"x-functions-key": h.functionKey}, false},
		{"master key alone", map[string]string{"x-functions-key": h.masterKey}, false},
		{"token for another audience", bearer(s.ciToken(t, s.env["DEVSTACK_CI_CLIENT_ID"], s.env["DEVSTACK_CI_CLIENT_SECRET"], jfrogScope)), true},
		{"expired token", bearer(s.expiredCopy(t, ci)), true},
		{"tampered token", bearer(tampered(ci)), true},
		{"basic auth", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge, body := h.authCall(t, http.MethodPost, "/api/jobs/training", `{"upload": false}`, tc.headers)
			if status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer ") ||
				strings.Contains(challenge, `error="invalid_token"`) != tc.invalid {
				t.Fatalf("= %d %q %s, want 401 with a Bearer challenge (invalid_token %v)", status, challenge, body, tc.invalid)
			}
			var e struct{ Error, Details string }
			decode(t, body, &e)
			if e.Error != "unauthorized" || !strings.Contains(e.Details, s.env["AUTH_AUDIENCE"]) {
				t.Errorf("body = %s, want the audience to request a token for", body)
			}
		})
	}
	if status, _, _ := h.authCall(t, http.MethodGet, "/api/health", "", nil); status == http.StatusUnauthorized {
		t.Error("health needs a token")
	}
	// The timer keeps its only way in, the host's admin endpoint with the
	// master key: a token does not open it.
	if status, _, body := h.authCall(t, http.MethodPost, "/admin/functions/KeyVaultSecretRotation", `{"input":""}`, bearer(ci)); status != http.StatusUnauthorized {
		t.Errorf("timer admin endpoint with a token = %d %s, want 401", status, body)
	}
	logs := h.out.String()
	if !strings.Contains(logs, `"caller_appid":"`+s.env["DEVSTACK_CI_CLIENT_ID"]+`"`) || !strings.Contains(logs, `"caller_oid":"`) {
		t.Error("the handler's log does not name the caller's appid and oid")
	}
	for _, tok := range []string{ci, reader, s.env["DEVSTACK_CI_CLIENT_SECRET"], readerSecret} {
		if strings.Contains(logs, tok) || strings.Contains(logs, strings.Split(tok, ".")[len(strings.Split(tok, "."))-1]) {
			t.Fatal("a token or client secret appears in the host's output")
		}
	}
}

// TestBothCallers runs the app packaged for AUTH_MODE=both, with the host's
// function key kept in Key Vault as the Functions host does with
// AzureWebJobsSecretStorageType=keyvault: a key alone and a token alone
// both reach the function; a wrong key or a reader's token on a submit
// does not.
func TestBothCallers(t *testing.T) {
	s := sharedStack(t)
	h := startHostApp(t, s, packagedAppFor(t, "both"), map[string]string{"AUTH_MODE": "both",
		"AzureWebJobsSecretStorageType": "keyvault", "AzureWebJobsSecretStorageKeyVaultUri": s.env["KEY_VAULT_URL"]})
	s.storeHostKey(t, "host--functionKey--default", h.functionKey)
	ci := s.ciToken(t, s.env["DEVSTACK_CI_CLIENT_ID"], s.env["DEVSTACK_CI_CLIENT_SECRET"], s.env["AUTH_AUDIENCE"]+"/.default")
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"function key", map[string]string{"x-functions-key": h.functionKey}, http.StatusNotFound},
		{"token", bearer(ci), http.StatusNotFound},
		{"wrong key", map[string]string{"x-functions-key": "not-a-key"}, http.StatusUnauthorized},
		{"nothing", nil, http.StatusUnauthorized},
		{"expired token", bearer(s.expiredCopy(t, ci)), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// An unknown job: 404 from the function itself once the caller is in.
			status, _, body := h.authCall(t, http.MethodGet, "/api/jobs/train-e2e-none", "", tc.headers)
			if status != tc.want {
				t.Fatalf("= %d %s, want %d", status, body, tc.want)
			}
		})
	}
	if status, _, body := h.authCall(t, http.MethodGet, "/api/jobs/train-e2e-none?code="+h.functionKey, "", nil); status != http.StatusNotFound {
		t.Errorf("key in ?code= = %d %s, want 404", status, body)
	}
}

// TestKeysModeRefusesAnonymousPackage: a package made for entra started
// with AUTH_MODE keys would let anyone in, so every protected function
// refuses every request and says why; health answers 503 and says why.
func TestKeysModeRefusesAnonymousPackage(t *testing.T) {
	s := sharedStack(t)
	h := startHostApp(t, s, packagedAppFor(t, "entra"), nil)
	for _, headers := range []map[string]string{nil, {"x-functions-key": h.functionKey}} {
		status, _, body := h.authCall(t, http.MethodGet, "/api/jobs/train-e2e-none", "", headers)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "AUTH_MODE") || !strings.Contains(body, "anonymous") {
			t.Errorf("= %d %s, want 503 naming AUTH_MODE and the anonymous functions", status, body)
		}
	}
	// Health answers, anonymous as ever, and reports why.
	if status, _, body := h.authCall(t, http.MethodGet, "/api/health", "", nil); status != http.StatusServiceUnavailable || !strings.Contains(body, "refuse every caller") {
		t.Errorf("health = %d %s, want 503 saying the functions refuse every caller", status, body)
	}
}

// storeHostKey writes a function key into the vault as the function app
// (Key Vault Secrets Officer), standing in for the Functions host's
// Key Vault secret repository.
func (s *stack) storeHostKey(t testing.TB, name, value string) {
	t.Helper()
	t.Setenv("IDENTITY_ENDPOINT", s.env["IDENTITY_ENDPOINT"])
	t.Setenv("IDENTITY_HEADER", s.env["IDENTITY_HEADER"])
	t.Setenv("MSI_ENDPOINT", "")
	t.Setenv("MSI_SECRET", "")
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(s.env["KEY_VAULT_URL"], cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: s.tlsClient(t)},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSecret(context.Background(), name, azsecrets.SetSecretParameters{Value: to.Ptr(value)}, nil); err != nil {
		t.Fatalf("store %s: %v", name, err)
	}
}
