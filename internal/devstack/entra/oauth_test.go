package entra

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/callerauth"
)

func (tn *tenant) secretCredential(t *testing.T, clientID, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tn.cfg.TenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: tn.issuerURL + "/"},
			Transport: tn.client,
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// TestClientSecretCredential: azidentity's ClientSecretCredential, pointed
// at the local authority, gets app-only tokens whose roles are the client's
// app role assignments, and callerauth (the handler's validator) accepts
// them through OpenID discovery.
func TestClientSecretCredential(t *testing.T) {
	tn := startTenant(t, t.TempDir(), ptr(testConfig()))
	api, ok := tn.cfg.App(APIApp)
	if !ok {
		t.Fatal("the default tenant has no API app")
	}
	ci, secret, err := tn.srv.RegisterClient("ci")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"Jobs.Submit", "Jobs.Read"} {
		if _, err := tn.srv.AssignAppRole(AppRoleAssignment{PrincipalID: "ci", Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tn.srv.AssignAppRole(AppRoleAssignment{PrincipalID: "ci", Role: "Root"}); err == nil {
		t.Error("assigned a role the app does not expose")
	}
	v, err := callerauth.New(callerauth.Options{TenantID: tn.cfg.TenantID, ClientID: api.ClientID, AuthorityHost: tn.issuerURL,
		ClientOptions: azcore.ClientOptions{Transport: tn.client}})
	if err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{"api://" + api.ClientID + "/.default", api.ClientID + "/.default"} {
		tok, err := tn.secretCredential(t, ci.ClientID, secret).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatalf("GetToken(%s): %v", scope, err)
		}
		caller, err := v.Validate(context.Background(), tok.Token)
		if err != nil {
			t.Fatalf("validate: %v", err)
		}
		if caller.ObjectID != ci.ObjectID || caller.AppID != ci.ClientID || !caller.HasRole("Jobs.Submit") || !caller.HasRole("Jobs.Read") || caller.HasRole("Rotation.Run") {
			t.Errorf("caller = %+v", caller)
		}
	}

	// Removing an assignment drops the role from the next token.
	if found, err := tn.srv.RemoveAppRole(AppRoleAssignment{PrincipalID: ci.ClientID, Role: "Jobs.Submit"}); !found || err != nil {
		t.Fatalf("RemoveAppRole = %v, %v", found, err)
	}
	tok, err := tn.secretCredential(t, ci.ClientID, secret).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{api.ClientID + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	if caller, err := v.Validate(context.Background(), tok.Token); err != nil || caller.HasRole("Jobs.Submit") || !caller.HasRole("Jobs.Read") {
		t.Errorf("after removal: %+v, %v", caller, err)
	}

	// A token for another app's audience is refused by the validator.
	jfrog, _ := tn.cfg.App(JFrogApp)
	other, err := tn.secretCredential(t, ci.ClientID, secret).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"api://" + jfrog.ClientID + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), other.Token); !errors.Is(err, callerauth.ErrInvalidToken) {
		t.Errorf("token for %s: %v, want invalid", jfrog.Name, err)
	}
}

func TestClientCredentialsRefusals(t *testing.T) {
	tn := startTenant(t, t.TempDir(), ptr(testConfig()))
	api, _ := tn.cfg.App(APIApp)
	ci, secret, err := tn.srv.RegisterClient("ci")
	if err != nil {
		t.Fatal(err)
	}
	// azidentity surfaces the AADSTS code of each refusal.
	for _, tt := range []struct {
		name, client, secret, scope, want string
	}{
		{"wrong secret", ci.ClientID, "nope", api.ClientID + "/.default", "AADSTS7000215"},
		{"unknown client", NewUUID(), secret, api.ClientID + "/.default", "AADSTS700016"},
		{"unknown resource", ci.ClientID, secret, "api://" + NewUUID() + "/.default", "AADSTS500011"},
		{"no role on an app requiring assignment", ci.ClientID, secret, api.ClientID + "/.default", "AADSTS501051"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tn.secretCredential(t, tt.client, tt.secret).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{tt.scope}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("GetToken error = %v, want %s", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Error("the error quotes the secret")
			}
		})
	}
	t.Run("scope without .default", func(t *testing.T) {
		resp, err := tn.client.PostForm(tn.issuerURL+"/"+tn.cfg.TenantID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {ci.ClientID}, "client_secret": {secret}, "scope": {"api://" + api.ClientID},
		})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("new secret replaces the old", func(t *testing.T) {
		if _, _, err := tn.srv.RegisterClient("ci"); err != nil {
			t.Fatal(err)
		}
		_, err := tn.secretCredential(t, ci.ClientID, secret).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{api.ClientID + "/.default"}})
		if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
			t.Errorf("the replaced secret: %v, want AADSTS7000215", err)
		}
	})
}

// TestClientAssertionCredential: a client trusting the local workload
// issuer for a GitHub Actions subject gets tokens through azidentity's
// ClientAssertionCredential with that issuer's token as the assertion; an
// assertion for another subject or audience, or an expired one, is refused.
func TestClientAssertionCredential(t *testing.T) {
	tn := startTenant(t, t.TempDir(), ptr(testConfig()))
	api, _ := tn.cfg.App(APIApp)
	ci, _, err := tn.srv.RegisterClient("github-deploy")
	if err != nil {
		t.Fatal(err)
	}
	const subject = "repo:mycompany/ml-pipelines:environment:prod"
	if _, err := tn.srv.AddFederatedCredential("github-deploy", FederatedCredential{Name: "prod", Issuer: tn.srv.GitHubIssuer(), Subject: subject}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.srv.AssignAppRole(AppRoleAssignment{PrincipalID: ci.ObjectID, Role: "Jobs.Read"}); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, tn.client, tn.srv.GitHubIssuer()+"/.well-known/openid-configuration", &d)
	if d.Issuer != tn.srv.GitHubIssuer() || d.JWKSURI == "" {
		t.Fatalf("workload issuer discovery = %+v", d)
	}
	v, err := callerauth.New(callerauth.Options{TenantID: tn.cfg.TenantID, ClientID: api.ClientID, AuthorityHost: tn.issuerURL,
		ClientOptions: azcore.ClientOptions{Transport: tn.client}})
	if err != nil {
		t.Fatal(err)
	}
	expired := *tn.srv
	expired.now = func() time.Time { return time.Now().Add(-time.Hour) }
	for _, tt := range []struct {
		name    string
		issue   func() (string, error)
		wantErr string
	}{
		{"matching subject", func() (string, error) { return tn.srv.IssueWorkloadToken(subject, "") }, ""},
		{"other subject", func() (string, error) {
			return tn.srv.IssueWorkloadToken("repo:mycompany/ml-pipelines:ref:refs/heads/feature", "")
		}, "AADSTS70021"},
		{"other audience", func() (string, error) { return tn.srv.IssueWorkloadToken(subject, "api://other") }, "AADSTS700212"},
		{"expired", func() (string, error) { return expired.IssueWorkloadToken(subject, "") }, "AADSTS700024"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cred, err := azidentity.NewClientAssertionCredential(tn.cfg.TenantID, ci.ClientID, func(context.Context) (string, error) { return tt.issue() },
				&azidentity.ClientAssertionCredentialOptions{
					ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: tn.issuerURL + "/"}, Transport: tn.client},
					DisableInstanceDiscovery: true,
				})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"api://" + api.ClientID + "/.default"}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("GetToken error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			caller, err := v.Validate(context.Background(), tok.Token)
			if err != nil || caller.AppID != ci.ClientID || !caller.HasRole("Jobs.Read") {
				t.Fatalf("caller = %+v, %v", caller, err)
			}
		})
	}
}

// FuzzTokenEndpoint posts arbitrary form fields to the token endpoint: it
// never answers 5xx, and issues a token only to the registered client with
// its secret or a valid assertion.
func FuzzTokenEndpoint(f *testing.F) {
	srv, err := New(Options{DataDir: f.TempDir(), BaseURL: "https://127.0.0.1:1", Initial: ptr(testConfig())})
	if err != nil {
		f.Fatal(err)
	}
	ci, secret, err := srv.RegisterClient("ci")
	if err != nil {
		f.Fatal(err)
	}
	api, _ := srv.cfg.App(APIApp)
	h := srv.IssuerHandler()
	f.Add("client_credentials", ci.ClientID, secret, "api://"+api.ClientID+"/.default openid profile", "", "")
	f.Add("client_credentials", ci.ClientID, "", api.ClientID+"/.default", assertionType, "a.b.c")
	f.Add("password", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, grant, clientID, sec, scope, atype, assertion string) {
		form := url.Values{"grant_type": {grant}, "client_id": {clientID}, "client_secret": {sec}, "scope": {scope},
			"client_assertion_type": {atype}, "client_assertion": {assertion}}
		req := httptest.NewRequest(http.MethodPost, "/"+srv.TenantID()+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d for %v", rec.Code, form)
		}
		if rec.Code == http.StatusOK && !(strings.EqualFold(clientID, ci.ClientID) && (sec == secret || assertion != "")) {
			t.Fatalf("token for %v", form)
		}
	})
}
