package main

import (
	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
)

// The handler's names for the settings the shared clients' fix hints point
// at; the trainer fills the same fields with its own variables.
var (
	vaultSettings = keyvault.SettingNames{
		ClientID: config.EnvUAMIClientID, Vault: config.EnvKeyVaultName + " or " + config.EnvKeyVaultURL, SecretName: config.EnvSecretName,
	}
	jfrogSettings = jfrog.SettingNames{
		PlatformURL: config.EnvArtifactoryURL, OIDCProvider: config.EnvOIDCProvider, Audience: config.EnvAudience, MLRepo: config.EnvMLRepo,
	}
	azuremlSettings = azureml.SettingNames{
		ClientID: config.EnvUAMIClientID, SubscriptionID: config.EnvSubscriptionID, ResourceGroup: config.EnvResourceGroup,
		Workspace: config.EnvWorkspace, Endpoint: config.EnvARMEndpoint, RegistryHost: config.EnvArtifactoryHost,
	}
)
