package config

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/rs/zerolog"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func full() map[string]string {
	return map[string]string{
		EnvPort:               "7071",
		EnvKeyVaultName:       "kv-frog1",
		EnvArtifactoryURL:     "https://acme.jfrog.io/",
		EnvOIDCProvider:       "azure-oidc",
		EnvAudience:           "api://1b0c7c2e-0000-4000-8000-000000000001",
		EnvStorageAccountName: "stfrog",
		EnvSubscriptionID:     "00000000-0000-4000-8000-000000000000",
		EnvResourceGroup:      "rg-ml",
		EnvWorkspace:          "mlw",
		EnvCompute:            "cpu-cluster",
		EnvArtifactoryHost:    "acme.jfrog.io",
		EnvDockerRepo:         "docker-local",
		EnvMLRepo:             "ml-local",
	}
}

func TestLoadComplete(t *testing.T) {
	c := Load(env(full()))
	if p := c.Problems(); len(p) != 0 {
		t.Fatalf("problems = %v, want none", p)
	}
	if c.Port != 7071 {
		t.Errorf("Port = %d", c.Port)
	}
	if got, want := c.Rotation.VaultURL, "https://kv-frog1.vault.azure.net/"; got != want {
		t.Errorf("VaultURL = %q, want %q", got, want)
	}
	if got, want := c.Rotation.ArtifactoryURL, "https://acme.jfrog.io"; got != want {
		t.Errorf("ArtifactoryURL = %q, want %q", got, want)
	}
	if c.Rotation.ForceMinInterval != time.Minute {
		t.Errorf("ForceMinInterval = %v, want the 60 s default", c.Rotation.ForceMinInterval)
	}
	if c.Rotation.TTL != 6*time.Hour || c.Rotation.SecretName != "artifactory-access-token-secret" {
		t.Errorf("defaults not applied: %+v", c.Rotation)
	}
	if c.Jobs.ARMEndpoint != "https://management.azure.com" || c.Jobs.TrainerImage != "azureml-training" || c.Jobs.ConnectionCategory != "GenericContainerRegistry" {
		t.Errorf("job defaults not applied: %+v", c.Jobs)
	}
	if c.LogLevel != zerolog.InfoLevel {
		t.Errorf("LogLevel = %v", c.LogLevel)
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name    string
		set     map[string]string
		setting string
		group   string
		want    string
	}{
		{"port missing", map[string]string{EnvPort: ""}, EnvPort, GroupRuntime, "missing"},
		{"port not a number", map[string]string{EnvPort: "http"}, EnvPort, GroupRuntime, "not a TCP port"},
		{"port too large", map[string]string{EnvPort: "70000"}, EnvPort, GroupRuntime, "not a TCP port"},
		{"vault missing", map[string]string{EnvKeyVaultName: ""}, EnvKeyVaultName, GroupRotation, "missing"},
		{"vault name bad", map[string]string{EnvKeyVaultName: "kv_bad!"}, EnvKeyVaultName, GroupRotation, "key vault name is invalid"},
		{"vault url http", map[string]string{EnvKeyVaultURL: "http://kv.example"}, EnvKeyVaultURL, GroupRotation, "must use https"},
		{"vault url with path", map[string]string{EnvKeyVaultURL: "https://kv.example/x"}, EnvKeyVaultURL, GroupRotation, "no path"},
		{"artifactory http", map[string]string{EnvArtifactoryURL: "http://acme.jfrog.io"}, EnvArtifactoryURL, GroupRotation, "https URL"},
		{"artifactory with credentials", map[string]string{EnvArtifactoryURL: "https://u:p@acme.jfrog.io"}, EnvArtifactoryURL, GroupRotation, "without credentials"},
		{"provider missing", map[string]string{EnvOIDCProvider: ""}, EnvOIDCProvider, GroupRotation, "missing"},
		{"audience missing", map[string]string{EnvAudience: ""}, EnvAudience, GroupRotation, "missing"},
		{"ttl not a number", map[string]string{EnvSecretTTL: "4h"}, EnvSecretTTL, GroupRotation, "whole number"},
		{"ttl too small", map[string]string{EnvSecretTTL: "10"}, EnvSecretTTL, GroupRotation, "between 75"},
		{"uami not a guid", map[string]string{EnvUAMIClientID: "abc"}, EnvUAMIClientID, GroupRotation, "malformed"},
		{"revoke not bool", map[string]string{EnvRevokePrevious: "maybe"}, EnvRevokePrevious, GroupRotation, "true or false"},
		{"force interval negative", map[string]string{EnvForceMinInterval: "-1"}, EnvForceMinInterval, GroupRotation, "between 0 and 86400"},
		{"force interval not a number", map[string]string{EnvForceMinInterval: "1m"}, EnvForceMinInterval, GroupRotation, "whole number"},
		{"storage missing", map[string]string{EnvStorageAccountName: ""}, EnvStorageAccountName, GroupStorage, "missing"},
		{"secret name bad", map[string]string{EnvSecretName: "a/b"}, EnvSecretName, GroupRotation, "malformed"},
		{"log level bad", map[string]string{EnvLogLevel: "loud"}, EnvLogLevel, GroupRuntime, "not one of"},
		{"subscription bad", map[string]string{EnvSubscriptionID: "sub"}, EnvSubscriptionID, GroupJobs, "malformed"},
		{"artifactory host with scheme", map[string]string{EnvArtifactoryHost: "https://acme.jfrog.io"}, EnvArtifactoryHost, GroupJobs, "without scheme"},
		{"arm endpoint http", map[string]string{EnvARMEndpoint: "http://arm"}, EnvARMEndpoint, GroupJobs, "https URL"},
		{"connection category unknown", map[string]string{EnvConnectionCategory: "AzureBlob"}, EnvConnectionCategory, GroupJobs, "not one of GenericContainerRegistry, ContainerRegistry"},
		{"connection category case", map[string]string{EnvConnectionCategory: "containerregistry"}, EnvConnectionCategory, GroupJobs, "not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := full()
			for k, v := range tt.set {
				m[k] = v
			}
			ps := Load(env(m)).Problems()
			if len(ps) != 1 {
				t.Fatalf("problems = %v, want exactly one for %s", ps, tt.setting)
			}
			p := ps[0]
			if p.Setting != tt.setting || p.Group != tt.group || !strings.Contains(p.Message, tt.want) {
				t.Errorf("problem = %+v, want setting %s group %s message containing %q", p, tt.setting, tt.group, tt.want)
			}
		})
	}
}

func TestProblemsByGroup(t *testing.T) {
	c := Load(env(map[string]string{EnvPort: "1"}))
	rot := c.Problems(GroupRotation)
	if len(rot) == 0 {
		t.Fatal("no rotation problems for an empty environment")
	}
	for _, p := range rot {
		if p.Group != GroupRotation {
			t.Errorf("Problems(rotation) returned %+v", p)
		}
	}
	if n := len(c.Problems(GroupRuntime)); n != 0 {
		t.Errorf("runtime problems = %d, want 0", n)
	}
	if len(c.Problems()) <= len(rot) {
		t.Error("Problems() must include every group")
	}
}

func TestVaultURLWins(t *testing.T) {
	m := full()
	m[EnvKeyVaultURL] = "https://127.0.0.1:8443"
	c := Load(env(m))
	if got := c.Rotation.VaultURL; got != "https://127.0.0.1:8443/" {
		t.Errorf("VaultURL = %q", got)
	}
}

func TestARMCloud(t *testing.T) {
	local := cloud.ServiceConfiguration{Endpoint: "https://127.0.0.1:8445", Audience: cloud.AzurePublic.Services[cloud.ResourceManager].Audience}
	tests := []struct {
		endpoint string
		want     cloud.ServiceConfiguration
	}{
		{"https://management.azure.com", cloud.AzurePublic.Services[cloud.ResourceManager]},
		{"https://management.chinacloudapi.cn", cloud.AzureChina.Services[cloud.ResourceManager]},
		{"https://management.usgovcloudapi.net/", cloud.AzureGovernment.Services[cloud.ResourceManager]},
		{"https://127.0.0.1:8445/", local},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			m := full()
			m[EnvARMEndpoint] = tt.endpoint
			c := Load(env(m))
			if rm := c.Jobs.Cloud.Services[cloud.ResourceManager]; rm != tt.want {
				t.Errorf("ARM service = %+v, want %+v", rm, tt.want)
			}
		})
	}
	if rm := Load(env(full())).Jobs.Cloud.Services[cloud.ResourceManager]; rm.Endpoint != cloud.AzurePublic.Services[cloud.ResourceManager].Endpoint {
		t.Errorf("default ARM endpoint gives %+v, want the public cloud", rm)
	}
}

// TestDefaultsFromSettings checks that Load applies every default the
// Settings table gives.
func TestDefaultsFromSettings(t *testing.T) {
	c := Load(env(full()))
	got := map[string]string{
		EnvLogLevel: c.LogLevel.String(), EnvSecretName: c.Rotation.SecretName, EnvSecretTTL: strconv.Itoa(int(c.Rotation.TTL.Seconds())),
		EnvRevokePrevious: strconv.FormatBool(c.Rotation.RevokePrevious), EnvLockContainer: c.Rotation.LockContainer,
		EnvForceMinInterval: strconv.Itoa(int(c.Rotation.ForceMinInterval.Seconds())),
		EnvARMEndpoint:      c.Jobs.ARMEndpoint, EnvTrainerImage: c.Jobs.TrainerImage, EnvTrainerTag: c.Jobs.TrainerTag,
		EnvModelName: c.Jobs.ModelName, EnvExperiment: c.Jobs.Experiment, EnvConnectionName: c.Jobs.ConnectionName,
		EnvConnectionCategory: c.Jobs.ConnectionCategory,
		EnvAuthMode:           c.Auth.Mode, EnvAuthAcceptV1: strconv.FormatBool(c.Auth.AcceptV1), EnvAuthAuthorityHost: c.Auth.AuthorityHost,
		EnvAuthKeySecrets: strings.Join(c.Auth.KeySecrets, ","),
	}
	for _, s := range Settings {
		if s.Default == "" {
			continue
		}
		v, ok := got[s.Name]
		if !ok {
			t.Errorf("%s has default %q: add it to this test", s.Name, s.Default)
		} else if v != s.Default {
			t.Errorf("%s = %q, want the table's default %q", s.Name, v, s.Default)
		}
	}
}

func TestSettingsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if s.Name == "" || s.Description == "" || s.Group == "" {
			t.Errorf("incomplete setting %+v", s)
		}
		if seen[s.Name] {
			t.Errorf("duplicate setting %s", s.Name)
		}
		seen[s.Name] = true
	}
	// Every setting the loader reads, but the host-provided port, is listed.
	checkReadsListed(t, Settings, func(getenv func(string) string) { Load(getenv) }, EnvPort)
}

// checkReadsListed fails unless load reads exactly the names in list (and
// the unlisted ones given).
func checkReadsListed(t *testing.T, list []Setting, load func(getenv func(string) string), unlisted ...string) {
	t.Helper()
	listed := map[string]bool{}
	for _, s := range list {
		listed[s.Name] = true
	}
	read := map[string]bool{}
	load(func(k string) string { read[k] = true; return "" })
	for k := range read {
		if !listed[k] && !contains(unlisted, k) {
			t.Errorf("the loader reads %s, which the settings table does not list", k)
		}
	}
	for k := range listed {
		if !read[k] {
			t.Errorf("the settings table lists %s, which the loader never reads", k)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("7071", "kv-frog1", "https://acme.jfrog.io", "14400", "true")
	f.Add("", "", "", "", "")
	f.Add("-1", "a--b", "https://x/?q", "1e9", "yes")
	f.Fuzz(func(t *testing.T, port, vault, url, ttl, revoke string) {
		m := full()
		m[EnvPort], m[EnvKeyVaultName], m[EnvArtifactoryURL], m[EnvSecretTTL], m[EnvRevokePrevious] = port, vault, url, ttl, revoke
		c := Load(env(m))
		for _, p := range c.Problems() {
			if p.Setting == "" || p.Message == "" {
				t.Fatalf("empty problem %+v", p)
			}
		}
		if c.Rotation.ArtifactoryURL != "" && !strings.HasPrefix(c.Rotation.ArtifactoryURL, "https://") {
			t.Fatalf("accepted non-https URL %q", c.Rotation.ArtifactoryURL)
		}
	})
}

// TestProblemsNeverRepeatValues: a malformed setting may carry a password
// or a SAS signature; its problem names the setting and what is wrong,
// never the value (problems reach the anonymous health endpoint and the
// start-up log).
func TestProblemsNeverRepeatValues(t *testing.T) {
	const marker = "s3cr3tMARKER"
	bad := []string{
		"https://user:" + marker + "@acme.jfrog.io/",
		"https://acme.jfrog.io/?sv=2022&sig=" + marker,
		"https://acme.jfrog.io/#" + marker,
		"http://" + marker + ".example",
		marker + " not valid",
		"acme.jfrog.io:" + marker,
		":" + marker,
	}
	names := []string{EnvPort}
	for _, s := range Settings {
		names = append(names, s.Name)
	}
	reported := 0
	for _, name := range names {
		for _, v := range bad {
			m := full()
			m[name] = v
			for _, p := range Load(env(m)).Problems() {
				reported++
				if strings.Contains(p.String(), marker) {
					t.Errorf("%s=%q: problem repeats the value: %s", name, v, p)
				}
			}
		}
	}
	if reported < len(names) {
		t.Fatalf("only %d problems for %d settings with malformed values", reported, len(names))
	}
}

func TestConnectionCategory(t *testing.T) {
	m := full()
	m[EnvConnectionCategory] = "ContainerRegistry"
	c := Load(env(m))
	if p := c.Problems(); len(p) != 0 || c.Jobs.ConnectionCategory != "ContainerRegistry" {
		t.Fatalf("category %q, problems %v", c.Jobs.ConnectionCategory, p)
	}
}
