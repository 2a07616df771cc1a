package main

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/frogbridge/frogbridge/internal/config"
)

func TestStorageSuffix(t *testing.T) {
	for endpoint, want := range map[string]string{
		"https://management.azure.com":         "core.windows.net",
		"https://management.azure.com/":        "core.windows.net",
		"https://management.chinacloudapi.cn":  "core.chinacloudapi.cn",
		"https://management.usgovcloudapi.net": "core.usgovcloudapi.net",
		"https://127.0.0.1:7443":               "core.windows.net",
	} {
		cfg := config.Load(func(k string) string {
			if k == config.EnvARMEndpoint {
				return endpoint
			}
			return ""
		})
		if got := storageSuffix(cfg.Jobs.Cloud); got != want {
			t.Errorf("storageSuffix(%s) = %s, want %s", endpoint, got, want)
		}
	}
}

func TestOutputsOptions(t *testing.T) {
	o := outputsOptions(config.Jobs{Cloud: cloud.AzureChina})
	if o.StorageSuffix != "core.chinacloudapi.cn" || len(o.TrustedServiceURLs) != 0 {
		t.Fatalf("options %+v", o)
	}
	o = outputsOptions(config.Jobs{Cloud: cloud.AzurePublic, DatastoreBlobURL: "https://ml.storage.example.com"})
	if len(o.TrustedServiceURLs) != 1 || o.TrustedServiceURLs[0] != "https://ml.storage.example.com" {
		t.Fatalf("options %+v", o)
	}
}
