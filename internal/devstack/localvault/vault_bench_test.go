package localvault

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// BenchmarkSetSecret measures one durable set (write, fsync, rename, folder
// fsync) through azsecrets over TLS.
func BenchmarkSetSecret(b *testing.B) {
	e := startEnv(b, "")
	c := e.client(b, e.writer, nil)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.SetSecret(ctx, "bench", azsecrets.SetSecretParameters{Value: to.Ptr("value")}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
