package jobs

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// maxOutputBytes bounds a job output file read into memory.
const maxOutputBytes = 16 << 20

// BlobOutputs reads job outputs from a datastore's blob container with a
// token credential (the function app's identity needs Storage Blob Data
// Reader on the workspace storage account). It builds one blob client per
// blob service (a workspace has one default datastore) and reuses it for
// every read. It is safe for concurrent use.
type BlobOutputs struct {
	cred azcore.TokenCredential
	opts *azblob.ClientOptions

	mu      sync.Mutex
	clients map[string]*azblob.Client // by blob service URL
}

// NewBlobOutputs returns a BlobOutputs; nil opts means defaults.
func NewBlobOutputs(cred azcore.TokenCredential, opts *azblob.ClientOptions) *BlobOutputs {
	return &BlobOutputs{cred: cred, opts: opts, clients: map[string]*azblob.Client{}}
}

// client returns the blob client for serviceURL, building it on first use.
func (b *BlobOutputs) client(serviceURL string) (*azblob.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.clients[serviceURL]; ok {
		return c, nil
	}
	c, err := azblob.NewClient(serviceURL, b.cred, b.opts)
	if err != nil {
		return nil, fmt.Errorf("blob client for %s: %w", serviceURL, err)
	}
	b.clients[serviceURL] = c
	return c, nil
}

// Read downloads blobPath from the datastore's container.
func (b *BlobOutputs) Read(ctx context.Context, ds azureml.Datastore, blobPath string) ([]byte, error) {
	c, err := b.client(ds.BlobServiceURL())
	if err != nil {
		return nil, err
	}
	resp, err := c.DownloadStream(ctx, ds.ContainerName, blobPath, nil)
	if err != nil {
		return nil, fmt.Errorf("download %s/%s (the function app's identity needs Storage Blob Data Reader on storage account %s): %w", ds.ContainerName, blobPath, ds.AccountName, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxOutputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", blobPath, err)
	}
	if len(data) > maxOutputBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", blobPath, maxOutputBytes)
	}
	return data, nil
}
