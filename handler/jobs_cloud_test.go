package main

import "testing"

func TestStorageSuffix(t *testing.T) {
	for endpoint, want := range map[string]string{
		"https://management.azure.com":         "core.windows.net",
		"https://management.azure.com/":        "core.windows.net",
		"https://management.chinacloudapi.cn":  "core.chinacloudapi.cn",
		"https://management.usgovcloudapi.net": "core.usgovcloudapi.net",
		"https://127.0.0.1:7443":               "core.windows.net",
	} {
		if got := storageSuffix(endpoint); got != want {
			t.Errorf("storageSuffix(%s) = %s, want %s", endpoint, got, want)
		}
	}
}
