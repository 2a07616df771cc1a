package azurite_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/frogbridge/frogbridge/internal/devstack/azurite"
)

// Start Azurite over plain http in a temporary folder and talk to it with
// azblob. With CertFile/KeyFile (from tlsca) it serves HTTPS instead.
func ExampleStart() {
	dir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := azurite.Start(context.Background(), azurite.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Stop()
	c, err := azblob.NewClientFromConnectionString(p.ConnectionString(), nil)
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.CreateContainer(context.Background(), "example", nil)
	fmt.Println(err == nil)
}
