package main

import (
	"maps"
	"testing"
)

// TestAppSettingsDropStackAdministration: the local stack's admin token and
// DEVSTACK_* entries of the env file never become app settings.
func TestAppSettingsDropStackAdministration(t *testing.T) {
	got := appSettings(map[string]string{
		"KEY_VAULT_URL":               "https://127.0.0.1:1",
		"JFROG_ADMIN_TOKEN":           "admin",
		"DEVSTACK_COMPUTE_MSI_SECRET": "msi",
		"DEVSTACK_ADMIN_URL":          "http://127.0.0.1:2",
		"IDENTITY_HEADER":             "header",
	})
	want := map[string]string{"KEY_VAULT_URL": "https://127.0.0.1:1", "IDENTITY_HEADER": "header"}
	if !maps.Equal(got, want) {
		t.Fatalf("appSettings = %v, want %v", got, want)
	}
}
