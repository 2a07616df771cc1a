package rotation_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// The managed identity credential is the rotation's TokenSource.
var _ rotation.TokenSource = (*azidentity.ManagedIdentityCredential)(nil)

func ExampleSchedule() {
	for _, ttl := range []time.Duration{time.Hour, 4 * time.Hour, 48 * time.Hour} {
		s, _ := rotation.Schedule(ttl)
		gap, _ := rotation.MaxGap(s)
		fmt.Printf("%v → %q (longest gap %v)\n", ttl, s, gap)
	}
	// Output:
	// 1h0m0s → "0 */30 * * * *" (longest gap 30m0s)
	// 4h0m0s → "0 0 */3 * * *" (longest gap 3h0m0s)
	// 48h0m0s → "0 0 0 * * *" (longest gap 24h0m0s)
}

// ExampleNewService wires the production dependencies as the handler does
// (settings shown as literals).
func ExampleNewService() {
	ctx := context.Background()
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ID: azidentity.ClientID("00000000-0000-0000-0000-000000000001"), // UAMI_CLIENT_ID; omit for system-assigned
	})
	if err != nil {
		log.Fatal(err)
	}
	jc, err := jfrog.NewClient("https://acme.jfrog.io", nil) // ARTIFACTORY_URL
	if err != nil {
		log.Fatal(err)
	}
	vaultURL, err := keyvault.VaultURL("kv-frogbridge", "") // KEY_VAULT_NAME, KEY_VAULT_URL
	if err != nil {
		log.Fatal(err)
	}
	store, err := keyvault.NewStore(vaultURL, cred, &keyvault.StoreOptions{SecretName: keyvault.DefaultSecretName})
	if err != nil {
		log.Fatal(err)
	}
	locker, err := lease.NewLockerFromSettings(lease.Settings{AccountName: "stfrogbridge"}, cred, "frogbridge-locks", lease.DefaultBlob, nil) // ROTATION_LOCK_CONTAINER
	if err != nil {
		log.Fatal(err)
	}
	svc, err := rotation.NewService(rotation.Config{
		Audience:       "api://11111111-aaaa-bbbb-cccc-222222222222", // AZURE_AD_TOKEN_AUDIENCE
		ProviderName:   "azure-oidc",                                 // JFROG_OIDC_PROVIDER_NAME
		SecretTTL:      4 * time.Hour,                                // SECRET_TTL
		RevokePrevious: true,                                         // ROTATION_REVOKE_PREVIOUS
	}, rotation.Dependencies{Tokens: cred, Exchanger: jc, Verifier: jc, Revoker: jc, Store: store, Locker: locker})
	if err != nil {
		log.Fatal(err)
	}
	res, err := svc.Rotate(ctx, rotation.RotateOptions{Trigger: "timer"})
	if err != nil {
		fmt.Println(errkind.Of(err), redact.Error(err))
		return
	}
	fmt.Println(res.Rotated, res.Reason, res.SecretVersion)
}
