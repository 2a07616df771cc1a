package azureml_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/frogbridge/frogbridge/internal/azureml"
)

const fakeToken = "fake-arm-token"

// fakeCred hands out a fixed token and records the scopes asked for.
type fakeCred struct {
	mu     sync.Mutex
	scopes []string
	err    error
	token  string // default fakeToken
}

func (c *fakeCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes...)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	tok := c.token
	if tok == "" {
		tok = fakeToken
	}
	return azcore.AccessToken{Token: tok, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var testWS = azureml.Workspace{SubscriptionID: "sub-1", ResourceGroup: "rg-1", Name: "ws-1"}

// testSettings are the setting names the tests' clients put in their hints.
var testSettings = azureml.SettingNames{
	ClientID: "TEST_CLIENT_ID", SubscriptionID: "TEST_SUBSCRIPTION", ResourceGroup: "TEST_GROUP", Workspace: "TEST_WORKSPACE",
	Endpoint: "TEST_ARM_ENDPOINT", RegistryHost: "TEST_REGISTRY_HOST",
}

// newClient returns a client for srv (TLS) with quick retries.
func newClient(t *testing.T, srv *httptest.Server, cred azcore.TokenCredential) *azureml.Client {
	t.Helper()
	return newClientFor(t, srv, testWS, cred)
}

// newClientFor returns a client for workspace ws on srv.
func newClientFor(t *testing.T, srv *httptest.Server, ws azureml.Workspace, cred azcore.TokenCredential) *azureml.Client {
	t.Helper()
	if cred == nil {
		cred = &fakeCred{}
	}
	opts := &azureml.ClientOptions{PollFrequency: 50 * time.Millisecond, SettingNames: testSettings}
	opts.ClientOptions = arm.ClientOptions{}
	opts.Cloud = cloudFor(srv.URL, srv.URL)
	opts.Transport = srv.Client()
	opts.Retry = policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}
	c, err := azureml.NewClient(ws, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wsPath is the test workspace's ARM path.
func wsPath() string { return testWS.ID() }

// fakeARM is a TLS server answering with handler and recording requests.
func fakeARM(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// cloudFor is a cloud configuration whose ARM service is endpoint with
// token audience audience.
func cloudFor(endpoint, audience string) cloud.Configuration {
	return cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: endpoint, Audience: audience},
	}}
}

// withCloud returns options for cloud c.
func withCloud(c cloud.Configuration) *azureml.ClientOptions {
	o := &azureml.ClientOptions{}
	o.Cloud = c
	return o
}
