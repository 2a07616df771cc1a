// Package config turns the handler's app settings (environment variables)
// into a typed, validated Config, and the trainer's environment into a
// Trainer (LoadTrainer). It is the only package that reads the
// environment. Settings are read once at start; every missing or malformed
// setting is reported by name, grouped by the functions that need it, so
// the handler can start anyway and answer 503 from the functions that
// cannot run. Each default is written once, in the Settings and
// TrainerSettings tables.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// Config is the handler's configuration.
type Config struct {
	// Port is FUNCTIONS_CUSTOMHANDLER_PORT, the loopback port to listen on.
	Port int
	// LogLevel is LOG_LEVEL.
	LogLevel zerolog.Level
	// Rotation holds the token-rotation settings.
	Rotation Rotation
	// Storage holds the host storage settings used for the rotation lease.
	Storage Storage
	// Jobs holds the AzureML job settings.
	Jobs Jobs
	// Auth holds how HTTP callers authenticate.
	Auth Auth

	problems []Problem
}

// Rotation holds the settings of the JFrog token rotation.
type Rotation struct {
	VaultURL       string        // from KEY_VAULT_URL or KEY_VAULT_NAME
	ArtifactoryURL string        // ARTIFACTORY_URL without a trailing slash
	ProviderName   string        // JFROG_OIDC_PROVIDER_NAME
	Audience       string        // AZURE_AD_TOKEN_AUDIENCE
	SecretName     string        // ARTIFACTORY_TOKEN_SECRET_NAME
	TTL            time.Duration // SECRET_TTL
	UAMIClientID   string        // UAMI_CLIENT_ID
	Schedule       string        // ROTATION_SCHEDULE
	RevokePrevious bool          // ROTATION_REVOKE_PREVIOUS
	LockContainer  string        // ROTATION_LOCK_CONTAINER
	// ForceMinInterval is ROTATION_FORCE_MIN_INTERVAL; 0 means no limit.
	ForceMinInterval time.Duration
	// Targets is ROTATION_TARGETS; nil when the setting is absent (only
	// the default secret is rotated).
	Targets []Target
}

// Storage holds the host storage settings. Exactly one way to reach it is
// used: BlobServiceURL, then AccountName (both through managed identity),
// then ConnectionString.
type Storage struct {
	BlobServiceURL   string
	AccountName      string
	ClientID         string
	ConnectionString string
}

// Jobs holds the AzureML settings.
type Jobs struct {
	SubscriptionID  string
	ResourceGroup   string
	Workspace       string
	Compute         string
	ARMEndpoint     string
	ArtifactoryHost string
	DockerRepo      string
	TrainerImage    string
	TrainerTag      string
	MLRepo          string
	ModelName       string
	Experiment      string
	ConnectionName  string
	// ConnectionCategory is the registry connection's category,
	// GenericContainerRegistry or ContainerRegistry.
	ConnectionCategory string
	ComputeClientID    string
	// DatastoreBlobURL is AZUREML_DATASTORE_BLOB_URL, a blob service URL
	// outputs may be read from besides the cloud's storage accounts.
	DatastoreBlobURL string
	// Cloud is the cloud configuration for ARMEndpoint (see armCloud):
	// pass it as arm.ClientOptions.Cloud.
	Cloud cloud.Configuration
}

// Problem is one missing or malformed setting.
type Problem struct {
	Setting string `json:"setting"`
	Group   string `json:"group"`
	Message string `json:"message"`
}

// String returns "SETTING: message".
func (p Problem) String() string { return p.Setting + ": " + p.Message }

// FromEnv loads the configuration from the process environment.
func FromEnv() *Config { return Load(os.Getenv) }

// Load builds a Config from getenv. It never fails: problems are kept in
// the Config and reported by Problems.
func Load(getenv func(string) string) *Config {
	l := loader{getenv: getenv}
	c := &Config{}

	if v := l.get(EnvPort); v == "" {
		l.add(EnvPort, GroupRuntime, "missing: the Functions host sets it; run the handler under the host (or `devstack host`)")
	} else if p, err := strconv.Atoi(v); err != nil || p < 1 || p > 65535 {
		l.add(EnvPort, GroupRuntime, "is not a TCP port (1-65535)")
	} else {
		c.Port = p
	}
	c.LogLevel = zerolog.InfoLevel
	if v := l.get(EnvLogLevel); v != "" {
		lvl, err := zerolog.ParseLevel(strings.ToLower(v))
		if err != nil || lvl == zerolog.NoLevel {
			l.add(EnvLogLevel, GroupRuntime, "is not one of trace, debug, info, warn, error")
		} else {
			c.LogLevel = lvl
		}
	}

	r := &c.Rotation
	r.VaultURL = l.vaultURL()
	r.ArtifactoryURL = l.httpsURL(EnvArtifactoryURL, GroupRotation, true)
	r.ProviderName = l.pattern(EnvOIDCProvider, GroupRotation, namePattern, true, "")
	r.Audience = l.required(EnvAudience, GroupRotation)
	r.SecretName = l.pattern(EnvSecretName, GroupRotation, secretNamePattern, false, defaultOf(EnvSecretName))
	r.TTL = l.ttl()
	r.UAMIClientID = l.pattern(EnvUAMIClientID, GroupRotation, guidPattern, false, "")
	r.Schedule = l.get(EnvRotationSchedule)
	r.RevokePrevious = l.boolean(EnvRevokePrevious, GroupRotation)
	r.LockContainer = l.pattern(EnvLockContainer, GroupRotation, containerPattern, false, defaultOf(EnvLockContainer))
	r.ForceMinInterval = l.seconds(EnvForceMinInterval, GroupRotation, 0, 86400)
	l.targets(r)

	s := &c.Storage
	s.BlobServiceURL = l.httpsURL(EnvStorageBlobServiceURI, GroupStorage, false)
	s.AccountName = l.pattern(EnvStorageAccountName, GroupStorage, accountPattern, false, "")
	s.ClientID = l.pattern(EnvStorageClientID, GroupStorage, guidPattern, false, "")
	s.ConnectionString = l.get(EnvStorageConnection)
	if s.BlobServiceURL == "" && s.AccountName == "" && s.ConnectionString == "" && !l.has(EnvStorageBlobServiceURI) && !l.has(EnvStorageAccountName) {
		l.add(EnvStorageAccountName, GroupStorage, "missing: set AzureWebJobsStorage__accountName (or __blobServiceUri, or the AzureWebJobsStorage connection string)")
	}

	j := &c.Jobs
	j.SubscriptionID = l.pattern(EnvSubscriptionID, GroupJobs, guidPattern, true, "")
	j.ResourceGroup = l.pattern(EnvResourceGroup, GroupJobs, resourceGroupPattern, true, "")
	j.Workspace = l.pattern(EnvWorkspace, GroupJobs, namePattern, true, "")
	j.Compute = l.pattern(EnvCompute, GroupJobs, namePattern, true, "")
	j.ARMEndpoint = l.httpsURL(EnvARMEndpoint, GroupJobs, false)
	if j.ARMEndpoint == "" && !l.has(EnvARMEndpoint) {
		j.ARMEndpoint = defaultOf(EnvARMEndpoint)
	}
	j.Cloud = armCloud(j.ARMEndpoint)
	j.ArtifactoryHost = l.host(EnvArtifactoryHost, GroupJobs)
	j.DockerRepo = l.pattern(EnvDockerRepo, GroupJobs, namePattern, true, "")
	j.TrainerImage = l.pattern(EnvTrainerImage, GroupJobs, imagePattern, false, defaultOf(EnvTrainerImage))
	j.TrainerTag = l.pattern(EnvTrainerTag, GroupJobs, tagPattern, false, defaultOf(EnvTrainerTag))
	j.MLRepo = l.pattern(EnvMLRepo, GroupJobs, namePattern, true, "")
	j.ModelName = l.pattern(EnvModelName, GroupJobs, namePattern, false, defaultOf(EnvModelName))
	j.Experiment = l.pattern(EnvExperiment, GroupJobs, namePattern, false, defaultOf(EnvExperiment))
	j.ConnectionName = l.pattern(EnvConnectionName, GroupJobs, namePattern, false, defaultOf(EnvConnectionName))
	j.ConnectionCategory = l.oneOf(EnvConnectionCategory, GroupJobs, defaultOf(EnvConnectionCategory), "GenericContainerRegistry", "ContainerRegistry")
	j.ComputeClientID = l.pattern(EnvComputeClientID, GroupJobs, guidPattern, false, "")
	j.DatastoreBlobURL = l.httpsURL(EnvDatastoreBlobURL, GroupJobs, false)

	c.Auth = l.auth()

	c.problems = l.problems
	return c
}

// Problems returns the problems of the given groups (all groups when none
// is given), sorted by setting name.
func (c *Config) Problems(groups ...string) []Problem {
	var out []Problem
	for _, p := range c.problems {
		if len(groups) == 0 || contains(groups, p.Group) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Setting < out[j].Setting })
	return out
}

// defaultOf returns the default of the handler setting name, from Settings.
func defaultOf(name string) string {
	s, _ := Lookup(name)
	return s.Default
}

// armCloud returns the cloud configuration for an ARM endpoint: the
// well-known cloud (public, China, US Government) whose ARM endpoint it is,
// or else the public cloud with its ARM endpoint replaced and the public
// ARM audience kept, which is what the local stack's AzureML accepts.
func armCloud(endpoint string) cloud.Configuration {
	e := strings.TrimRight(endpoint, "/")
	for _, c := range []cloud.Configuration{cloud.AzurePublic, cloud.AzureChina, cloud.AzureGovernment} {
		if strings.EqualFold(strings.TrimRight(c.Services[cloud.ResourceManager].Endpoint, "/"), e) {
			return c
		}
	}
	c := cloud.AzurePublic
	c.Services = map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {
		Endpoint: e,
		Audience: cloud.AzurePublic.Services[cloud.ResourceManager].Audience,
	}}
	return c
}

// Lookup returns the Setting named name.
func Lookup(name string) (Setting, bool) {
	for _, s := range Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	namePattern          = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	secretNamePattern    = lazyregexp.New(`^[0-9A-Za-z-]+$`)
	guidPattern          = lazyregexp.New(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	containerPattern     = lazyregexp.New(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,}$`)
	accountPattern       = lazyregexp.New(`^[a-z0-9]{3,24}$`)
	resourceGroupPattern = lazyregexp.New(`^[-\w._()]+$`)
	imagePattern         = lazyregexp.New(`^[a-z0-9]+(?:[._/-][a-z0-9]+)*$`)
	tagPattern           = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// maxLen holds the length limits checked beside the patterns (counted
// repetitions would make the patterns slow to compile).
var maxLen = map[*lazyregexp.Regexp]int{
	namePattern: 255, secretNamePattern: 127, guidPattern: 36,
	containerPattern: 63, accountPattern: 24, resourceGroupPattern: 90, imagePattern: 255, tagPattern: 128,
}

type loader struct {
	getenv   func(string) string
	problems []Problem
}

func (l *loader) get(name string) string { return strings.TrimSpace(l.getenv(name)) }
func (l *loader) has(name string) bool   { return l.get(name) != "" }

func (l *loader) add(name, group, msg string) {
	l.problems = append(l.problems, Problem{Setting: name, Group: group, Message: msg})
}

func (l *loader) required(name, group string) string {
	v := l.get(name)
	if v == "" {
		l.add(name, group, "missing")
	}
	return v
}

func (l *loader) pattern(name, group string, re *lazyregexp.Regexp, required bool, def string) string {
	v := l.get(name)
	if v == "" {
		if required {
			l.add(name, group, "missing")
		}
		return def
	}
	if max, ok := maxLen[re]; (ok && len(v) > max) || !re.MatchString(v) {
		l.add(name, group, fmt.Sprintf("is malformed (%d characters): must match %s and be at most %d characters", len(v), re.String(), maxLen[re]))
		return ""
	}
	return v
}

// oneOf returns the setting when it is one of allowed (exactly, as AzureML
// spells the values), def when it is unset, and "" with a problem otherwise.
func (l *loader) oneOf(name, group, def string, allowed ...string) string {
	v := l.get(name)
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		l.add(name, group, "is not one of "+strings.Join(allowed, ", "))
		return ""
	}
	return v
}

func (l *loader) boolean(name, group string) bool {
	v := l.get(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.add(name, group, "is not true or false")
	}
	return b
}

// httpsURL validates an absolute https URL and returns it without a
// trailing slash.
func (l *loader) httpsURL(name, group string, required bool) string {
	v := l.get(name)
	if v == "" {
		if required {
			l.add(name, group, "missing")
		}
		return ""
	}
	u, err := url.Parse(v)
	if why := urlProblem(u, err); why != "" {
		l.add(name, group, why+": it must be an https URL without credentials, query or fragment")
		return ""
	}
	return strings.TrimRight(u.String(), "/")
}

// urlProblem says what is wrong with a parsed URL setting, without
// repeating any part of its value (it may carry a password or a SAS
// signature); "" when it is an absolute https URL without credentials,
// query or fragment.
func urlProblem(u *url.URL, err error) string {
	switch {
	case err != nil:
		return "is not a URL"
	case u.User != nil:
		return "contains credentials (user:password@): remove them, the handler authenticates with its managed identity"
	case u.RawQuery != "":
		return "has a query string (such as a SAS token): remove it"
	case u.Fragment != "":
		return "has a fragment (#...): remove it"
	case u.Scheme != "https":
		return "does not use https"
	case u.Host == "":
		return "has no host"
	}
	return ""
}

func (l *loader) host(name, group string) string {
	v := l.get(name)
	if v == "" {
		l.add(name, group, "missing")
		return ""
	}
	if strings.Contains(v, "://") || strings.ContainsAny(v, "/?#@ ") {
		l.add(name, group, "must be a host name (optionally :port) without scheme, path, query or credentials")
		return ""
	}
	h := v
	if host, port, err := net.SplitHostPort(v); err == nil {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			l.add(name, group, "has a port outside 1-65535")
			return ""
		}
		h = host
	}
	if h == "" {
		l.add(name, group, "has no host name before the port")
		return ""
	}
	return v
}

// vaultURL is KEY_VAULT_URL when set, else the vault KEY_VAULT_NAME, by
// keyvault.VaultURL's rules.
func (l *loader) vaultURL() string {
	if v := l.get(EnvKeyVaultURL); v != "" {
		u, err := keyvault.VaultURL("", v)
		if err != nil {
			l.add(EnvKeyVaultURL, GroupRotation, err.Error())
		}
		return u
	}
	name := l.get(EnvKeyVaultName)
	if name == "" {
		l.add(EnvKeyVaultName, GroupRotation, "missing: set KEY_VAULT_NAME (or KEY_VAULT_URL)")
		return ""
	}
	u, err := keyvault.VaultURL(name, "")
	if err != nil {
		l.add(EnvKeyVaultName, GroupRotation, err.Error())
	}
	return u
}

func (l *loader) ttl() time.Duration {
	v := l.get(EnvSecretTTL)
	if v == "" {
		v = defaultOf(EnvSecretTTL)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 75 || n > 365*86400 {
		l.add(EnvSecretTTL, GroupRotation, "is not a whole number of seconds between 75 and 31536000")
		return 0
	}
	return time.Duration(n) * time.Second
}

// seconds reads a whole number of seconds between min and max; the
// setting's default when it is absent or malformed.
func (l *loader) seconds(name, group string, min, max int64) time.Duration {
	def, _ := strconv.ParseInt(defaultOf(name), 10, 64)
	v := l.get(name)
	if v == "" {
		return time.Duration(def) * time.Second
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		l.add(name, group, fmt.Sprintf("is not a whole number of seconds between %d and %d", min, max))
		return time.Duration(def) * time.Second
	}
	return time.Duration(n) * time.Second
}
