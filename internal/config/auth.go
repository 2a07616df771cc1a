package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Caller authentication modes (AUTH_MODE).
const (
	// AuthKeys: the Functions host checks function keys (the default).
	AuthKeys = "keys"
	// AuthEntra: the handler checks Entra ID bearer tokens and app roles;
	// the HTTP functions are packaged anonymous.
	AuthEntra = "entra"
	// AuthBoth: a function key or an Entra ID token; the HTTP functions are
	// packaged anonymous and the handler checks both.
	AuthBoth = "both"
)

// GroupAuth names the caller-authentication settings. While one of them is
// missing or malformed every HTTP function but Health refuses requests.
const GroupAuth = "auth"

// Caller-authentication setting names.
const (
	EnvAuthMode          = "AUTH_MODE"
	EnvAuthTenantID      = "AUTH_TENANT_ID"
	EnvAuthAudience      = "AUTH_AUDIENCE"
	EnvAuthAcceptV1      = "AUTH_ACCEPT_V1_ISSUER"
	EnvAuthAuthorityHost = "AUTH_AUTHORITY_HOST"
	EnvAuthKeySecrets    = "AUTH_FUNCTION_KEY_SECRETS"
	// The Functions host's own settings of its key store, read to find
	// the function keys in both mode.
	EnvSecretStorageType     = "AzureWebJobsSecretStorageType"
	EnvSecretStorageVaultURI = "AzureWebJobsSecretStorageKeyVaultUri"
)

// DefaultAuthorityHost is Entra ID's public-cloud authority.
const DefaultAuthorityHost = "https://login.microsoftonline.com"

// DefaultAuthKeySecrets are the Key Vault secrets that hold the host's
// default function key and master key when the Functions host keeps its
// keys in Key Vault (AzureWebJobsSecretStorageType=keyvault).
const DefaultAuthKeySecrets = "host--functionKey--default,host--masterKey--master"

// Auth holds the caller-authentication settings of the HTTP functions.
type Auth struct {
	// Mode is AuthKeys, AuthEntra or AuthBoth (AUTH_MODE).
	Mode string
	// TenantID is the Entra ID tenant whose tokens are accepted.
	TenantID string
	// Audience is the client id of the function app's app registration;
	// tokens for it or for api://<it> are accepted.
	Audience string
	// AcceptV1 also accepts v1 tokens (iss https://sts.windows.net/<tid>/).
	AcceptV1 bool
	// AuthorityHost is the Entra ID authority, without a trailing slash.
	AuthorityHost string
	// KeySecrets are the Key Vault secrets holding the function keys the
	// handler accepts in AuthBoth mode.
	KeySecrets []string
	// KeyVaultURL is the vault of the host's keys
	// (AzureWebJobsSecretStorageKeyVaultUri, with a trailing slash); empty
	// means the KEY_VAULT_NAME vault.
	KeyVaultURL string
}

// Tokens reports whether the handler checks Entra ID tokens.
func (a Auth) Tokens() bool { return a.Mode == AuthEntra || a.Mode == AuthBoth }

// authSettings are the caller-authentication entries of Settings.
var authSettings = []Setting{
	{Name: EnvAuthMode, Default: AuthKeys, Group: GroupAuth,
		Description: "How HTTP callers authenticate: keys (function keys, checked by the host), entra (Entra ID tokens with app roles, checked by the handler) or both; package the app for it (make package AUTH_MODE=...)."},
	{Name: EnvAuthTenantID, Group: GroupAuth,
		Description: "Entra ID tenant (GUID) whose tokens callers present; required in entra and both modes."},
	{Name: EnvAuthAudience, Group: GroupAuth,
		Description: "Client id of the function app's app registration; tokens for it or api://<it> are accepted. Required in entra and both modes."},
	{Name: EnvAuthAcceptV1, Default: "false", Group: GroupAuth,
		Description: "Also accept v1 tokens (issuer https://sts.windows.net/<tenant>/), for app registrations with accessTokenAcceptedVersion 1 or null."},
	{Name: EnvAuthAuthorityHost, Default: DefaultAuthorityHost, Group: GroupAuth,
		Description: "Entra ID authority that issues the callers' tokens and serves OpenID discovery (another cloud, the local stack)."},
	{Name: EnvAuthKeySecrets, Default: DefaultAuthKeySecrets, Group: GroupAuth,
		Description: "Comma-separated Key Vault secrets holding the function keys accepted in both mode, where the host keeps its keys with AzureWebJobsSecretStorageType=keyvault."},
	{Name: EnvSecretStorageType, Group: GroupAuth,
		Description: "Where the Functions host keeps its keys (blob when unset); both mode needs keyvault, so the handler can read the keys it accepts."},
	{Name: EnvSecretStorageVaultURI, Group: GroupAuth,
		Description: "Key Vault the Functions host keeps its keys in with AzureWebJobsSecretStorageType=keyvault; the KEY_VAULT_NAME vault when unset."},
}

// auth loads the caller-authentication settings.
func (l *loader) auth() Auth {
	a := Auth{Mode: strings.ToLower(l.get(EnvAuthMode))}
	switch a.Mode {
	case "":
		a.Mode = defaultOf(EnvAuthMode)
	case AuthKeys, AuthEntra, AuthBoth:
	default:
		l.add(EnvAuthMode, GroupAuth, "is not keys, entra or both")
		a.Mode = ""
	}
	a.AcceptV1 = l.boolean(EnvAuthAcceptV1, GroupAuth)
	a.AuthorityHost = defaultOf(EnvAuthAuthorityHost)
	if l.has(EnvAuthAuthorityHost) {
		a.AuthorityHost = l.httpsURL(EnvAuthAuthorityHost, GroupAuth, false)
		if u, err := url.Parse(a.AuthorityHost); a.AuthorityHost != "" && (err != nil || (u.Path != "" && u.Path != "/")) {
			l.add(EnvAuthAuthorityHost, GroupAuth, "must be a scheme and host only, such as "+DefaultAuthorityHost)
			a.AuthorityHost = ""
		}
	}
	secrets := defaultOf(EnvAuthKeySecrets)
	if l.has(EnvAuthKeySecrets) {
		secrets = l.get(EnvAuthKeySecrets)
	}
	for i, s := range strings.Split(secrets, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if len(s) > maxLen[secretNamePattern] || !secretNamePattern.MatchString(s) {
			l.add(EnvAuthKeySecrets, GroupAuth, fmt.Sprintf("entry %d is not a Key Vault secret name (letters, digits and dashes)", i+1))
			continue
		}
		a.KeySecrets = append(a.KeySecrets, s)
	}
	required := a.Tokens()
	a.TenantID = l.pattern(EnvAuthTenantID, GroupAuth, guidPattern, required, "")
	a.Audience = l.pattern(EnvAuthAudience, GroupAuth, guidPattern, required, "")
	if v := l.httpsURL(EnvSecretStorageVaultURI, GroupAuth, false); v != "" {
		a.KeyVaultURL = v + "/"
	}
	if store := l.get(EnvSecretStorageType); a.Mode == AuthBoth && !strings.EqualFold(store, "keyvault") {
		l.add(EnvSecretStorageType, GroupAuth, "must be keyvault: AUTH_MODE both reads the function keys from Key Vault, so the host must keep them there (and AzureWebJobsSecretStorageKeyVaultUri name the vault)")
	}
	if a.Mode == AuthBoth && len(a.KeySecrets) == 0 {
		l.add(EnvAuthKeySecrets, GroupAuth, "empty: both mode needs the Key Vault secrets of the function keys it accepts")
	}
	return a
}
