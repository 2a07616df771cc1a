package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Environment variables for the Artifactory ML repository, named as the
// reference trainer and the AzureML job set them.
const (
	envArtifactoryHost = "ARTIFACTORY_HOST"
	envMLRepo          = "ARTIFACTORY_ML_REPO"
	envKeyVaultName    = "AZURE_KEY_VAULT_NAME"
	envKeyVaultURL     = "AZURE_KEY_VAULT_URL"
	envTokenSecret     = "ARTIFACTORY_ACCESS_TOKEN_SECRET_NAME"
	envClientID        = "AZURE_CLIENT_ID"
	envUpload          = "UPLOAD_TO_ARTIFACTORY"
)

// artifactoryEnv is the trainer's Artifactory configuration.
type artifactoryEnv struct {
	// BaseURL is https://ARTIFACTORY_HOST.
	BaseURL string
	// Repo is the Machine Learning repository (ARTIFACTORY_ML_REPO).
	Repo string
	// VaultURL is the Key Vault holding the JFrog token.
	VaultURL string
	// SecretName is ARTIFACTORY_ACCESS_TOKEN_SECRET_NAME.
	SecretName string
	// ClientID selects a user-assigned managed identity (AZURE_CLIENT_ID);
	// empty means the system-assigned one.
	ClientID string
	// Upload is UPLOAD_TO_ARTIFACTORY=true.
	Upload bool

	// credential, when set, replaces the managed identity credential.
	credential azcore.TokenCredential
	// transport, when set, replaces the default HTTP client (which trusts
	// the system roots and SSL_CERT_FILE).
	transport policy.Transporter
}

// loadArtifactoryEnv reads the configuration from the process environment.
func loadArtifactoryEnv() (artifactoryEnv, error) {
	return artifactoryEnvFrom(os.Getenv)
}

// artifactoryEnvFrom reads the configuration through getenv and reports
// every missing or bad setting together, each with its fix.
func artifactoryEnvFrom(getenv func(string) string) (artifactoryEnv, error) {
	var env artifactoryEnv
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	host := strings.TrimSpace(getenv(envArtifactoryHost))
	switch base, err := artifactoryBaseURL(host); {
	case host == "":
		bad("%s is not set: set it to the JFrog host, such as acme.jfrog.io", envArtifactoryHost)
	case err != nil:
		bad("%s: %v", envArtifactoryHost, err)
	default:
		env.BaseURL = base
	}
	env.Repo = strings.TrimSpace(getenv(envMLRepo))
	if env.Repo == "" {
		bad("%s is not set: set it to the Machine Learning repository key, such as ml-local", envMLRepo)
	} else if err := jfrog.ValidateRepoKey(env.Repo); err != nil {
		bad("%s: %v", envMLRepo, err)
	}
	name, rawURL := getenv(envKeyVaultName), getenv(envKeyVaultURL)
	if strings.TrimSpace(name) == "" && strings.TrimSpace(rawURL) == "" {
		bad("%s (or %s) is not set: name the Key Vault that holds the JFrog token", envKeyVaultName, envKeyVaultURL)
	} else if u, err := keyvault.VaultURL(name, rawURL); err != nil {
		bad("%s/%s: %v", envKeyVaultName, envKeyVaultURL, err)
	} else {
		env.VaultURL = u
	}
	env.SecretName = strings.TrimSpace(getenv(envTokenSecret))
	if env.SecretName == "" {
		env.SecretName = keyvault.DefaultSecretName
	} else if err := keyvault.ValidateSecretName(env.SecretName); err != nil {
		bad("%s: %v", envTokenSecret, err)
	}
	env.ClientID = strings.TrimSpace(getenv(envClientID))
	if v := strings.TrimSpace(getenv(envUpload)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("%s=%q: use true or false", envUpload, v)
		}
		env.Upload = b
	}
	if len(problems) > 0 {
		return env, errors.New(strings.Join(problems, "; "))
	}
	return env, nil
}

// artifactoryBaseURL turns ARTIFACTORY_HOST (host[:port], or an https URL
// with no path) into the platform URL.
func artifactoryBaseURL(host string) (string, error) {
	raw := host
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Hostname() == "":
		return "", fmt.Errorf("%q is not a host[:port] such as acme.jfrog.io", host)
	case u.Scheme != "https":
		return "", fmt.Errorf("%q must use https", host)
	case strings.Trim(strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/artifactory"), "/") != "" || u.RawQuery != "" || u.User != nil:
		return "", fmt.Errorf("%q must be a host[:port] with no path, such as acme.jfrog.io", host)
	}
	return "https://" + u.Host, nil
}

// modelRepo is the ML repository client with credentials from Key Vault.
type modelRepo struct {
	client *jfrog.Client
	source *keyvault.CredentialSource
	repo   string
}

// connectModelRepo builds the Key Vault store and the JFrog client; it
// makes no request. The credential is the managed identity
// (user-assigned when ClientID is set; on AzureML compute azidentity uses
// MSI_ENDPOINT and MSI_SECRET) unless env carries one.
func connectModelRepo(env artifactoryEnv) (*modelRepo, error) {
	co := azcore.ClientOptions{Transport: env.transport}
	cred := env.credential
	if cred == nil {
		var id azidentity.ManagedIDKind
		if env.ClientID != "" {
			id = azidentity.ClientID(env.ClientID)
		}
		mi, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: co, ID: id})
		if err != nil {
			return nil, fmt.Errorf("managed identity (%s=%q): %w", envClientID, env.ClientID, err)
		}
		cred = mi
	}
	store, err := keyvault.NewStore(env.VaultURL, cred, &keyvault.StoreOptions{ClientOptions: co, SecretName: env.SecretName,
		SettingNames: keyvault.SettingNames{ClientID: envClientID, Vault: envKeyVaultURL, SecretName: envTokenSecret}})
	if err != nil {
		return nil, fmt.Errorf("key vault (%s/%s): %w", envKeyVaultName, envKeyVaultURL, err)
	}
	client, err := jfrog.NewClient(env.BaseURL, &jfrog.ClientOptions{ClientOptions: co,
		SettingNames: jfrog.SettingNames{PlatformURL: envArtifactoryHost, MLRepo: envMLRepo}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envArtifactoryHost, err)
	}
	return &modelRepo{client: client, source: keyvault.NewCredentialSource(store), repo: env.Repo}, nil
}

// do calls fn with the current JFrog token. When JFrog answers 401 it
// re-reads the secret once (the rotation may have replaced the token) and
// calls fn again with a newer version; otherwise the error says which
// secret holds the rejected token.
func (r *modelRepo) do(ctx context.Context, fn func(context.Context, secret.Token) error) error {
	unauthorized := func(err error) bool { return errors.Is(err, upstream.ErrUnauthorized) }
	return r.source.Do(ctx, unauthorized, func(ctx context.Context, c keyvault.Credentials) error {
		return fn(ctx, c.AccessToken)
	})
}
