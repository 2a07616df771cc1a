package rotation_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	devjfrog "github.com/frogbridge/frogbridge/internal/devstack/localjfrog"
	devkv "github.com/frogbridge/frogbridge/internal/devstack/localvault"
	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// localStack is the local Entra ID, JFrog and Key Vault behind TLS test servers.
type localStack struct {
	vault    *devkv.Vault
	client   *http.Client
	entra    *entra.Server
	jfrogURL string
	jfrogSrv *devjfrog.Server
	vaultURL string
	audience string
	// appClientID is the JFrog app registration's client id (the aud).
	appClientID string
}

// addProvider configures a JFrog OIDC provider trusting the local Entra ID
// whose identity mapping issues tokens of expiresIn seconds for ci-user.
func (st *localStack) addProvider(t testing.TB, name string, expiresIn int) {
	t.Helper()
	admin := st.jfrogSrv.AdminToken()
	st.jfrogAdmin(t, "/access/api/v1/oidc", admin, map[string]any{
		"name": name, "issuer_url": st.entra.IssuerV2(), "token_issuer": st.entra.IssuerV2(),
		"provider_type": "Azure", "audience": st.appClientID, "use_default_proxy": false,
	})
	st.jfrogAdmin(t, "/access/api/v1/oidc/"+name+"/identity_mappings", admin, map[string]any{
		"name": "function-app", "priority": 1,
		"claims":     map[string]any{"aud": st.appClientID, "iss": st.entra.IssuerV2()},
		"token_spec": map[string]any{"username": "ci-user", "scope": "applied-permissions/user", "audience": "*@*", "expires_in": expiresIn},
	})
}

// tlsServer starts a TLS test server whose handler is set once its URL is known.
func tlsServer(t testing.TB, build func(url string) http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "https://" + srv.Listener.Addr().String()
	srv.Config.Handler = build(url)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return url
}

func newLocalStack(t testing.TB) *localStack {
	t.Helper()
	dir := t.TempDir()
	st := &localStack{}
	entraURL := tlsServer(t, func(url string) http.Handler {
		s, err := entra.New(entra.Options{DataDir: dir + "/entra", BaseURL: url, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		st.entra = s
		mux := http.NewServeMux()
		mux.Handle(entra.AppServicePath, s.IdentityHandler())
		mux.Handle("/", s.IssuerHandler())
		return mux
	})
	// Every httptest server presents the same certificate.
	probe := httptest.NewTLSServer(http.NotFoundHandler())
	pool := x509.NewCertPool()
	pool.AddCert(probe.Certificate())
	probe.Close()
	st.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	st.jfrogURL = tlsServer(t, func(url string) http.Handler {
		s, err := devjfrog.New(devjfrog.Options{DataDir: dir + "/jfrog", BaseURL: url, HTTPClient: st.client, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		st.jfrogSrv = s
		return s.Handler()
	})
	st.vaultURL = tlsServer(t, func(url string) http.Handler {
		v, err := devkv.New(devkv.Options{DataDir: dir + "/kv", VaultURL: url, Authority: st.entra.Authority(), Verifier: st.entra, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		cfg := st.entra.Config()
		fa, _ := cfg.Identity(entra.FunctionAppIdentity)
		if err := v.AssignRole(fa.ObjectID, devkv.RoleSecretsOfficer); err != nil {
			t.Fatal(err)
		}
		st.vault = v
		return v.Handler()
	})
	ecfg := st.entra.Config()
	app, _ := ecfg.App(entra.JFrogApp)
	st.audience = "api://" + app.ClientID
	st.appClientID = app.ClientID
	st.addProvider(t, "azure-oidc", 21600)
	t.Setenv("IDENTITY_ENDPOINT", entraURL+entra.AppServicePath)
	t.Setenv("IDENTITY_HEADER", st.entra.IdentityHeader())
	return st
}

func (st *localStack) jfrogAdmin(t testing.TB, path, token string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, st.jfrogURL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := st.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
}

func (st *localStack) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Transport: st.client, Retry: policy.RetryOptions{RetryDelay: 10 * time.Millisecond}}
}

// TestRotationAgainstLocalStack runs the real clients against the local
// Entra ID, JFrog Platform and Key Vault.
func TestRotationAgainstLocalStack(t *testing.T) {
	st := newLocalStack(t)
	co := st.clientOptions()
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: co})
	if err != nil {
		t.Fatal(err)
	}
	jc, err := jfrog.NewClient(st.jfrogURL, &jfrog.ClientOptions{ClientOptions: co})
	if err != nil {
		t.Fatal(err)
	}
	store, err := keyvault.NewStore(st.vaultURL, cred, &keyvault.StoreOptions{ClientOptions: co})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := zerolog.New(&logs)
	svc, err := rotation.NewService(rotation.Config{
		Audience: st.audience, ProviderName: "azure-oidc", SecretTTL: 6 * time.Hour, RevokePrevious: true,
	}, rotation.Dependencies{Tokens: cred, Exchanger: jc, Verifier: jc, Revoker: jc, Store: store, Logger: &log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	first, err := svc.Rotate(ctx, rotation.RotateOptions{Trigger: "http"})
	if err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	if !first.Rotated || first.Username != "ci-user" || first.SecretVersion == "" || first.TokenID == "" {
		t.Fatalf("first = %+v", first)
	}
	if d := time.Until(first.ExpiresOn); d < 5*time.Hour || d > 6*time.Hour+time.Minute {
		t.Errorf("expires in %v, want about 6h", d)
	}

	// A plain azsecrets reader sees the JSON and the token works.
	sc, err := azsecrets.NewClient(st.vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sc.GetSecret(ctx, keyvault.DefaultSecretName, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var stored struct{ AccessToken, Username string }
	if err := json.Unmarshal([]byte(*got.Value), &struct {
		A *string `json:"access_token"`
		U *string `json:"username"`
	}{&stored.AccessToken, &stored.Username}); err != nil || stored.Username != "ci-user" {
		t.Fatalf("stored value: %v %+v", err, stored.Username)
	}
	if *got.ContentType != keyvault.ContentType || got.Tags[keyvault.TagTokenID] == nil || *got.Tags[keyvault.TagTokenID] != first.TokenID {
		t.Errorf("content type %q, tags %v", *got.ContentType, got.Tags)
	}
	firstToken := secret.Token(stored.AccessToken)
	if _, err := jc.Me(ctx, firstToken); err != nil {
		t.Fatalf("stored token does not work: %v", err)
	}

	// Fresh: the scheduled run skips.
	skip, err := svc.Rotate(ctx, rotation.RotateOptions{Trigger: "timer"})
	if err != nil || skip.Rotated || skip.SecretVersion != first.SecretVersion {
		t.Fatalf("skip = %+v, %v", skip, err)
	}

	// Forced: a new version, and the previous token is revoked.
	second, err := svc.Rotate(ctx, rotation.RotateOptions{Force: true, Trigger: "http"})
	if err != nil {
		t.Fatal(err)
	}
	if !second.Rotated || second.SecretVersion == first.SecretVersion || second.PreviousRevoked == nil || !*second.PreviousRevoked {
		t.Fatalf("second = %+v", second)
	}
	if _, err := jc.Me(ctx, firstToken); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("revoked token still works: %v", err)
	}
	status, err := svc.Status(ctx)
	if err != nil || status.Version != second.SecretVersion || status.TokenID != second.TokenID || status.Expired {
		t.Errorf("status = %+v, %v", status, err)
	}
	if strings.Contains(logs.String(), stored.AccessToken) {
		t.Error("logs hold a token")
	}
	t.Run("failures", func(t *testing.T) { localStackFailures(t, st, cred, jc, store) })
	t.Run("token thresholds", func(t *testing.T) { localStackThresholds(t, st, cred, jc, store) })
	t.Run("may write", func(t *testing.T) { localStackMayWrite(t, st, store) })
}

// localStackThresholds checks the rotation against JFrog's revocable and
// persistency thresholds (6 h and 3 h by default): a replaced token below
// the revocable threshold is reported as not revoked and keeps working; a
// token below the persistency threshold is refused with the fix named; and
// lowering the platform's threshold makes the same token revocable.
func localStackThresholds(t *testing.T, st *localStack, cred azcore.TokenCredential, jc *jfrog.Client, store *keyvault.Store) {
	ctx := context.Background()
	st.addProvider(t, "azure-oidc-4h", 14400)
	st.addProvider(t, "azure-oidc-1h", 3600)
	service := func(provider string, ttl time.Duration) *rotation.Service {
		svc, err := rotation.NewService(rotation.Config{Audience: st.audience, ProviderName: provider, SecretTTL: ttl, RevokePrevious: true},
			rotation.Dependencies{Tokens: cred, Exchanger: jc, Verifier: jc, Revoker: jc, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	stored := func() secret.Token {
		c, err := store.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c.AccessToken
	}

	t.Run("below the revocable threshold", func(t *testing.T) {
		svc := service("azure-oidc-4h", 4*time.Hour)
		if _, err := svc.Rotate(ctx, rotation.RotateOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		fourHours := stored()
		res, err := svc.Rotate(ctx, rotation.RotateOptions{Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.PreviousRevoked == nil || *res.PreviousRevoked || !strings.Contains(res.PreviousRevokeReason, "revocable-expiry-threshold") {
			t.Errorf("previous_revoked = %v, reason %q; want false naming the threshold", res.PreviousRevoked, res.PreviousRevokeReason)
		}
		if _, err := jc.Me(ctx, fourHours); err != nil {
			t.Errorf("the replaced 4 h token stopped working, yet JFrog cannot revoke it: %v", err)
		}
	})
	t.Run("revocable once the platform's threshold is lower", func(t *testing.T) {
		st.jfrogSrv.SetThresholds(3*time.Hour, 0)
		defer st.jfrogSrv.SetThresholds(0, 0)
		svc := service("azure-oidc-4h", 4*time.Hour)
		if _, err := svc.Rotate(ctx, rotation.RotateOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		prev := stored()
		res, err := svc.Rotate(ctx, rotation.RotateOptions{Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.PreviousRevoked == nil || !*res.PreviousRevoked {
			t.Errorf("previous_revoked = %v, reason %q; want true", res.PreviousRevoked, res.PreviousRevokeReason)
		}
		if _, err := jc.Me(ctx, prev); !errors.Is(err, upstream.ErrUnauthorized) {
			t.Errorf("revoked token: %v, want 401", err)
		}
	})
	t.Run("below the persistency threshold", func(t *testing.T) {
		before, err := store.Properties(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = service("azure-oidc-1h", time.Hour).Rotate(ctx, rotation.RotateOptions{Force: true})
		if err == nil || !strings.Contains(redact.Error(err), "persistent-expiry-threshold") {
			t.Fatalf("err = %v, want the persistency threshold named", err)
		}
		if after, err := store.Properties(ctx); err != nil || after.Version != before.Version {
			t.Errorf("latest version changed: %v %v", after.Version, err)
		}
	})
}

// localStackFailures misconfigures the rotation and checks the kind and
// that the stored version is untouched. (MSAL caches managed identity
// tokens per process, so all local-stack cases share one stack.)
func localStackFailures(t *testing.T, st *localStack, cred azcore.TokenCredential, jc *jfrog.Client, store *keyvault.Store) {
	ctx := context.Background()
	before, err := store.Properties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      rotation.Config
		contains string
	}{
		{"unknown provider", rotation.Config{ProviderName: "no-such-provider"}, "no-such-provider"},
		{"audience not trusted by JFrog", rotation.Config{ProviderName: "azure-oidc", Audience: "https://vault.azure.net"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.SecretTTL = 4 * time.Hour
			if cfg.Audience == "" {
				cfg.Audience = st.audience
			}
			svc, err := rotation.NewService(cfg, rotation.Dependencies{Tokens: cred, Exchanger: jc, Verifier: jc, Revoker: jc, Store: store})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Rotate(ctx, rotation.RotateOptions{Force: true})
			if err == nil {
				t.Fatal("want error")
			}
			kind := errkind.Of(err)
			if kind == errkind.Internal {
				t.Errorf("kind %v for %v", kind, err)
			}
			if tc.contains != "" && !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q lacks %q", err, tc.contains)
			}
			if after, err := store.Properties(ctx); err != nil || after.Version != before.Version {
				t.Errorf("latest version changed: %v %v", after.Version, err)
			}
			t.Logf("%v %s", kind, err)
		})
	}
}

// localStackMayWrite: Store.MayWrite tells a writer from a reader without
// writing, and leaves the secret's versions as they were.
func localStackMayWrite(t *testing.T, st *localStack, store *keyvault.Store) {
	ctx := context.Background()
	before, err := store.Properties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := store.MayWrite(ctx); err != nil || !ok {
		t.Fatalf("MayWrite as Secrets Officer = %v, %v", ok, err)
	}
	ecfg := st.entra.Config()
	fa, _ := ecfg.Identity(entra.FunctionAppIdentity)
	if _, err := st.vault.RemoveRole(fa.ObjectID, devkv.RoleSecretsOfficer); err != nil {
		t.Fatal(err)
	}
	if err := st.vault.AssignRole(fa.ObjectID, devkv.RoleSecretsUser); err != nil {
		t.Fatal(err)
	}
	defer st.vault.AssignRole(fa.ObjectID, devkv.RoleSecretsOfficer)
	if ok, err := store.MayWrite(ctx); err != nil || ok {
		t.Fatalf("MayWrite as Secrets User = %v, %v", ok, err)
	}
	if after, err := store.Properties(ctx); err != nil || after.Version != before.Version || after.Updated == nil || before.Updated == nil || !after.Updated.Equal(*before.Updated) {
		t.Fatalf("MayWrite changed the secret: %+v -> %+v (%v)", before, after, err)
	}
}
