package rotation_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// BenchmarkRotateLocalStack runs forced rotations with the real clients
// against the local Entra ID, JFrog and Key Vault (in-process, TLS) and
// reports the p50 and p99 latency of one rotation.
func BenchmarkRotateLocalStack(b *testing.B) {
	st := newLocalStack(b)
	co := st.clientOptions()
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: co})
	if err != nil {
		b.Fatal(err)
	}
	jc, _ := jfrog.NewClient(st.jfrogURL, &jfrog.ClientOptions{ClientOptions: co})
	store, _ := keyvault.NewStore(st.vaultURL, cred, &keyvault.StoreOptions{ClientOptions: co})
	svc, err := rotation.NewService(rotation.Config{Audience: st.audience, ProviderName: "azure-oidc", SecretTTL: 4 * time.Hour, RevokePrevious: true, CoalesceWindow: -1},
		rotation.Dependencies{Tokens: cred, Exchanger: jc, Verifier: jc, Revoker: jc, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := svc.Rotate(ctx, rotation.RotateOptions{Force: true, Trigger: "bench"}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
