package localvault

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/frogbridge/frogbridge/internal/devstack/tlsca"
)

// env is a running tenant plus vault, both over TLS with the devstack CA.
type env struct {
	dir       string
	tenant    *entra.Server
	vault     *Vault
	vaultURL  string
	issuerURL string
	miURL     string
	ca        *tlsca.CA
	writer    entra.Identity
	reader    entra.Identity
	nobody    entra.Identity
	close     func()
}

// tenantConfig has three user-assigned identities with random client ids,
// so MSAL's process-wide token cache never serves a token from another
// test's tenant.
func tenantConfig() *entra.Config {
	c := entra.DefaultConfig()
	for _, n := range []string{"writer", "reader", "nobody"} {
		c.Identities = append(c.Identities, entra.Identity{
			Name: n, ClientID: entra.NewUUID(), ObjectID: entra.NewUUID(), Host: entra.HostAppService, Kind: entra.UserAssigned,
		})
	}
	return &c
}

// startEnv starts the tenant and the vault kept in dir (a new folder when
// dir is ""), assigning Officer to writer and User to reader.
func startEnv(t testing.TB, dir string) *env {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ca, err := tlsca.Ensure(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	issuerLn := listen(t)
	vaultLn := listen(t)
	e := &env{dir: dir, ca: ca, issuerURL: "https://" + issuerLn.Addr().String(), vaultURL: "https://" + vaultLn.Addr().String()}
	e.tenant, err = entra.New(entra.Options{DataDir: filepath.Join(dir, "entra"), BaseURL: e.issuerURL, Initial: tenantConfig()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.tenant.Config()
	e.writer, _ = cfg.Identity("writer")
	e.reader, _ = cfg.Identity("reader")
	e.nobody, _ = cfg.Identity("nobody")
	e.vault, err = New(Options{DataDir: filepath.Join(dir, "keyvault"), VaultURL: e.vaultURL, Authority: e.tenant.Authority(), Verifier: e.tenant})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.vault.AssignRole(e.writer.ObjectID, RoleSecretsOfficer); err != nil {
		t.Fatal(err)
	}
	if err := e.vault.AssignRole(e.reader.ObjectID, RoleSecretsUser); err != nil {
		t.Fatal(err)
	}
	issuer := serveTLS(issuerLn, ca, e.tenant.IssuerHandler())
	vault := serveTLS(vaultLn, ca, e.vault.Handler())
	mi := httptest.NewServer(e.tenant.IdentityHandler())
	e.miURL = mi.URL
	t.Setenv("IDENTITY_ENDPOINT", mi.URL+entra.AppServicePath)
	t.Setenv("IDENTITY_HEADER", e.tenant.IdentityHeader())
	t.Setenv("MSI_ENDPOINT", "")
	closed := false
	e.close = func() {
		if !closed {
			closed = true
			issuer.Close()
			vault.Close()
			mi.Close()
		}
	}
	t.Cleanup(e.close)
	return e
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func serveTLS(ln net.Listener, ca *tlsca.CA, h http.Handler) *httptest.Server {
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.TLS = ca.ServerTLSConfig()
	s.StartTLS()
	return s
}

// client returns an azsecrets client authenticating as id through the App
// Service managed-identity endpoint. The resource check of the challenge is
// off only because the vault's host is a loopback address.
func (e *env) client(t testing.TB, id entra.Identity, transport *http.Client) *azsecrets.Client {
	t.Helper()
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(id.ClientID)})
	if err != nil {
		t.Fatal(err)
	}
	if transport == nil {
		transport = e.ca.HTTPClient(10 * time.Second)
	}
	c, err := azsecrets.NewClient(e.vaultURL, cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: transport},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func credFor(t testing.TB, id entra.Identity) *azidentity.ManagedIdentityCredential {
	t.Helper()
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(id.ClientID)})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}
