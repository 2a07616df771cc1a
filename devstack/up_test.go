package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/frogbridge/frogbridge/internal/devstack/envfile"
)

// runningUp is one devstack up started in-process.
type runningUp struct {
	env    map[string]string
	client *http.Client
	stop   func() int
	out    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startUp runs devstack up with args and waits for its env file.
func startUp(t *testing.T, dataDir string, extra ...string) *runningUp {
	t.Helper()
	envPath := filepath.Join(t.TempDir(), "devstack.env")
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	args := append([]string{"--data", dataDir, "--env-file", envPath}, extra...)
	go func() { done <- runUp(ctx, args, out, errOut) }()
	deadline := time.After(90 * time.Second)
	for {
		if b, err := os.ReadFile(envPath); err == nil {
			env, err := envfile.Parse(bytes.NewReader(b))
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			r := &runningUp{env: env, out: out, client: caClient(t, env["SSL_CERT_FILE"])}
			var once sync.Once
			code := 0
			r.stop = func() int {
				once.Do(func() { cancel(); code = <-done })
				return code
			}
			t.Cleanup(func() { r.stop() })
			return r
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("devstack up exited with %d before writing the env file:\n%s", code, errOut.String())
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("no env file after 90s:\n%s", errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func caClient(t *testing.T, bundle string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("SSL_CERT_FILE holds no certificates")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}

func (r *runningUp) useFunctionApp(t *testing.T) {
	t.Setenv("IDENTITY_ENDPOINT", r.env["IDENTITY_ENDPOINT"])
	t.Setenv("IDENTITY_HEADER", r.env["IDENTITY_HEADER"])
	t.Setenv("MSI_ENDPOINT", "")
	t.Setenv("MSI_SECRET", "")
}

func (r *runningUp) useCompute(t *testing.T) {
	t.Setenv("IDENTITY_ENDPOINT", "")
	t.Setenv("IDENTITY_HEADER", "")
	t.Setenv("MSI_ENDPOINT", r.env["DEVSTACK_COMPUTE_MSI_ENDPOINT"])
	t.Setenv("MSI_SECRET", r.env["DEVSTACK_COMPUTE_MSI_SECRET"])
}

// vault returns an azsecrets client for the identity the environment
// selects (id nil: the system-assigned one); the challenge's resource check
// is off only because the vault host is loopback. MSAL caches tokens per
// process keyed by identity id, so a test that switches endpoints names
// the compute identity by client id, as AzureML's DEFAULT_IDENTITY_CLIENT_ID
// does.
func (r *runningUp) vault(t *testing.T, id azidentity.ManagedIDKind) *azsecrets.Client {
	t.Helper()
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(r.env["KEY_VAULT_URL"], cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: r.client, Retry: policy.RetryOptions{MaxRetries: -1}},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *runningUp) call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestUpServes runs devstack up in-process and drives every service with
// the real clients. Restarts are covered by
// TestUpKilledDuringWritesThenTerminated.
func TestUpServes(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	first := startUp(t, data)

	t.Run("env file", func(t *testing.T) {
		for _, k := range []string{"SSL_CERT_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "DEVSTACK_COMPUTE_MSI_ENDPOINT",
			"DEVSTACK_COMPUTE_MSI_SECRET", "AZURE_TENANT_ID", "DEVSTACK_ENTRA_ISSUER", "KEY_VAULT_URL", "AZURE_KEY_VAULT_URL",
			"ARTIFACTORY_URL", "ARTIFACTORY_HOST", "ARTIFACTORY_ML_REPO", "JFROG_OIDC_PROVIDER_NAME", "AZURE_AD_TOKEN_AUDIENCE",
			"JFROG_ADMIN_TOKEN", "AzureWebJobsStorage", "DEVSTACK_ADMIN_URL", "DEVSTACK_DATA"} {
			if first.env[k] == "" {
				t.Errorf("%s missing from the env file", k)
			}
		}
		if first.env["KEY_VAULT_URL"] != first.env["AZURE_KEY_VAULT_URL"] || !strings.HasPrefix(first.env["ARTIFACTORY_URL"], "https://"+first.env["ARTIFACTORY_HOST"]) {
			t.Errorf("inconsistent URLs: %v", first.env)
		}
		if !strings.Contains(first.out.String(), "devstack is up") || strings.Contains(first.out.String(), first.env["JFROG_ADMIN_TOKEN"]) {
			t.Errorf("summary missing or leaks the admin token:\n%s", first.out.String())
		}
	})
	t.Run("discovery", func(t *testing.T) {
		status, b := first.call(t, http.MethodGet, first.env["DEVSTACK_ENTRA_ISSUER"]+"/.well-known/openid-configuration", "", nil)
		var doc struct{ Issuer string }
		json.Unmarshal(b, &doc)
		if status != 200 || doc.Issuer != first.env["DEVSTACK_ENTRA_ISSUER"] {
			t.Errorf("discovery %d issuer %q", status, doc.Issuer)
		}
	})
	t.Run("function app writes, compute reads", func(t *testing.T) {
		first.useFunctionApp(t)
		if _, err := first.vault(t, nil).SetSecret(ctx, "jfrog-access-token", azsecrets.SetSecretParameters{Value: to.Ptr("tok-1")}, nil); err != nil {
			t.Fatal(err)
		}
		first.useCompute(t)
		c := first.vault(t, azidentity.ClientID(first.env["DEVSTACK_COMPUTE_CLIENT_ID"]))
		got, err := c.GetSecret(ctx, "jfrog-access-token", "", nil)
		if err != nil || *got.Value != "tok-1" {
			t.Fatalf("compute read %v, %v", got.Value, err)
		}
		_, err = c.SetSecret(ctx, "jfrog-access-token", azsecrets.SetSecretParameters{Value: to.Ptr("nope")}, nil)
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
			t.Errorf("compute write: %v, want 403", err)
		}
	})
	t.Run("jfrog exchange with the function app token", func(t *testing.T) {
		first.useFunctionApp(t)
		cred, err := azidentity.NewManagedIdentityCredential(nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{first.env["AZURE_AD_TOKEN_AUDIENCE"] + "/.default"}})
		if err != nil {
			t.Fatal(err)
		}
		status, b := first.call(t, http.MethodPost, first.env["ARTIFACTORY_URL"]+"/access/api/v1/oidc/token", "", map[string]string{
			"grant_type":         "urn:ietf:params:oauth:grant-type:token-exchange",
			"subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
			"subject_token":      tok.Token,
			"provider_name":      first.env["JFROG_OIDC_PROVIDER_NAME"],
		})
		var ex struct {
			AccessToken string `json:"access_token"`
			Username    string `json:"username"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		json.Unmarshal(b, &ex)
		if status != 200 || ex.AccessToken == "" || ex.Username != "frogbridge-rotation" || ex.ExpiresIn != rotationTTL {
			t.Fatalf("exchange %d %s", status, b)
		}
		status, _ = first.call(t, http.MethodGet, first.env["ARTIFACTORY_URL"]+"/artifactory/api/repositories/"+first.env["ARTIFACTORY_ML_REPO"], ex.AccessToken, nil)
		if status != 200 {
			t.Errorf("ML repository with the exchanged token: %d", status)
		}
	})
	t.Run("azurite", func(t *testing.T) {
		c, err := azblob.NewClientFromConnectionString(first.env["AzureWebJobsStorage"], &azblob.ClientOptions{
			ClientOptions: azcore.ClientOptions{Transport: first.client},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateContainer(ctx, "azure-webjobs-hosts", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("fault injection", func(t *testing.T) {
		status, b := first.call(t, http.MethodPost, first.env["DEVSTACK_ADMIN_URL"]+"/faults", "", map[string]any{
			"service": "keyvault", "path": "/secrets/", "action": "status", "status": 429, "retry_after": "1", "times": 1,
		})
		if status != http.StatusCreated {
			t.Fatalf("arm fault: %d %s", status, b)
		}
		resp, err := first.client.Get(first.env["KEY_VAULT_URL"] + "/secrets/x?api-version=7.5")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("faulted request: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		resp, err = first.client.Get(first.env["KEY_VAULT_URL"] + "/secrets/x?api-version=7.5")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("after the fault: %d, want the 401 challenge", resp.StatusCode)
		}
	})
	if code := first.stop(); code != 0 {
		t.Fatalf("devstack up exited with %d on cancel", code)
	}
}

func TestUpEmpty(t *testing.T) {
	t.Parallel()
	r := startUp(t, t.TempDir(), "--empty")
	status, b := r.call(t, http.MethodGet, r.env["DEVSTACK_ADMIN_URL"]+"/keyvault/role-assignments", "", nil)
	var list struct{ Value []json.RawMessage }
	json.Unmarshal(b, &list)
	if status != 200 || len(list.Value) != 0 {
		t.Errorf("role assignments with --empty: %d %s", status, b)
	}
	status, _ = r.call(t, http.MethodGet, r.env["ARTIFACTORY_URL"]+"/access/api/v1/oidc/"+r.env["JFROG_OIDC_PROVIDER_NAME"], r.env["JFROG_ADMIN_TOKEN"], nil)
	if status != http.StatusNotFound {
		t.Errorf("OIDC provider with --empty: %d, want 404", status)
	}
	if !strings.Contains(r.out.String(), "nothing (--empty)") {
		t.Errorf("summary does not say nothing was provisioned:\n%s", r.out.String())
	}

	// The README's by-hand role assignment, then a write that needs it.
	tok := vaultToken(t, r.env)
	put := func() int {
		status, _ := r.call(t, http.MethodPut, r.env["KEY_VAULT_URL"]+"/secrets/by-hand?api-version=7.5", tok, map[string]string{"value": "v"})
		return status
	}
	if status := put(); status != http.StatusForbidden {
		t.Fatalf("write before the role assignment: %d, want 403", status)
	}
	status, b = r.call(t, http.MethodPost, r.env["DEVSTACK_ADMIN_URL"]+"/keyvault/role-assignments", "", map[string]string{
		"principal_id": r.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"], "role": "Key Vault Secrets Officer",
	})
	if status != http.StatusCreated {
		t.Fatalf("assign role: %d %s", status, b)
	}
	if status := put(); status != http.StatusOK {
		t.Errorf("write after the role assignment: %d, want 200", status)
	}
}

func TestParseUpFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(c upConfig) bool
	}{
		{"defaults", nil, false, func(c upConfig) bool { return filepath.Base(c.envFile) == "devstack.env" && c.portBase == 0 }},
		{"explicit", []string{"--data", "d", "--env-file", "e.env", "--empty", "--port-base", "20000"}, false,
			func(c upConfig) bool {
				return c.empty && c.portBase == 20000 && filepath.IsAbs(c.dataDir) && filepath.Base(c.envFile) == "e.env"
			}},
		{"port base too high", []string{"--port-base", "65533"}, true, nil},
		{"negative port base", []string{"--port-base", "-1"}, true, nil},
		{"stray argument", []string{"extra"}, true, nil},
		{"unknown flag", []string{"--nope"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseUpFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}
