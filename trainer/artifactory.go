package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// env is what a subcommand runs with: the trainer's configuration and, in
// tests, replacements for the managed identity and the HTTP transport.
type env struct {
	cfg *config.Trainer
	// credential, when set, replaces the managed identity credential.
	credential azcore.TokenCredential
	// transport, when set, replaces the default HTTP client (which trusts
	// the system roots and SSL_CERT_FILE).
	transport policy.Transporter
}

// modelRepo is the ML repository client with credentials from Key Vault.
type modelRepo struct {
	client *jfrog.Client
	source *keyvault.CredentialSource
	repo   string
	// static, when set, is the token to use instead of Key Vault
	// (JF_ACCESS_TOKEN).
	static secret.Token
}

// connectModelRepo builds the Key Vault store and the JFrog client; it
// makes no request. The credential is the managed identity
// (user-assigned when ClientID is set; on AzureML compute azidentity uses
// MSI_ENDPOINT and MSI_SECRET) unless e carries one.
func connectModelRepo(e *env) (*modelRepo, error) {
	a := e.cfg.Artifactory
	co := azcore.ClientOptions{Transport: e.transport}
	cred := e.credential
	if cred == nil {
		var id azidentity.ManagedIDKind
		if a.ClientID != "" {
			id = azidentity.ClientID(a.ClientID)
		}
		mi, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: co, ID: id})
		if err != nil {
			return nil, fmt.Errorf("managed identity (%s=%q): %w", jobspec.EnvClientID, a.ClientID, err)
		}
		cred = mi
	}
	store, err := keyvault.NewStore(a.VaultURL, cred, &keyvault.StoreOptions{ClientOptions: co, SecretName: a.SecretName,
		SettingNames: keyvault.SettingNames{ClientID: jobspec.EnvClientID, Vault: jobspec.EnvKeyVaultURL, SecretName: jobspec.EnvSecretName}})
	if err != nil {
		return nil, fmt.Errorf("key vault (%s/%s): %w", jobspec.EnvKeyVaultName, jobspec.EnvKeyVaultURL, err)
	}
	client, err := jfrog.NewClient(a.BaseURL, &jfrog.ClientOptions{ClientOptions: co,
		SettingNames: jfrog.SettingNames{PlatformURL: jobspec.EnvArtifactoryHost, MLRepo: jobspec.EnvMLRepo}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jobspec.EnvArtifactoryHost, err)
	}
	return &modelRepo{client: client, source: keyvault.NewCredentialSource(store), repo: a.Repo}, nil
}

// do calls fn with the current JFrog token. When JFrog answers 401 it
// re-reads the secret once (the rotation may have replaced the token) and
// calls fn again with a newer version; otherwise the error says which
// secret holds the rejected token.
func (r *modelRepo) do(ctx context.Context, fn func(context.Context, secret.Token) error) error {
	if !r.static.IsZero() {
		if err := fn(ctx, r.static); err != nil {
			if errors.Is(err, upstream.ErrUnauthorized) {
				return fmt.Errorf("%w (the token in %s was refused: give a valid one)", err, config.EnvJFrogToken)
			}
			return err
		}
		return nil
	}
	unauthorized := func(err error) bool { return errors.Is(err, upstream.ErrUnauthorized) }
	return r.source.Do(ctx, unauthorized, func(ctx context.Context, c keyvault.Credentials) error {
		return fn(ctx, c.AccessToken)
	})
}
