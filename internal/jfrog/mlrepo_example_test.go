package jfrog_test

import (
	"context"
	"fmt"
	"log"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// A model version goes up with its files and properties, and comes back
// verified; "latest" names the newest stored version.
func ExampleClient_UploadModelVersion() {
	ctx := context.Background()
	c, err := jfrog.NewClient("https://acme.jfrog.io", nil)
	if err != nil {
		log.Fatal(err)
	}
	token := secret.Token("…") // from keyvault.CredentialSource
	files := []jfrog.ModelFile{
		{Name: "model.json", Path: "outputs/model.json"},
		{Name: "metadata.json", Path: "outputs/metadata.json"},
	}
	res, err := c.UploadModelVersion(ctx, token, "ml-local", "iris-classifier", "v1", files,
		map[string]string{"accuracy": "0.97"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.URL, res.BytesSent, res.ChecksumDeployed)

	version, err := c.ResolveVersion(ctx, token, "ml-local", "iris-classifier", jfrog.LatestVersion)
	if err != nil {
		log.Fatal(err)
	}
	dl, err := c.DownloadModelVersion(ctx, token, "ml-local", "iris-classifier", version, "model", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range dl.Files {
		fmt.Println(f.Path, f.Sha256)
	}
}
