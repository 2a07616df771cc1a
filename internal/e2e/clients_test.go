package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// tlsClient trusts the stack's CA only. (Go caches the system pool per
// process, so tests that start several stacks pass the CA explicitly.)
func (s *stack) tlsClient(t testing.TB) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(s.env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in SSL_CERT_FILE")
	}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// vault returns an azsecrets client that reads as the compute identity
// (Key Vault Secrets User), through its managed-identity endpoint.
func (s *stack) vault(t testing.TB) *azsecrets.Client {
	t.Helper()
	c, err := azsecrets.NewClient(s.env["KEY_VAULT_URL"], &computeIdentity{s: s, http: s.tlsClient(t)}, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: s.tlsClient(t)},
		// The vault's host is loopback, which no challenge resource matches.
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// computeIdentity is the tests' own credential for the stack's compute
// identity: it asks the stack's AzureML-compute managed-identity endpoint
// (MSI_ENDPOINT protocol, api-version 2017-09-01) for every token. Unlike
// azidentity's ManagedIdentityCredential it keeps no process-wide cache and
// reads no environment, so tests with stacks of their own run in parallel.
// The handler and the trainer, the subjects of the tests, use azidentity.
type computeIdentity struct {
	s    *stack
	http *http.Client
}

// GetToken implements azcore.TokenCredential.
func (c *computeIdentity) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 {
		return azcore.AccessToken{}, fmt.Errorf("compute identity: want one scope, got %v", opts.Scopes)
	}
	q := url.Values{"resource": {strings.TrimSuffix(opts.Scopes[0], "/.default")}, "api-version": {"2017-09-01"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.s.env["DEVSTACK_COMPUTE_MSI_ENDPOINT"]+"?"+q.Encode(), nil)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	req.Header.Set("secret", c.s.env["DEVSTACK_COMPUTE_MSI_SECRET"])
	resp, err := c.http.Do(req)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	defer resp.Body.Close()
	var v struct {
		AccessToken string `json:"access_token"`
		ExpiresOn   string `json:"expires_on"`
	}
	if resp.StatusCode != http.StatusOK {
		return azcore.AccessToken{}, fmt.Errorf("compute identity: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.AccessToken == "" {
		return azcore.AccessToken{}, fmt.Errorf("compute identity: unreadable token reply: %v", err)
	}
	exp, err := strconv.ParseInt(v.ExpiresOn, 10, 64)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("compute identity: expires_on %q: %v", v.ExpiresOn, err)
	}
	return azcore.AccessToken{Token: v.AccessToken, ExpiresOn: time.Unix(exp, 0)}, nil
}

const secretName = "artifactory-access-token-secret"

// storedCredentials reads the latest secret version.
func (s *stack) storedCredentials(t testing.TB, c *azsecrets.Client) (version string, token string, username string) {
	t.Helper()
	resp, err := c.GetSecret(context.Background(), secretName, "", nil)
	if err != nil {
		t.Fatalf("read %s: %v", secretName, err)
	}
	var v struct {
		AccessToken string `json:"access_token"`
		Username    string `json:"username"`
	}
	if err := json.Unmarshal([]byte(*resp.Value), &v); err != nil || v.AccessToken == "" || v.Username == "" {
		t.Fatalf("stored secret is not {\"access_token\",\"username\"}: %v", err)
	}
	if resp.ContentType == nil || *resp.ContentType != "application/json" {
		t.Errorf("content type = %v, want application/json", resp.ContentType)
	}
	if resp.Attributes == nil || resp.Attributes.Expires == nil {
		t.Error("stored version has no expiry")
	}
	for k, tag := range resp.Tags {
		if tag != nil && *tag == v.AccessToken {
			t.Errorf("tag %s holds the token", k)
		}
	}
	return resp.ID.Version(), v.AccessToken, v.Username
}

// versions counts the secret's versions.
func (s *stack) versions(t testing.TB, c *azsecrets.Client) int {
	t.Helper()
	n := 0
	pager := c.NewListSecretPropertiesVersionsPager(secretName, nil)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list versions: %v", err)
		}
		n += len(page.Value)
	}
	return n
}

// jfrogMe asks JFrog who the token is and returns the status.
func (s *stack) jfrogMe(t testing.TB, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.env["ARTIFACTORY_URL"]+"/access/api/v1/tokens/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// jfrogRevokeSelf revokes token at JFrog with the token itself, as an
// admin revoking it out of band would.
func (s *stack) jfrogRevokeSelf(t testing.TB, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.env["ARTIFACTORY_URL"]+"/access/api/v1/tokens/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("revoke the stored token: %d", resp.StatusCode)
	}
}

// faultsConsumed returns how many requests the armed faults have matched,
// for faults armed with times (remaining counts down from it).
func (s *stack) faultsConsumed(t testing.TB, armedTimes int) int {
	t.Helper()
	resp, err := http.Get(s.env["DEVSTACK_ADMIN_URL"] + "/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Faults []struct {
			Remaining int `json:"remaining"`
		} `json:"faults"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Faults) != 1 {
		t.Fatalf("%d faults armed, want 1", len(list.Faults))
	}
	return armedTimes - list.Faults[0].Remaining
}

// fault arms a fault through the stack's admin API.
func (s *stack) fault(t testing.TB, f map[string]any) {
	t.Helper()
	b, _ := json.Marshal(f)
	resp, err := http.Post(s.env["DEVSTACK_ADMIN_URL"]+"/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("arm fault %s: %d %s", b, resp.StatusCode, body)
	}
}

func (s *stack) clearFaults(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.env["DEVSTACK_ADMIN_URL"]+"/faults", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// admin calls the stack's admin API and fails the test on a non-2xx answer.
func (s *stack) admin(t testing.TB, method, path, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.env["DEVSTACK_ADMIN_URL"]+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
}

// workspace returns an AzureML client for the stack's workspace that
// authenticates as the compute identity: a workspace user other than the
// function app.
func (s *stack) workspace(t testing.TB) *azureml.Client {
	t.Helper()
	opts := &azureml.ClientOptions{}
	opts.Cloud = cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: s.env["AZURE_RESOURCE_MANAGER_ENDPOINT"], Audience: "https://management.azure.com"},
	}}
	opts.Transport = s.tlsClient(t)
	c, err := azureml.NewClient(azureml.Workspace{SubscriptionID: s.env["AZURE_SUBSCRIPTION_ID"], ResourceGroup: s.env["AZURE_RESOURCE_GROUP"], Name: s.env["AZUREML_WORKSPACE_NAME"]},
		&computeIdentity{s: s, http: s.tlsClient(t)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
