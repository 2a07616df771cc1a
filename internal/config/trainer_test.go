package config

import (
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

func TestLoadTrainerArtifactory(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr []string
		check   func(*Trainer) bool
	}{
		{"complete", map[string]string{jobspec.EnvArtifactoryHost: "acme.jfrog.io", jobspec.EnvMLRepo: "ml-local", jobspec.EnvKeyVaultName: "kv-frog", jobspec.EnvClientID: "cid", jobspec.EnvUpload: "true"}, nil,
			func(c *Trainer) bool {
				a := c.Artifactory
				return a.BaseURL == "https://acme.jfrog.io" && a.VaultURL == "https://kv-frog.vault.azure.net/" &&
					a.SecretName == "artifactory-access-token-secret" && a.ClientID == "cid" && c.Upload
			}},
		{"url forms", map[string]string{jobspec.EnvArtifactoryHost: "https://127.0.0.1:8443/artifactory/", jobspec.EnvMLRepo: "ml", jobspec.EnvKeyVaultURL: "https://127.0.0.1:9443", jobspec.EnvSecretName: "jfrog-token"}, nil,
			func(c *Trainer) bool {
				a := c.Artifactory
				return a.BaseURL == "https://127.0.0.1:8443" && a.VaultURL == "https://127.0.0.1:9443/" && a.SecretName == "jfrog-token" && !c.Upload
			}},
		{"url wins over name", map[string]string{jobspec.EnvArtifactoryHost: "a.io", jobspec.EnvMLRepo: "ml", jobspec.EnvKeyVaultURL: "https://127.0.0.1:9443", jobspec.EnvKeyVaultName: "-bad"}, nil,
			func(c *Trainer) bool { return c.Artifactory.VaultURL == "https://127.0.0.1:9443/" }},
		{"nothing set", map[string]string{}, []string{jobspec.EnvArtifactoryHost, jobspec.EnvMLRepo, jobspec.EnvKeyVaultName}, nil},
		{"plain http", map[string]string{jobspec.EnvArtifactoryHost: "http://acme.jfrog.io", jobspec.EnvMLRepo: "ml", jobspec.EnvKeyVaultName: "kv-frog"}, []string{"must use https"}, nil},
		{"path in host", map[string]string{jobspec.EnvArtifactoryHost: "acme.jfrog.io/x", jobspec.EnvMLRepo: "ml", jobspec.EnvKeyVaultName: "kv-frog"}, []string{"no path"}, nil},
		{"bad repo and secret", map[string]string{jobspec.EnvArtifactoryHost: "a.io", jobspec.EnvMLRepo: "../x", jobspec.EnvKeyVaultName: "kv-frog", jobspec.EnvSecretName: "bad_name"}, []string{jobspec.EnvMLRepo, jobspec.EnvSecretName}, nil},
		{"bad vault and flag", map[string]string{jobspec.EnvArtifactoryHost: "a.io", jobspec.EnvMLRepo: "ml", jobspec.EnvKeyVaultName: "-x", jobspec.EnvUpload: "maybe"}, []string{jobspec.EnvKeyVaultName, jobspec.EnvUpload}, nil},
		{"vault url with path", map[string]string{jobspec.EnvArtifactoryHost: "a.io", jobspec.EnvMLRepo: "ml", jobspec.EnvKeyVaultURL: "https://kv.example/secrets"}, []string{jobspec.EnvKeyVaultURL, "no path"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := LoadTrainer(env(tc.env))
			err := c.ArtifactoryErr
			if len(tc.wantErr) == 0 {
				if err != nil || !tc.check(c) {
					t.Fatalf("config %+v, err %v", c, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestLoadTrainerDefaults(t *testing.T) {
	c := LoadTrainer(env(nil))
	if c.OutputDir != "./outputs" || c.ModelName != "" || c.ModelVersion != "" || c.Image != "" || c.Upload {
		t.Errorf("defaults: %+v", c)
	}
	if DefaultModelName != "iris-classifier" {
		t.Errorf("DefaultModelName = %q", DefaultModelName)
	}
	c = LoadTrainer(env(map[string]string{jobspec.EnvImageName: "reg/trainer", jobspec.EnvImageTag: "1.2", jobspec.EnvOutputDir: "/out", jobspec.EnvModelName: "m", jobspec.EnvModelVersion: "v3"}))
	if c.Image != "reg/trainer:1.2" || c.OutputDir != "/out" || c.ModelName != "m" || c.ModelVersion != "v3" {
		t.Errorf("from the environment: %+v", c)
	}
	if c := LoadTrainer(env(map[string]string{jobspec.EnvImage: "full:ref", jobspec.EnvImageName: "other"})); c.Image != "full:ref" {
		t.Errorf("TRAINER_IMAGE does not win: %q", c.Image)
	}
}

// TestTrainerSettingsDocumented keeps TrainerSettings and LoadTrainer in
// step: every variable read is listed, every listed one read.
func TestTrainerSettingsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range TrainerSettings {
		if s.Name == "" || s.Description == "" || s.Group != GroupTrainer || seen[s.Name] {
			t.Errorf("bad or duplicate entry %+v", s)
		}
		seen[s.Name] = true
	}
	checkReadsListed(t, TrainerSettings, func(getenv func(string) string) { LoadTrainer(getenv) })
}

func FuzzLoadTrainer(f *testing.F) {
	f.Add("acme.jfrog.io", "ml-local", "kv-frog", "", "true")
	f.Add("https://h/artifactory", "../x", "", "https://127.0.0.1:1", "maybe")
	f.Fuzz(func(t *testing.T, host, repo, vault, vaultURL, upload string) {
		c := LoadTrainer(env(map[string]string{jobspec.EnvArtifactoryHost: host, jobspec.EnvMLRepo: repo,
			jobspec.EnvKeyVaultName: vault, jobspec.EnvKeyVaultURL: vaultURL, jobspec.EnvUpload: upload}))
		if c.ArtifactoryErr != nil {
			return
		}
		a := c.Artifactory
		if !strings.HasPrefix(a.BaseURL, "https://") || !strings.HasPrefix(a.VaultURL, "https://") || a.Repo == "" || a.SecretName == "" {
			t.Fatalf("accepted an incomplete configuration %+v", a)
		}
	})
}

func TestLoadTrainerJFrog(t *testing.T) {
	c := LoadTrainer(env(map[string]string{EnvJFrogURL: "https://acme.jfrog.io/artifactory/x", EnvJFrogToken: "s3cr3t-value"}))
	if c.JFrogErr != nil || c.JFrog.BaseURL != "https://acme.jfrog.io" || c.JFrog.Token.Reveal() != "s3cr3t-value" {
		t.Errorf("JFrog %+v, err %v", c.JFrog, c.JFrogErr)
	}
	for _, bad := range []map[string]string{
		{EnvJFrogURL: "https://acme.jfrog.io"},
		{EnvJFrogURL: "http://acme.jfrog.io", EnvJFrogToken: "s3cr3t-value"},
		{EnvJFrogURL: "::", EnvJFrogToken: "s3cr3t-value"},
	} {
		if c := LoadTrainer(env(bad)); c.JFrogErr == nil || !c.JFrog.Token.IsZero() || strings.Contains(c.JFrogErr.Error(), "s3cr3t") {
			t.Errorf("%v: JFrog %+v, err %v", bad, c.JFrog, c.JFrogErr)
		}
	}
	if c := LoadTrainer(env(map[string]string{EnvJFrogToken: "s3cr3t-value"})); c.JFrogErr != nil || !c.JFrog.Token.IsZero() {
		t.Errorf("a token without JF_URL is used: %+v", c.JFrog)
	}
}
