package config

import "github.com/frogbridge/frogbridge/internal/keyvault"

// Setting describes one app setting the handler reads. The README's
// "App settings" table and the terraform function app are checked against
// this list.
type Setting struct {
	// Name is the app setting (environment variable) name.
	Name string
	// Default is the value used when the setting is absent; empty means
	// the setting has no default.
	Default string
	// Description says what the setting holds, in one sentence.
	Description string
	// Group names the functions that need the setting: one of the Group
	// constants.
	Group string
}

// Groups of settings. A function answers 503 while a setting of its group
// is missing or malformed.
const (
	GroupRuntime  = "runtime"
	GroupRotation = "rotation"
	GroupStorage  = "storage"
	GroupJobs     = "jobs"
	// GroupTrainer holds the trainer's settings (TrainerSettings).
	GroupTrainer = "trainer"
)

// Setting names, as the Functions host passes them to the handler.
const (
	EnvPort                  = "FUNCTIONS_CUSTOMHANDLER_PORT"
	EnvLogLevel              = "LOG_LEVEL"
	EnvKeyVaultName          = "KEY_VAULT_NAME"
	EnvKeyVaultURL           = "KEY_VAULT_URL"
	EnvArtifactoryURL        = "ARTIFACTORY_URL"
	EnvOIDCProvider          = "JFROG_OIDC_PROVIDER_NAME"
	EnvAudience              = "AZURE_AD_TOKEN_AUDIENCE"
	EnvSecretName            = "ARTIFACTORY_TOKEN_SECRET_NAME"
	EnvSecretTTL             = "SECRET_TTL"
	EnvUAMIClientID          = "UAMI_CLIENT_ID"
	EnvRotationSchedule      = "ROTATION_SCHEDULE"
	EnvRevokePrevious        = "ROTATION_REVOKE_PREVIOUS"
	EnvLockContainer         = "ROTATION_LOCK_CONTAINER"
	EnvForceMinInterval      = "ROTATION_FORCE_MIN_INTERVAL"
	EnvRotationTargets       = "ROTATION_TARGETS"
	EnvStorageConnection     = "AzureWebJobsStorage"
	EnvStorageBlobServiceURI = "AzureWebJobsStorage__blobServiceUri"
	EnvStorageAccountName    = "AzureWebJobsStorage__accountName"
	EnvStorageClientID       = "AzureWebJobsStorage__clientId"
	EnvSubscriptionID        = "AZURE_SUBSCRIPTION_ID"
	EnvResourceGroup         = "AZURE_RESOURCE_GROUP"
	EnvWorkspace             = "AZUREML_WORKSPACE_NAME"
	EnvCompute               = "AZUREML_COMPUTE_NAME"
	EnvARMEndpoint           = "AZURE_RESOURCE_MANAGER_ENDPOINT"
	EnvArtifactoryHost       = "ARTIFACTORY_HOST"
	EnvDockerRepo            = "ARTIFACTORY_DOCKER_REPO"
	EnvTrainerImage          = "TRAINER_IMAGE_NAME"
	EnvTrainerTag            = "TRAINER_IMAGE_TAG"
	EnvMLRepo                = "ARTIFACTORY_ML_REPO"
	EnvModelName             = "MODEL_NAME"
	EnvExperiment            = "EXPERIMENT_NAME"
	EnvConnectionName        = "AZUREML_CONNECTION_NAME"
	EnvConnectionCategory    = "AZUREML_CONNECTION_CATEGORY"
	EnvComputeClientID       = "AZUREML_COMPUTE_CLIENT_ID"
	EnvDatastoreBlobURL      = "AZUREML_DATASTORE_BLOB_URL"
)

// Settings lists every app setting the handler reads, in the order the
// README documents them. FUNCTIONS_CUSTOMHANDLER_PORT is set by the
// Functions host itself and is not listed.
var Settings = []Setting{
	{Name: EnvLogLevel, Default: "info", Group: GroupRuntime,
		Description: "Log level: trace, debug, info, warn or error."},
	{Name: EnvKeyVaultName, Group: GroupRotation,
		Description: "Key Vault that holds the JFrog token (https://NAME.vault.azure.net). Set this or KEY_VAULT_URL."},
	{Name: EnvKeyVaultURL, Group: GroupRotation,
		Description: "Full Key Vault URL; wins over KEY_VAULT_NAME (other clouds, the local stack)."},
	{Name: EnvArtifactoryURL, Group: GroupRotation,
		Description: "JFrog Platform base URL, e.g. https://mycompany.jfrog.io."},
	{Name: EnvOIDCProvider, Group: GroupRotation,
		Description: "Name of the OIDC integration in JFrog that trusts the function app's Entra ID tokens."},
	{Name: EnvAudience, Group: GroupRotation,
		Description: "Audience (application ID URI or client id) of the Entra ID token exchanged with JFrog."},
	{Name: EnvSecretName, Default: keyvault.DefaultSecretName, Group: GroupRotation,
		Description: "Key Vault secret that holds {\"access_token\",\"username\"}."},
	{Name: EnvSecretTTL, Default: "21600", Group: GroupRotation,
		Description: "Token lifetime in seconds; match the JFrog identity mapping's expires_in. JFrog cannot revoke tokens below its revocable-expiry-threshold (6 h by default) and does not store tokens below its persistency threshold (3 h)."},
	{Name: EnvUAMIClientID, Group: GroupRotation,
		Description: "Client id of a user-assigned managed identity; empty uses the system-assigned identity."},
	{Name: EnvRotationSchedule, Group: GroupRotation,
		Description: "NCRONTAB (6 fields) of the rotation timer; `handler schedule --ttl SECONDS` prints it for a TTL."},
	{Name: EnvRevokePrevious, Default: "false", Group: GroupRotation,
		Description: "Revoke the replaced JFrog token once the new one is stored; JFrog revokes only tokens whose lifetime reaches its revocable-expiry-threshold (6 h by default)."},
	{Name: EnvLockContainer, Default: "frogbridge-locks", Group: GroupRotation,
		Description: "Blob container that holds the cross-instance rotation lease."},
	{Name: EnvForceMinInterval, Default: "60", Group: GroupRotation,
		Description: "Minimum seconds between two forced rotations, across instances; a `?force=true` call within it answers 429 with Retry-After (0 turns the limit off)."},
	{Name: EnvRotationTargets, Group: GroupRotation,
		Description: "More secrets to rotate, a JSON array (see [Rotation targets](#rotation-targets)); the default secret is always rotated in shape json."},
	{Name: EnvStorageAccountName, Group: GroupStorage,
		Description: "Host storage account, identity-based (the function app's identity needs Storage Blob Data Owner)."},
	{Name: EnvStorageBlobServiceURI, Group: GroupStorage,
		Description: "Host storage blob endpoint, identity-based; wins over the account name."},
	{Name: EnvStorageClientID, Group: GroupStorage,
		Description: "Client id of the user-assigned identity used for host storage, if any."},
	{Name: EnvStorageConnection, Group: GroupStorage,
		Description: "Host storage connection string; when set it wins over the identity-based settings, as in Azure Functions."},
	{Name: EnvSubscriptionID, Group: GroupJobs,
		Description: "Subscription of the AzureML workspace."},
	{Name: EnvResourceGroup, Group: GroupJobs,
		Description: "Resource group of the AzureML workspace."},
	{Name: EnvWorkspace, Group: GroupJobs,
		Description: "AzureML workspace name."},
	{Name: EnvCompute, Group: GroupJobs,
		Description: "AzureML compute cluster that runs the jobs."},
	{Name: EnvARMEndpoint, Default: "https://management.azure.com", Group: GroupJobs,
		Description: "Azure Resource Manager endpoint (another cloud, or the local stack)."},
	{Name: EnvArtifactoryHost, Group: GroupJobs,
		Description: "Artifactory host name (no scheme) of the Docker registry and ML repository."},
	{Name: EnvDockerRepo, Group: GroupJobs,
		Description: "Artifactory Docker repository that serves the trainer image."},
	{Name: EnvTrainerImage, Default: "azureml-training", Group: GroupJobs,
		Description: "Trainer image name in the Docker repository."},
	{Name: EnvTrainerTag, Default: "latest", Group: GroupJobs,
		Description: "Trainer image tag used when a request names none."},
	{Name: EnvMLRepo, Group: GroupJobs,
		Description: "Artifactory Machine Learning repository for model versions."},
	{Name: EnvModelName, Default: "iris-classifier", Group: GroupJobs,
		Description: "Model name used when a request names none."},
	{Name: EnvExperiment, Default: "frogbridge", Group: GroupJobs,
		Description: "AzureML experiment name used when a request names none."},
	{Name: EnvConnectionName, Default: "artifactory-registry", Group: GroupJobs,
		Description: "Workspace connection that holds the registry credentials AzureML pulls the image with."},
	{Name: EnvConnectionCategory, Default: "GenericContainerRegistry", Group: GroupJobs,
		Description: "Category of that connection: GenericContainerRegistry (Microsoft: a registry for image builds) or ContainerRegistry (a registry for the images jobs run)."},
	{Name: EnvComputeClientID, Group: GroupJobs,
		Description: "Client id of the compute cluster's user-assigned identity, passed to jobs as AZURE_CLIENT_ID."},
	{Name: EnvDatastoreBlobURL, Group: GroupJobs,
		Description: "Blob service URL of the workspace storage when it is not ACCOUNT.blob.SUFFIX of the configured cloud (a custom domain); job outputs are also read from a datastore with this URL."},
}

// Callers' settings follow the job settings (see auth.go).
func init() { Settings = append(Settings, authSettings...) }
