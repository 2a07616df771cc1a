package keyvault

import "testing"

func TestVaultURL(t *testing.T) {
	tests := []struct {
		name, url, want string
		ok              bool
	}{
		{"kv-frog-01", "", "https://kv-frog-01.vault.azure.net/", true},
		{"KvFrog", "", "https://kvfrog.vault.azure.net/", true},
		{"", "https://kv.vault.azure.net", "https://kv.vault.azure.net/", true},
		{"", "https://127.0.0.1:8443/", "https://127.0.0.1:8443/", true},
		{"kv-frog", "https://127.0.0.1:8443", "https://127.0.0.1:8443/", true},
		{"", "", "", false},
		{"kv", "", "", false},                        // too short
		{"a234567890123456789012345", "", "", false}, // 25 characters
		{"1kv", "", "", false},                       // starts with a digit
		{"kv-", "", "", false},                       // ends with a hyphen
		{"kv--frog", "", "", false},                  // consecutive hyphens
		{"kv_frog", "", "", false},                   // underscore
		{"bad name", "https://kv.vault.azure.net", "", false},
		{"", "http://kv.vault.azure.net", "", false},
		{"", "https://kv.vault.azure.net/secrets", "", false},
		{"", "kv.vault.azure.net", "", false},
		{"", "https://user@kv.vault.azure.net", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name+"|"+tc.url, func(t *testing.T) {
			got, err := VaultURL(tc.name, tc.url)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIsLoopbackURL(t *testing.T) {
	tests := map[string]bool{
		"https://127.0.0.1:8443/":            true,
		"https://127.9.9.9/":                 true,
		"https://[::1]:8443/":                true,
		"https://localhost:1/":               true,
		"https://kv.vault.azure.net/":        false,
		"https://10.0.0.1/":                  false,
		"https://127.0.0.1.nip.io/":          false,
		"https://localhost.example.com:443/": false,
		"://bad":                             false,
	}
	for u, want := range tests {
		t.Run(u, func(t *testing.T) {
			if got := isLoopbackURL(u); got != want {
				t.Errorf("isLoopbackURL(%q) = %v, want %v", u, got, want)
			}
		})
	}
}
