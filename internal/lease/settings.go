package lease

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// devStorageConnectionString is what UseDevelopmentStorage=true stands for
// (the Azurite default account); azblob does not expand it itself.
const devStorageConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
	"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
	"BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"

// Settings are the Functions host storage settings.
type Settings struct {
	// ConnectionString is AzureWebJobsStorage (shared key or SAS).
	ConnectionString string
	// BlobServiceURI is AzureWebJobsStorage__blobServiceUri (identity-based).
	BlobServiceURI string
	// AccountName is AzureWebJobsStorage__accountName (identity-based,
	// https://<name>.blob.core.windows.net).
	AccountName string
}

// NewContainerClient returns a client for containerName from s: the
// connection string when set, else the blob service URI or account name
// with cred (the managed identity).
func NewContainerClient(s Settings, cred azcore.TokenCredential, containerName string, opts *azcore.ClientOptions) (*container.Client, error) {
	co := &container.ClientOptions{}
	if opts != nil {
		co.ClientOptions = *opts
	}
	if cs := strings.TrimSpace(s.ConnectionString); cs != "" {
		if strings.EqualFold(strings.TrimSuffix(strings.ReplaceAll(cs, " ", ""), ";"), "UseDevelopmentStorage=true") {
			cs = devStorageConnectionString
		}
		c, err := container.NewClientFromConnectionString(cs, containerName, co)
		if err != nil {
			return nil, errors.New("lease: AzureWebJobsStorage is not a valid storage connection string")
		}
		return c, nil
	}
	service := strings.TrimSpace(s.BlobServiceURI)
	if service == "" && strings.TrimSpace(s.AccountName) != "" {
		service = "https://" + strings.TrimSpace(s.AccountName) + ".blob.core.windows.net/"
	}
	if service == "" {
		return nil, errors.New("lease: no storage configured: set AzureWebJobsStorage, AzureWebJobsStorage__blobServiceUri or AzureWebJobsStorage__accountName")
	}
	u, err := url.Parse(service)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("lease: AzureWebJobsStorage__blobServiceUri (or __accountName) does not give an absolute http(s) URL")
	}
	if cred == nil {
		return nil, errors.New("lease: identity-based storage needs a credential")
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + containerName
	c, err := container.NewClient(u.String(), cred, co)
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	return c, nil
}

// NewLockerFromSettings returns a Locker for blob blobName in container
// containerName of the storage described by s (see NewContainerClient);
// opts.ClientOptions configure the blob client.
func NewLockerFromSettings(s Settings, cred azcore.TokenCredential, containerName, blobName string, opts *LockerOptions) (*Locker, error) {
	var co *azcore.ClientOptions
	if opts != nil {
		co = &opts.ClientOptions
	}
	c, err := NewContainerClient(s, cred, containerName, co)
	if err != nil {
		return nil, err
	}
	return NewLocker(c, blobName, opts)
}
