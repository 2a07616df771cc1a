package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// childInferArgs, when set in the environment, makes the test binary run
// `trainer infer` with these JSON-encoded arguments instead of the tests: the
// production configuration path (environment, SSL_CERT_FILE, managed
// identity) then runs in a fresh process, as on AzureML compute.
const childInferArgs = "FROGBRIDGE_TEST_CHILD_INFER_ARGS"

// childArgs makes the test binary run the trainer's run with these
// JSON-encoded arguments (any command).
const childArgs = "FROGBRIDGE_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childArgs); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			os.Exit(99)
		}
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
	}
	if raw := os.Getenv(childInferArgs); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			os.Exit(99)
		}
		os.Exit(run(context.Background(), append([]string{"infer"}, args...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// staticCredential hands out one pre-issued token.
type staticCredential struct{ token string }

func (c staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// runChild runs `trainer infer args` in a child process with env added to
// a clean environment.
func runChild(t *testing.T, args []string, env map[string]string) (int, string, string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), childInferArgs + "=" + string(raw)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// TestInferProcessWithManagedIdentity runs `trainer infer` as on AzureML
// compute: settings from the environment, the user-assigned compute
// identity through MSI_ENDPOINT/MSI_SECRET (local Entra ID), the JFrog token
// from the local Key Vault, TLS trust from SSL_CERT_FILE.
func TestInferProcessWithManagedIdentity(t *testing.T) {
	cfg := entra.DefaultConfig()
	compute := entra.Identity{Name: "trainer-compute", ClientID: entra.NewUUID(), ObjectID: entra.NewUUID(), Host: entra.HostAzureML, Kind: entra.UserAssigned}
	cfg.Identities = append(cfg.Identities, compute)
	tenant, err := entra.New(entra.Options{DataDir: t.TempDir(), BaseURL: "https://127.0.0.1:1", Initial: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	mi := httptest.NewServer(tenant.IdentityHandler())
	t.Cleanup(mi.Close)
	kvToken, _, err := tenant.Issue(compute, "https://vault.azure.net")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestStackWith(t, tenant, tenant.Authority(), compute.ObjectID, staticCredential{kvToken})
	s.rotate(t)

	dir := t.TempDir()
	out := filepath.Join(dir, "outputs")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--version", "v7", "--n-estimators", "10"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if _, err := uploadArtifacts(context.Background(), s.env, out, "iris-classifier", "v7", io.Discard); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.jfSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		jobspec.EnvArtifactoryHost: strings.TrimPrefix(s.jfSrv.URL, "https://"),
		jobspec.EnvMLRepo:          testMLRepo,
		jobspec.EnvKeyVaultURL:     strings.TrimSuffix(s.env.cfg.Artifactory.VaultURL, "/"),
		jobspec.EnvClientID:        compute.ClientID,
		"MSI_ENDPOINT":             mi.URL + "/MSI/auth",
		"MSI_SECRET":               tenant.MSISecret(),
		"SSL_CERT_FILE":            caFile,
	}
	results := filepath.Join(dir, "results")
	args := []string{"--model-name", "iris-classifier", "--model-version", "latest", "--inference-results-dir", results}

	t.Run("infers with the compute identity", func(t *testing.T) {
		code, stdout, stderr := runChild(t, args, env)
		if code != exitOK || !strings.Contains(stdout, "iris-classifier v7") {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		var got jobspec.InferenceResults
		readJSON(t, filepath.Join(results, jobspec.InferenceResultsFile), &got)
		want := localPredictions(t, filepath.Join(out, jobspec.ModelFile))
		if got.TestSamples != 30 || len(got.Predictions) != len(want) {
			t.Fatalf("results %+v", got)
		}
		for i := range want {
			if got.Predictions[i] != want[i] {
				t.Fatalf("prediction %d = %d, local model says %d", i, got.Predictions[i], want[i])
			}
		}
	})
	t.Run("missing settings exit 2", func(t *testing.T) {
		partial := map[string]string{"SSL_CERT_FILE": caFile}
		code, _, stderr := runChild(t, args, partial)
		if code != exitUsage || !strings.Contains(stderr, jobspec.EnvArtifactoryHost) || !strings.Contains(stderr, jobspec.EnvKeyVaultName) {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
	})
	t.Run("identity without the role fails naming the vault", func(t *testing.T) {
		other := make(map[string]string, len(env))
		for k, v := range env {
			other[k] = v
		}
		other[jobspec.EnvClientID] = "00000000-0000-0000-0000-000000000000"
		code, _, stderr := runChild(t, args, other)
		if code != exitFailure || !strings.Contains(stderr, "trainer infer:") || !strings.Contains(stderr, s.env.cfg.Artifactory.VaultURL) {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
	})
}
