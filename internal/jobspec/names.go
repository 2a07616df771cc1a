package jobspec

// Environment variables the trainer reads, named as the reference trainer
// and the AzureML job set them. The job service sets EnvKeyVaultURL,
// EnvSecretName, EnvArtifactoryHost, EnvMLRepo, EnvModelName and, for a
// user-assigned compute identity, EnvClientID; the rest are for running the
// trainer by hand or in an image.
const (
	// EnvKeyVaultURL is the Key Vault holding the JFrog token; it wins over
	// EnvKeyVaultName.
	EnvKeyVaultURL = "AZURE_KEY_VAULT_URL"
	// EnvKeyVaultName names the vault https://NAME.vault.azure.net.
	EnvKeyVaultName = "AZURE_KEY_VAULT_NAME"
	// EnvSecretName is the secret holding {"access_token","username"}.
	EnvSecretName = "ARTIFACTORY_ACCESS_TOKEN_SECRET_NAME"
	// EnvArtifactoryHost is the JFrog host[:port] (https).
	EnvArtifactoryHost = "ARTIFACTORY_HOST"
	// EnvMLRepo is the Artifactory Machine Learning repository key.
	EnvMLRepo = "ARTIFACTORY_ML_REPO"
	// EnvModelName is the model name.
	EnvModelName = "MODEL_NAME"
	// EnvModelVersion is the model version.
	EnvModelVersion = "MODEL_VERSION"
	// EnvClientID selects a user-assigned managed identity (azidentity's
	// variable).
	EnvClientID = "AZURE_CLIENT_ID"
	// EnvUpload=true uploads a trained model as --upload does.
	EnvUpload = "UPLOAD_TO_ARTIFACTORY"
	// EnvOutputDir is the output folder AzureML gives a script.
	EnvOutputDir = "AZUREML_SCRIPT_OUTPUT_DIR"
	// EnvImage is the full image reference the trainer runs in.
	EnvImage = "TRAINER_IMAGE"
	// EnvImageName and EnvImageTag give the image when EnvImage is unset.
	EnvImageName = "TRAINER_IMAGE_NAME"
	EnvImageTag  = "TRAINER_IMAGE_TAG"
)

// Named outputs of the jobs' commands (AzureML uri_folder outputs).
const (
	// OutputMetadata receives a copy of MetadataFile from `trainer train`.
	OutputMetadata = "metadata"
	// OutputInferenceResults receives InferenceResultsFile from
	// `trainer infer`.
	OutputInferenceResults = "inference_results"
)

// Files the trainer writes.
const (
	ModelFile            = "model.json"
	ONNXFile             = "model.onnx"
	MetricsFile          = "metrics.json"
	MetadataFile         = "metadata.json"
	InferenceResultsFile = "inference_results.json"
)
