package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestAuthSettings(t *testing.T) {
	const tenant, client = "6f1e1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	tests := []struct {
		name    string
		env     map[string]string
		want    Auth
		problem string // setting that must be reported
	}{
		{"default keys", nil, Auth{Mode: AuthKeys, AuthorityHost: DefaultAuthorityHost, KeySecrets: []string{"host--functionKey--default", "host--masterKey--master"}}, ""},
		{"entra", map[string]string{EnvAuthMode: "Entra", EnvAuthTenantID: tenant, EnvAuthAudience: client, EnvAuthAcceptV1: "true", EnvAuthAuthorityHost: "https://login.microsoftonline.us/"},
			Auth{Mode: AuthEntra, TenantID: tenant, Audience: client, AcceptV1: true, AuthorityHost: "https://login.microsoftonline.us", KeySecrets: []string{"host--functionKey--default", "host--masterKey--master"}}, ""},
		{"entra without tenant", map[string]string{EnvAuthMode: "entra", EnvAuthAudience: client}, Auth{}, EnvAuthTenantID},
		{"both without audience", map[string]string{EnvAuthMode: "both", EnvAuthTenantID: tenant}, Auth{}, EnvAuthAudience},
		{"audience not a client id", map[string]string{EnvAuthMode: "entra", EnvAuthTenantID: tenant, EnvAuthAudience: "api://frogbridge"}, Auth{}, EnvAuthAudience},
		{"unknown mode", map[string]string{EnvAuthMode: "oauth"}, Auth{}, EnvAuthMode},
		{"authority with path", map[string]string{EnvAuthAuthorityHost: "https://login.microsoftonline.com/tenant"}, Auth{}, EnvAuthAuthorityHost},
		{"authority over http", map[string]string{EnvAuthAuthorityHost: "http://login.microsoftonline.com"}, Auth{}, EnvAuthAuthorityHost},
		{"bad key secret", map[string]string{EnvAuthKeySecrets: "ok,not/ok"}, Auth{}, EnvAuthKeySecrets},
		{"both without key secrets", map[string]string{EnvAuthMode: "both", EnvAuthTenantID: tenant, EnvAuthAudience: client, EnvSecretStorageType: "keyvault", EnvAuthKeySecrets: " , "}, Auth{}, EnvAuthKeySecrets},
		{"both with keys in blob storage", map[string]string{EnvAuthMode: "both", EnvAuthTenantID: tenant, EnvAuthAudience: client, EnvSecretStorageType: "blob"}, Auth{}, EnvSecretStorageType},
		{"both", map[string]string{EnvAuthMode: "both", EnvAuthTenantID: tenant, EnvAuthAudience: client, EnvSecretStorageType: "KeyVault", EnvSecretStorageVaultURI: "https://keys.vault.azure.net"},
			Auth{Mode: AuthBoth, TenantID: tenant, Audience: client, AuthorityHost: DefaultAuthorityHost, KeySecrets: []string{"host--functionKey--default", "host--masterKey--master"}, KeyVaultURL: "https://keys.vault.azure.net/"}, ""},
		{"bad v1 flag", map[string]string{EnvAuthAcceptV1: "maybe"}, Auth{}, EnvAuthAcceptV1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Load(func(k string) string { return tt.env[k] })
			var auth []string
			for _, p := range c.Problems(GroupAuth) {
				auth = append(auth, p.Setting)
			}
			if tt.problem == "" {
				if len(auth) > 0 {
					t.Fatalf("problems %v", c.Problems(GroupAuth))
				}
				if !reflect.DeepEqual(c.Auth, tt.want) {
					t.Fatalf("Auth = %+v, want %+v", c.Auth, tt.want)
				}
				return
			}
			if !strings.Contains(strings.Join(auth, ","), tt.problem) {
				t.Fatalf("problems %v, want one for %s", auth, tt.problem)
			}
		})
	}
}
