package keyvault

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// vaultName follows the Key Vault naming rules: 3–24 characters, letters,
// digits and hyphens, starting with a letter, ending with a letter or digit,
// no consecutive hyphens (checked separately).
var vaultName = lazyregexp.New(`^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$`)

// secretName is the Key Vault secret name pattern.
var secretName = lazyregexp.New(`^[0-9A-Za-z-]+$`)

// VaultURL returns the vault URL to use, "https://host[:port]/". rawURL
// (KEY_VAULT_URL) wins when set and must be an https URL with no path;
// otherwise name (KEY_VAULT_NAME) must follow the Key Vault naming rules and
// gives https://<name>.vault.azure.net/. Each value that is set is validated.
// Errors never repeat the value (a URL may carry user info or a query).
func VaultURL(name, rawURL string) (string, error) {
	name, rawURL = strings.TrimSpace(name), strings.TrimSpace(rawURL)
	if name != "" {
		if err := ValidateVaultName(name); err != nil {
			return "", err
		}
	}
	if rawURL != "" {
		u, err := url.Parse(rawURL)
		if err != nil || u.Host == "" || u.Hostname() == "" {
			return "", errors.New("key vault URL is not an absolute URL such as https://myvault.vault.azure.net/")
		}
		if u.Scheme != "https" {
			return "", errors.New("key vault URL must use https")
		}
		if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return "", errors.New("key vault URL must have no path, query or user info")
		}
		return "https://" + u.Host + "/", nil
	}
	if name == "" {
		return "", errors.New("no key vault configured: set the vault name or the vault URL")
	}
	return "https://" + strings.ToLower(name) + ".vault.azure.net/", nil
}

// ValidateVaultName reports whether name follows the Key Vault naming rules.
func ValidateVaultName(name string) error {
	if !vaultName.MatchString(name) || strings.Contains(name, "--") {
		return errors.New("key vault name is invalid: use 3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit")
	}
	return nil
}

// ValidateSecretName reports whether name is a valid Key Vault secret name.
func ValidateSecretName(name string) error {
	if len(name) > 127 || !secretName.MatchString(name) {
		return fmt.Errorf("secret name %q is invalid: use 1-127 letters, digits and hyphens", name)
	}
	return nil
}

// isLoopbackURL reports whether the host of rawURL is a loopback address
// (127.0.0.0/8, ::1) or "localhost": only then may the challenge resource
// check be skipped, because a local vault cannot be a *.vault.azure.net host.
func isLoopbackURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
