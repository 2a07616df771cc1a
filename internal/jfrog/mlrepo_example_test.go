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
	ref := jfrog.ModelRef{Repo: "ml-local", Name: "iris-classifier", Version: "v1"}
	res, err := c.UploadModelVersion(ctx, token, ref, files, &jfrog.UploadOptions{Properties: map[string]string{"accuracy": "0.97"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.URL, res.BytesSent, res.ChecksumDeployed)

	ref.Version = jfrog.LatestVersion
	version, err := c.ResolveVersion(ctx, token, ref)
	if err != nil {
		log.Fatal(err)
	}
	ref.Version = version
	dl, err := c.DownloadModelVersion(ctx, token, ref, "model", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range dl.Files {
		fmt.Println(f.Path, f.Sha256)
	}
}
