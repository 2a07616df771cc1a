package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// Trainer is the trainer's configuration, read from the environment the
// AzureML job sets (the jobspec names) or a shell. Flags override the
// values that have one.
type Trainer struct {
	// ModelName is MODEL_NAME; empty when unset (`trainer train` then uses
	// the handler's MODEL_NAME default, DefaultModelName).
	ModelName string
	// ModelVersion is MODEL_VERSION; empty when unset.
	ModelVersion string
	// OutputDir is AZUREML_SCRIPT_OUTPUT_DIR, default ./outputs.
	OutputDir string
	// Image is TRAINER_IMAGE, else TRAINER_IMAGE_NAME[:TRAINER_IMAGE_TAG];
	// empty outside a container image.
	Image string
	// Upload is UPLOAD_TO_ARTIFACTORY=true.
	Upload bool
	// Artifactory says where model versions are stored.
	Artifactory TrainerArtifactory
	// ArtifactoryErr reports every missing or bad setting of Artifactory
	// (and UPLOAD_TO_ARTIFACTORY), each with its fix; nil when complete.
	// Only the commands that reach Artifactory report it.
	ArtifactoryErr error
	// Distributed is the process's place in a multi-process job
	// (WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT; see distributed.go).
	Distributed Distributed
	// DistributedErr reports a bad launcher variable; nil when they are
	// fine or unset.
	DistributedErr error
	// GOGCSet reports that GOGC is set: the trainer then keeps the Go
	// runtime's garbage collector setting instead of its own.
	GOGCSet bool
	// JFrog is JF_URL and JF_ACCESS_TOKEN, the credentials frogml reads
	// from the environment; zero when JF_URL is unset.
	JFrog TrainerJFrog
	// JFrogErr reports a bad JF_URL or a JF_URL without JF_ACCESS_TOKEN.
	JFrogErr error
}

// Environment variables frogml reads for its credentials: when JF_URL is
// set, frogml uses JF_URL and JF_ACCESS_TOKEN instead of its config file
// [frogml storage authentication/utils/_authentication_utils.py
// __should_use_environment_variables, get_environment_variables;
// constants.py JF_URL, JF_ACCESS_TOKEN].
const (
	EnvJFrogURL   = "JF_URL"
	EnvJFrogToken = "JF_ACCESS_TOKEN"
)

// EnvGOGC is the Go runtime's garbage collector setting.
const EnvGOGC = "GOGC"

// TrainerJFrog is a JFrog platform URL and access token given directly,
// as frogml takes them, instead of through Key Vault.
type TrainerJFrog struct {
	// BaseURL is scheme://host of JF_URL (frogml drops any path:
	// storage/utils/_url_utils.py assemble_artifact_url).
	BaseURL string
	// Token is JF_ACCESS_TOKEN.
	Token secret.Token
}

// TrainerArtifactory is the trainer's Artifactory ML repository and the
// Key Vault secret that holds the JFrog token.
type TrainerArtifactory struct {
	// BaseURL is https://ARTIFACTORY_HOST.
	BaseURL string
	// Repo is the Machine Learning repository (ARTIFACTORY_ML_REPO).
	Repo string
	// VaultURL is the Key Vault holding the JFrog token
	// (AZURE_KEY_VAULT_URL or AZURE_KEY_VAULT_NAME).
	VaultURL string
	// SecretName is ARTIFACTORY_ACCESS_TOKEN_SECRET_NAME.
	SecretName string
	// ClientID selects a user-assigned managed identity (AZURE_CLIENT_ID);
	// empty means the system-assigned one.
	ClientID string
}

// DefaultModelName is the model name used when neither a request, a flag
// nor MODEL_NAME names one.
var DefaultModelName = defaultOf(EnvModelName)

// TrainerSettings lists the environment variables the trainer reads, in
// the order the README documents them.
var TrainerSettings = []Setting{
	{Name: jobspec.EnvArtifactoryHost, Group: GroupTrainer,
		Description: "JFrog host[:port] (https) of the Machine Learning repository."},
	{Name: jobspec.EnvMLRepo, Group: GroupTrainer,
		Description: "Repository key (packageType machinelearning)."},
	{Name: jobspec.EnvKeyVaultName, Group: GroupTrainer,
		Description: "Key Vault holding the JFrog token (https://NAME.vault.azure.net)."},
	{Name: jobspec.EnvKeyVaultURL, Group: GroupTrainer,
		Description: "Full Key Vault URL; wins over AZURE_KEY_VAULT_NAME."},
	{Name: jobspec.EnvSecretName, Default: defaultOf(EnvSecretName), Group: GroupTrainer,
		Description: "Secret holding {\"access_token\",\"username\"}."},
	{Name: jobspec.EnvClientID, Group: GroupTrainer,
		Description: "User-assigned managed identity; empty uses the system-assigned one."},
	{Name: jobspec.EnvUpload, Default: "false", Group: GroupTrainer,
		Description: "Upload a trained model as --upload does."},
	{Name: jobspec.EnvModelName, Group: GroupTrainer,
		Description: "Default of --model-name (train falls back to MODEL_NAME's handler default)."},
	{Name: jobspec.EnvModelVersion, Group: GroupTrainer,
		Description: "Default of --version and --model-version."},
	{Name: jobspec.EnvOutputDir, Default: "./outputs", Group: GroupTrainer,
		Description: "Default of --output-dir."},
	{Name: jobspec.EnvImage, Group: GroupTrainer,
		Description: "Image reference recorded in metadata.json."},
	{Name: jobspec.EnvImageName, Group: GroupTrainer,
		Description: "Image name recorded in metadata.json when TRAINER_IMAGE is unset."},
	{Name: jobspec.EnvImageTag, Group: GroupTrainer,
		Description: "Image tag recorded with TRAINER_IMAGE_NAME."},
	{Name: jobspec.EnvWorldSize, Default: "1", Group: GroupTrainer,
		Description: "Processes in a distributed training job (set by AzureML's PyTorch launcher)."},
	{Name: jobspec.EnvRank, Default: "0", Group: GroupTrainer,
		Description: "This process's rank; rank 0 merges, writes and uploads the model."},
	{Name: jobspec.EnvMasterAddr, Group: GroupTrainer,
		Description: "Rank 0's node; the other ranks send their trees to MASTER_ADDR:MASTER_PORT."},
	{Name: jobspec.EnvMasterPort, Group: GroupTrainer,
		Description: "Port rank 0 listens on for the other ranks' trees."},
	{Name: jobspec.EnvRunID, Group: GroupTrainer,
		Description: "Job run ID (set by AzureML); binds the ranks' key to the job."},
	{Name: EnvJFrogURL, Group: GroupTrainer,
		Description: "JFrog platform URL for trainer model and trainer dataset, as frogml reads it; with JF_ACCESS_TOKEN it replaces Key Vault."},
	{Name: EnvJFrogToken, Group: GroupTrainer,
		Description: "JFrog access token used with JF_URL."},
	{Name: EnvGOGC, Group: GroupTrainer,
		Description: "Go garbage collector target; when unset, train uses 25 and data loading 10, since the data holds no pointers."},
}

// TrainerFromEnv loads the trainer's configuration from the process
// environment.
func TrainerFromEnv() *Trainer { return LoadTrainer(os.Getenv) }

// LoadTrainer builds the trainer's configuration from getenv. It never
// fails: Artifactory problems are kept in ArtifactoryErr.
func LoadTrainer(getenv func(string) string) *Trainer {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	t := &Trainer{
		ModelName:    get(jobspec.EnvModelName),
		ModelVersion: get(jobspec.EnvModelVersion),
		OutputDir:    get(jobspec.EnvOutputDir),
		Image:        get(jobspec.EnvImage),
	}
	if t.OutputDir == "" {
		t.OutputDir = trainerDefault(jobspec.EnvOutputDir)
	}
	t.Distributed, t.DistributedErr = loadDistributed(get)
	if name, tag := get(jobspec.EnvImageName), get(jobspec.EnvImageTag); t.Image == "" && name != "" {
		t.Image = name
		if tag != "" {
			t.Image += ":" + tag
		}
	}

	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	a := &t.Artifactory
	host := get(jobspec.EnvArtifactoryHost)
	switch base, err := artifactoryBaseURL(host); {
	case host == "":
		bad("%s is not set: set it to the JFrog host, such as acme.jfrog.io", jobspec.EnvArtifactoryHost)
	case err != nil:
		bad("%s: %v", jobspec.EnvArtifactoryHost, err)
	default:
		a.BaseURL = base
	}
	a.Repo = get(jobspec.EnvMLRepo)
	if a.Repo == "" {
		bad("%s is not set: set it to the Machine Learning repository key, such as ml-local", jobspec.EnvMLRepo)
	} else if err := jfrog.ValidateRepoKey(a.Repo); err != nil {
		bad("%s: %v", jobspec.EnvMLRepo, err)
	}
	switch name, rawURL := get(jobspec.EnvKeyVaultName), get(jobspec.EnvKeyVaultURL); {
	case rawURL != "":
		if u, err := keyvault.VaultURL("", rawURL); err != nil {
			bad("%s: %v", jobspec.EnvKeyVaultURL, err)
		} else {
			a.VaultURL = u
		}
	case name != "":
		if u, err := keyvault.VaultURL(name, ""); err != nil {
			bad("%s: %v", jobspec.EnvKeyVaultName, err)
		} else {
			a.VaultURL = u
		}
	default:
		bad("%s (or %s) is not set: name the Key Vault that holds the JFrog token", jobspec.EnvKeyVaultName, jobspec.EnvKeyVaultURL)
	}
	a.SecretName = get(jobspec.EnvSecretName)
	if a.SecretName == "" {
		a.SecretName = trainerDefault(jobspec.EnvSecretName)
	} else if err := keyvault.ValidateSecretName(a.SecretName); err != nil {
		bad("%s: %v", jobspec.EnvSecretName, err)
	}
	a.ClientID = get(jobspec.EnvClientID)
	if v := get(jobspec.EnvUpload); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("%s: use true or false", jobspec.EnvUpload)
		}
		t.Upload = b
	}
	if len(problems) > 0 {
		t.ArtifactoryErr = errors.New(strings.Join(problems, "; "))
	}
	t.JFrog, t.JFrogErr = loadJFrog(get)
	t.GOGCSet = get(EnvGOGC) != ""
	return t
}

// loadJFrog reads JF_URL and JF_ACCESS_TOKEN.
func loadJFrog(get func(string) string) (TrainerJFrog, error) {
	raw, token := get(EnvJFrogURL), secret.Token(get(EnvJFrogToken))
	if raw == "" {
		return TrainerJFrog{}, nil
	}
	j := TrainerJFrog{Token: token}
	var problems []string
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		problems = append(problems, fmt.Sprintf("%s is not a URL such as https://acme.jfrog.io", EnvJFrogURL))
	case u.Scheme != "https":
		problems = append(problems, fmt.Sprintf("%s must use https", EnvJFrogURL))
	default:
		j.BaseURL = "https://" + u.Host
	}
	if j.Token.IsZero() {
		problems = append(problems, fmt.Sprintf("%s is set but %s is not: set the JFrog access token, or unset %s to read it from Key Vault", EnvJFrogURL, EnvJFrogToken, EnvJFrogURL))
	}
	if len(problems) > 0 {
		return TrainerJFrog{}, errors.New(strings.Join(problems, "; "))
	}
	return j, nil
}

// artifactoryBaseURL turns ARTIFACTORY_HOST (host[:port], or an https URL
// with no path but /artifactory) into the platform URL https://host[:port].
func artifactoryBaseURL(host string) (string, error) {
	raw := host
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Hostname() == "":
		return "", errors.New("is not a host[:port] such as acme.jfrog.io")
	case u.Scheme != "https":
		return "", errors.New("must use https")
	case strings.Trim(strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/artifactory"), "/") != "" || u.RawQuery != "" || u.User != nil:
		return "", errors.New("must be a host[:port] with no path, query or credentials, such as acme.jfrog.io")
	}
	return "https://" + u.Host, nil
}

// trainerDefault returns the default of the trainer setting name.
func trainerDefault(name string) string {
	for _, s := range TrainerSettings {
		if s.Name == name {
			return s.Default
		}
	}
	return ""
}
