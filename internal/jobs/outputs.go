package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// maxOutputBytes bounds a job output file read into memory.
const maxOutputBytes = 16 << 20

// PublicStorageSuffix is the public cloud's storage endpoint suffix.
const PublicStorageSuffix = "core.windows.net"

// ErrUntrustedDatastore reports a datastore whose blob service is neither a
// storage account of the configured cloud nor one the configuration names:
// the function app's storage token is never sent there.
var ErrUntrustedDatastore = errors.New("datastore does not point at a trusted storage account")

// storageAccountPattern is Azure's storage account name rule: 3-24
// lower-case letters and digits.
var storageAccountPattern = lazyregexp.New(`^[a-z0-9]{3,24}$`)

// BlobOutputsOptions configure NewBlobOutputs; the zero value means the
// public cloud and azblob's defaults.
type BlobOutputsOptions struct {
	// ClientOptions configure the azblob client.
	ClientOptions azblob.ClientOptions
	// StorageSuffix is the configured cloud's storage endpoint suffix, such
	// as core.windows.net, core.chinacloudapi.cn or core.usgovcloudapi.net;
	// empty means core.windows.net. A datastore is read when it names an
	// account under exactly this suffix.
	StorageSuffix string
	// TrustedServiceURLs are blob service URLs the configuration names;
	// a datastore whose blob service URL is one of them is read whatever
	// its suffix.
	TrustedServiceURLs []string
}

// BlobOutputs reads job outputs from a datastore's blob container with a
// token credential (the function app's identity needs Storage Blob Data
// Reader on the workspace storage account). It sends that token only to a
// storage account it trusts (see TrustedServiceURL). It builds one blob
// client per blob service (a workspace has one default datastore) and
// reuses it for every read. It is safe for concurrent use.
type BlobOutputs struct {
	cred azcore.TokenCredential
	opts BlobOutputsOptions

	mu      sync.Mutex
	clients map[string]*azblob.Client // by blob service URL
}

// NewBlobOutputs returns a BlobOutputs; nil opts means defaults.
func NewBlobOutputs(cred azcore.TokenCredential, opts *BlobOutputsOptions) *BlobOutputs {
	b := &BlobOutputs{cred: cred, clients: map[string]*azblob.Client{}}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.StorageSuffix == "" {
		b.opts.StorageSuffix = PublicStorageSuffix
	}
	return b
}

// TrustedServiceURL returns the blob service URL of ds when the function
// app may send its storage token there: a URL the configuration names; an
// account the datastore names under the configured cloud's storage suffix,
// over https; or a literal blobServiceUrl on a loopback host (the local
// stack's Azurite). Anything else is refused with ErrUntrustedDatastore:
// whoever can write the workspace's datastores could otherwise point one
// at a host of their choosing and collect the token, which is valid for
// every storage account the identity may read.
func (b *BlobOutputs) TrustedServiceURL(ds azureml.Datastore) (string, error) {
	svc := ds.BlobServiceURL()
	for _, t := range b.opts.TrustedServiceURLs {
		if strings.EqualFold(strings.TrimRight(t, "/")+"/", svc) {
			return svc, nil
		}
	}
	fix := fmt.Sprintf("point datastore %s at a storage account under %s (az ml datastore create), or read outputs from another datastore", ds.Name, b.opts.StorageSuffix)
	if ds.ServiceURL != "" {
		u, err := url.Parse(svc)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("%w: datastore %s has a malformed blobServiceUrl; %s", ErrUntrustedDatastore, ds.Name, fix)
		}
		if !loopbackHost(u.Hostname()) {
			return "", fmt.Errorf("%w: datastore %s sets blobServiceUrl host %s, and a literal blob service URL is honoured only on a loopback host (the local stack); %s",
				ErrUntrustedDatastore, ds.Name, clip(u.Hostname()), fix)
		}
		return svc, nil
	}
	switch {
	case !storageAccountPattern.MatchString(ds.AccountName):
		return "", fmt.Errorf("%w: datastore %s names storage account %q, which is not a storage account name (3-24 lower-case letters and digits); %s",
			ErrUntrustedDatastore, ds.Name, clip(ds.AccountName), fix)
	case ds.Endpoint != "" && !strings.EqualFold(ds.Endpoint, b.opts.StorageSuffix):
		return "", fmt.Errorf("%w: datastore %s names storage endpoint %q, not %s, the storage suffix of the configured cloud (from AZURE_RESOURCE_MANAGER_ENDPOINT); %s",
			ErrUntrustedDatastore, ds.Name, clip(ds.Endpoint), b.opts.StorageSuffix, fix)
	case ds.Protocol != "" && !strings.EqualFold(ds.Protocol, "https"):
		return "", fmt.Errorf("%w: datastore %s uses protocol %q; outputs are read over https only; %s", ErrUntrustedDatastore, ds.Name, clip(ds.Protocol), fix)
	}
	return "https://" + ds.AccountName + ".blob." + strings.ToLower(b.opts.StorageSuffix) + "/", nil
}

// loopbackHost reports whether host is localhost or a loopback IP literal.
// 0.0.0.0 and other unspecified addresses are not loopback, although
// dialling them reaches the local host.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// client returns the blob client for serviceURL, building it on first use.
func (b *BlobOutputs) client(serviceURL string) (*azblob.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.clients[serviceURL]; ok {
		return c, nil
	}
	c, err := azblob.NewClient(serviceURL, b.cred, &b.opts.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("blob client for %s: %w", serviceURL, err)
	}
	b.clients[serviceURL] = c
	return c, nil
}

// Read downloads blobPath from the datastore's container, once its blob
// service is trusted.
func (b *BlobOutputs) Read(ctx context.Context, ds azureml.Datastore, blobPath string) ([]byte, error) {
	svc, err := b.TrustedServiceURL(ds)
	if err != nil {
		return nil, err
	}
	c, err := b.client(svc)
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
