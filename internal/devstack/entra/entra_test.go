package entra

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/frogbridge/frogbridge/internal/devstack/tlsca"
	"github.com/golang-jwt/jwt/v5"
)

type tenant struct {
	srv       *Server
	cfg       Config
	issuerURL string
	miURL     string
	client    *http.Client
}

// testConfig is a tenant with random ids, so tokens cached by MSAL (which
// keeps one cache per process) never cross tenants between tests.
func testConfig() Config {
	c := DefaultConfig()
	c.Identities = append(c.Identities,
		Identity{Name: "fa-user", ClientID: NewUUID(), ObjectID: NewUUID(), ResourceID: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fa-user", Host: HostAppService, Kind: UserAssigned},
		Identity{Name: "compute-user", ClientID: NewUUID(), ObjectID: NewUUID(), Host: HostAzureML, Kind: UserAssigned},
	)
	c.Apps = append(c.Apps, App{Name: "legacy-api", ClientID: NewUUID(), IdentifierURIs: []string{"api://legacy"}, AccessTokenVersion: 1})
	return c
}

func startTenant(t *testing.T, dir string, cfg *Config) *tenant {
	t.Helper()
	ca, err := tlsca.Ensure(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + ln.Addr().String()
	srv, err := New(Options{DataDir: dir, BaseURL: base, Initial: cfg})
	if err != nil {
		t.Fatal(err)
	}
	issuer := httptest.NewUnstartedServer(srv.IssuerHandler())
	issuer.Listener.Close()
	issuer.Listener = ln
	issuer.TLS = ca.ServerTLSConfig()
	issuer.StartTLS()
	mi := httptest.NewServer(srv.IdentityHandler())
	t.Cleanup(func() { issuer.Close(); mi.Close() })
	return &tenant{srv: srv, cfg: srv.Config(), issuerURL: base, miURL: mi.URL, client: ca.HTTPClient(5 * time.Second)}
}

func (tn *tenant) useAppService(t *testing.T, header string) {
	t.Setenv("IDENTITY_ENDPOINT", tn.miURL+AppServicePath)
	t.Setenv("IDENTITY_HEADER", header)
	t.Setenv("MSI_ENDPOINT", "")
	t.Setenv("MSI_SECRET", "")
}

func (tn *tenant) useAzureML(t *testing.T, secret string) {
	t.Setenv("IDENTITY_ENDPOINT", "")
	t.Setenv("IDENTITY_HEADER", "")
	t.Setenv("MSI_ENDPOINT", tn.miURL+AzureMLPath)
	t.Setenv("MSI_SECRET", secret)
	t.Setenv("DEFAULT_IDENTITY_CLIENT_ID", "")
}

// jwksKeyfunc verifies like a relying party: discovery document → jwks_uri
// → the key named by kid.
func (tn *tenant) jwksKeyfunc(t *testing.T, discovery string) (jwt.Keyfunc, string) {
	t.Helper()
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, tn.client, discovery, &doc)
	var set struct {
		Keys []struct{ Kid, N, E, Kty string }
	}
	getJSON(t, tn.client, doc.JWKSURI, &set)
	return func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tok.Header["kid"] && k.Kty == "RSA" {
				n, _ := base64.RawURLEncoding.DecodeString(k.N)
				e, _ := base64.RawURLEncoding.DecodeString(k.E)
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			}
		}
		return nil, fmt.Errorf("kid %v not in JWKS", tok.Header["kid"])
	}, doc.Issuer
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestManagedIdentityCredential(t *testing.T) {
	tn := startTenant(t, t.TempDir(), ptr(testConfig()))
	fa, _ := tn.cfg.Identity(FunctionAppIdentity)
	faUser, _ := tn.cfg.Identity("fa-user")
	compute, _ := tn.cfg.Identity(ComputeIdentity)
	computeUser, _ := tn.cfg.Identity("compute-user")
	jfrogApp, _ := tn.cfg.App(JFrogApp)
	legacy, _ := tn.cfg.App("legacy-api")
	v2Key, v2Issuer := tn.jwksKeyfunc(t, tn.issuerURL+"/"+tn.cfg.TenantID+"/v2.0/.well-known/openid-configuration")
	v1Key, v1Issuer := tn.jwksKeyfunc(t, tn.issuerURL+"/"+tn.cfg.TenantID+"/.well-known/openid-configuration")

	tests := []struct {
		name     string
		azureML  bool
		id       azidentity.ManagedIDKind
		scope    string
		want     Identity
		wantVer  string
		wantAud  string
		keyfunc  jwt.Keyfunc
		issuer   string
		clientIn string // claim carrying the identity's client id
	}{
		{"app service system v2 api uri", false, nil, "api://" + jfrogApp.ClientID + "/.default", fa, "2.0", jfrogApp.ClientID, v2Key, v2Issuer, "azp"},
		{"app service user client_id v1 vault", false, azidentity.ClientID(faUser.ClientID), "https://vault.azure.net/.default", faUser, "1.0", "https://vault.azure.net", v1Key, v1Issuer, "appid"},
		{"app service user object_id v2 bare client id", false, azidentity.ObjectID(faUser.ObjectID), jfrogApp.ClientID, faUser, "2.0", jfrogApp.ClientID, v2Key, v2Issuer, "azp"},
		{"app service user resource id v1 app", false, azidentity.ResourceID(faUser.ResourceID), "api://legacy/.default", faUser, "1.0", "api://legacy", v1Key, v1Issuer, "appid"},
		{"azureml system v1 app", true, nil, legacy.ClientID + "/.default", compute, "1.0", legacy.ClientID, v1Key, v1Issuer, "appid"},
		{"azureml user client_id v2", true, azidentity.ClientID(computeUser.ClientID), "api://" + jfrogApp.ClientID, computeUser, "2.0", jfrogApp.ClientID, v2Key, v2Issuer, "azp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.azureML {
				tn.useAzureML(t, tn.srv.MSISecret())
			} else {
				tn.useAppService(t, tn.srv.IdentityHeader())
			}
			cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: tt.id})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{tt.scope}})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Until(tok.ExpiresOn); d < 23*time.Hour || d > 25*time.Hour {
				t.Errorf("ExpiresOn in %s, want about 24h", d)
			}
			claims := jwt.MapClaims{}
			if _, err := jwt.ParseWithClaims(tok.Token, claims, tt.keyfunc,
				jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(tt.issuer),
				jwt.WithAudience(tt.wantAud), jwt.WithExpirationRequired(), jwt.WithIssuedAt()); err != nil {
				t.Fatalf("verify with JWKS: %v", err)
			}
			for k, want := range map[string]string{
				"ver": tt.wantVer, "oid": tt.want.ObjectID, "sub": tt.want.ObjectID,
				"tid": tn.cfg.TenantID, tt.clientIn: tt.want.ClientID, "idtyp": "app",
			} {
				if claims[k] != want {
					t.Errorf("claim %s = %v, want %s", k, claims[k], want)
				}
			}
			for _, k := range []string{"nbf", "iat", "exp", "uti", "aio", "rh"} {
				if _, ok := claims[k]; !ok {
					t.Errorf("claim %s missing", k)
				}
			}
			other := map[string]string{"azp": "appid", "appid": "azp"}[tt.clientIn]
			if _, ok := claims[other]; ok {
				t.Errorf("a %s token carries %s", tt.wantVer, other)
			}
			got, err := tn.srv.VerifyAccessToken(tok.Token, tt.wantAud)
			if err != nil || got.ObjectID != tt.want.ObjectID || got.AppID != tt.want.ClientID || got.Version != tt.wantVer {
				t.Errorf("VerifyAccessToken = %+v, %v", got, err)
			}
		})
	}
}

func TestManagedIdentityRefusals(t *testing.T) {
	tn := startTenant(t, t.TempDir(), ptr(testConfig()))
	jfrogApp, _ := tn.cfg.App(JFrogApp)
	tests := []struct {
		name    string
		setup   func(t *testing.T)
		id      azidentity.ManagedIDKind
		scope   string
		wantMsg string
	}{
		{"wrong identity header", func(t *testing.T) { tn.useAppService(t, "not-the-header") }, nil, "api://" + jfrogApp.ClientID, "X-IDENTITY-HEADER"},
		{"wrong msi secret", func(t *testing.T) { tn.useAzureML(t, "not-the-secret") }, nil, "api://" + jfrogApp.ClientID, "MSI_SECRET"},
		{"unknown client id", func(t *testing.T) { tn.useAppService(t, tn.srv.IdentityHeader()) }, azidentity.ClientID(NewUUID()), "api://" + jfrogApp.ClientID, "identity not found"},
		{"compute identity not on app service", func(t *testing.T) { tn.useAppService(t, tn.srv.IdentityHeader()) }, azidentity.ClientID(mustIdentity(tn.cfg, ComputeIdentity).ClientID), "api://" + jfrogApp.ClientID, "identity not found"},
		{"unknown resource", func(t *testing.T) { tn.useAppService(t, tn.srv.IdentityHeader()) }, nil, "api://" + NewUUID(), "AADSTS500011"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: tt.id})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{tt.scope}})
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("GetToken error = %v, want one mentioning %q", err, tt.wantMsg)
			}
		})
	}
	t.Run("wrong api-version", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, tn.miURL+AppServicePath+"?api-version=2017-09-01&resource=https://vault.azure.net", nil)
		req.Header.Set("X-IDENTITY-HEADER", tn.srv.IdentityHeader())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

func TestVerifyAccessToken(t *testing.T) {
	dir := t.TempDir()
	tn := startTenant(t, dir, ptr(testConfig()))
	fa, _ := tn.cfg.Identity(FunctionAppIdentity)
	good, _, err := tn.srv.Issue(fa, "https://vault.azure.net")
	if err != nil {
		t.Fatal(err)
	}
	past := startTenant(t, dir, nil) // same tenant and key, clock two days back
	past.srv.now = func() time.Time { return time.Now().Add(-48 * time.Hour) }
	expired, _, err := past.srv.Issue(fa, "https://vault.azure.net")
	if err != nil {
		t.Fatal(err)
	}
	foreign := startTenant(t, t.TempDir(), ptr(testConfig()))
	foreignTok, _, err := foreign.srv.Issue(mustIdentity(foreign.cfg, FunctionAppIdentity), "https://vault.azure.net")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tests := []struct {
		name    string
		token   string
		aud     string
		wantErr error
	}{
		{"valid", good, "https://vault.azure.net", nil},
		{"valid with trailing slash audience", good, "https://vault.azure.net/", nil},
		{"wrong audience", good, "https://storage.azure.com", ErrAudience},
		{"expired", expired, "https://vault.azure.net", ErrTokenExpired},
		{"other tenant", foreignTok, "https://vault.azure.net", ErrInvalidToken},
		{"tampered payload", parts[0] + "." + parts[1] + "x." + parts[2], "https://vault.azure.net", ErrInvalidToken},
		{"not a jwt", "abc", "https://vault.azure.net", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tn.srv.VerifyAccessToken(tt.token, tt.aud)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestTenantPersists(t *testing.T) {
	dir := t.TempDir()
	first := startTenant(t, dir, nil)
	second := startTenant(t, dir, nil)
	if first.cfg.TenantID != second.cfg.TenantID || first.srv.key.kid != second.srv.key.kid {
		t.Fatal("tenant or signing key changed across restarts")
	}
	if first.srv.IdentityHeader() == second.srv.IdentityHeader() {
		t.Error("IDENTITY_HEADER did not change across restarts")
	}
	tok, _, err := first.srv.Issue(mustIdentity(first.cfg, ComputeIdentity), "https://storage.azure.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.srv.VerifyAccessToken(tok, "https://storage.azure.com"); err != nil {
		t.Errorf("token from before the restart: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"default ok", func(c *Config) {}, ""},
		{"bad tenant", func(c *Config) { c.TenantID = "contoso" }, "tenant_id"},
		{"duplicate name", func(c *Config) { c.Identities[1].Name = c.Identities[0].Name }, "unique"},
		{"two system identities", func(c *Config) { c.Identities[1].Host = HostAppService }, "already has"},
		{"bad host", func(c *Config) { c.Identities[0].Host = "vm" }, "host"},
		{"bad client id", func(c *Config) { c.Apps[0].ClientID = "x" }, "client_id"},
		{"bad version", func(c *Config) { c.Apps[0].AccessTokenVersion = 3 }, "access_token_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func FuzzVerifyAccessToken(f *testing.F) {
	dir := f.TempDir()
	srv, err := New(Options{DataDir: dir, BaseURL: "https://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	tok, _, err := srv.Issue(mustIdentity(srv.Config(), FunctionAppIdentity), "https://vault.azure.net")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("a.b.c")
	f.Add("")
	f.Add(strings.Replace(tok, ".", "..", 1))
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := srv.VerifyAccessToken(raw, "https://vault.azure.net")
		if err == nil && (c.TenantID != srv.TenantID() || c.ObjectID == "") {
			t.Fatalf("accepted a token with claims %+v", c)
		}
	})
}

func mustIdentity(c Config, name string) Identity {
	id, ok := c.Identity(name)
	if !ok {
		panic("no identity " + name)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func FuzzLoadConfig(f *testing.F) {
	seed, _ := json.Marshal(DefaultConfig())
	f.Add(seed)
	f.Add([]byte(`{"tenant_id":"x"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, configFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(dir, nil)
		if err != nil {
			return
		}
		if !isUUID(c.TenantID) {
			t.Fatalf("accepted tenant %q", c.TenantID)
		}
		for _, id := range c.Identities {
			if !isUUID(id.ClientID) || (id.Host != HostAppService && id.Host != HostAzureML) {
				t.Fatalf("accepted identity %+v", id)
			}
		}
	})
}

// FuzzIdentityHandler drives the App Service endpoint with arbitrary query
// values: it never fails with a 5xx and issues a token only for an identity
// the host has and a resource the tenant knows.
func FuzzIdentityHandler(f *testing.F) {
	srv, err := New(Options{DataDir: f.TempDir(), BaseURL: "https://127.0.0.1:1", Initial: ptr(testConfig())})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.IdentityHandler()
	cfg := srv.Config()
	app, _ := cfg.App(JFrogApp)
	f.Add("api://"+app.ClientID, "", "2019-08-01")
	f.Add("https://vault.azure.net", mustIdentity(cfg, "fa-user").ClientID, "2019-08-01")
	f.Add("https://vault.azure.net", "x", "2019-08-01")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, resource, clientID, apiVersion string) {
		q := url.Values{"resource": {resource}, "api-version": {apiVersion}}
		if clientID != "" {
			q.Set("client_id", clientID)
		}
		req := httptest.NewRequest(http.MethodGet, AppServicePath+"?"+q.Encode(), nil)
		req.Header.Set("X-IDENTITY-HEADER", srv.IdentityHeader())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d for %q", rec.Code, q.Encode())
		}
		if rec.Code == 200 {
			var tok miToken
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
				t.Fatalf("200 without a token: %s", rec.Body)
			}
			if _, err := srv.pick(HostAppService, selector{kind: map[bool]string{true: "client_id"}[clientID != ""], value: clientID}); err != nil {
				t.Fatalf("token for an identity the host lacks: %q", clientID)
			}
		}
	})
}
