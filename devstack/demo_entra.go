package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/funcpkg"
)

// useEntra switches the demo to AUTH_MODE=entra when the package has
// anonymous HTTP functions (make demo AUTH_MODE=entra): the handler then
// checks tokens, and the demo calls the functions as CI does, with a
// client-credentials token of the provisioned CI client for the API's
// audience, got through azidentity's ClientSecretCredential.
func (d *demo) useEntra() error {
	app, err := funcpkg.Load(d.app)
	if err != nil {
		return fmt.Errorf("%w (run make package)", err)
	}
	anon := app.AnonymousHTTP()
	if len(anon) <= 1 { // Health is always anonymous
		return nil
	}
	id, secret := d.settings["DEVSTACK_CI_CLIENT_ID"], d.settings["DEVSTACK_CI_CLIENT_SECRET"]
	if id == "" || secret == "" {
		return errors.New("the package is made for entra mode but the local stack provisioned no CI client")
	}
	pem, err := os.ReadFile(d.settings["SSL_CERT_FILE"])
	if err != nil {
		return fmt.Errorf("read the local stack's CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cred, err := azidentity.NewClientSecretCredential(d.settings["AUTH_TENANT_ID"], id, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: d.settings["AUTH_AUTHORITY_HOST"] + "/"},
			Transport: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return err
	}
	d.settings["AUTH_MODE"] = "entra"
	d.cred = cred
	fmt.Fprintf(d.out, "AUTH_MODE=entra: calling the functions with Entra ID tokens of client %s (app roles %v) for api://%s\n",
		id, ciRoles, d.settings["AUTH_AUDIENCE"])
	return nil
}

// bearer returns the Authorization value for the CI client's token.
func (d *demo) bearer(ctx context.Context) (string, error) {
	tok, err := d.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"api://" + d.settings["AUTH_AUDIENCE"] + "/.default"}})
	if err != nil {
		return "", fmt.Errorf("token for the function app: %w", err)
	}
	return "Bearer " + tok.Token, nil
}

// credential names what the demo calls the functions with.
func (d *demo) credential() string {
	if d.cred != nil {
		return "Entra ID token"
	}
	return "function key"
}
