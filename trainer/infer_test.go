package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	devjfrog "github.com/frogbridge/frogbridge/internal/devstack/localjfrog"
	devkv "github.com/frogbridge/frogbridge/internal/devstack/localvault"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const (
	testMLRepo    = "ml-local"
	testKVToken   = "local-vault-access-token"
	testTrainerID = "trainer-object-id"
)

// fakeCredential is the trainer's managed identity: it hands out a fixed
// Key Vault token.
type fakeCredential struct{ calls atomic.Int64 }

func (c *fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	return azcore.AccessToken{Token: testKVToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fakeVerifier accepts only testKVToken, as the trainer's identity.
type fakeVerifier struct{}

func (fakeVerifier) VerifyAccessToken(raw string, _ ...string) (entra.Claims, error) {
	if raw != testKVToken {
		return entra.Claims{}, errors.New("unknown token")
	}
	return entra.Claims{ObjectID: testTrainerID, AppID: "trainer", ExpiresAt: time.Now().Add(time.Hour)}, nil
}

// testStack is the local JFrog Platform and Key Vault over TLS, with the
// trainer's configuration pointing at them.
type testStack struct {
	jf      *devjfrog.Server
	jfSrv   *httptest.Server
	dataDir string
	store   *keyvault.Store
	env     *env
}

func newTestStack(t *testing.T) *testStack {
	t.Helper()
	return newTestStackWith(t, fakeVerifier{}, "https://login.local.test/tenant", testTrainerID, &fakeCredential{})
}

// newTestStackWith starts the stack with a Key Vault that verifies tokens
// with verifier, grants Secrets Officer to objectID, and is written to with
// cred.
func newTestStackWith(t *testing.T, verifier devkv.TokenVerifier, authority, objectID string, cred azcore.TokenCredential) *testStack {
	t.Helper()
	s := &testStack{dataDir: t.TempDir()}
	var jfHandler atomic.Pointer[http.Handler]
	s.jfSrv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*jfHandler.Load()).ServeHTTP(w, r)
	}))
	s.jfSrv.StartTLS()
	t.Cleanup(s.jfSrv.Close)
	jf, err := devjfrog.New(devjfrog.Options{DataDir: s.dataDir, BaseURL: s.jfSrv.URL, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h := jf.Handler()
	jfHandler.Store(&h)
	s.jf = jf
	s.adminDo(t, http.MethodPut, "/artifactory/api/repositories/"+testMLRepo, "application/json", `{"rclass":"local","packageType":"machinelearning"}`)

	var kvHandler atomic.Pointer[http.Handler]
	kvSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*kvHandler.Load()).ServeHTTP(w, r)
	}))
	kvSrv.StartTLS()
	t.Cleanup(kvSrv.Close)
	vault, err := devkv.New(devkv.Options{
		DataDir: filepath.Join(t.TempDir(), "kv"), VaultURL: kvSrv.URL, Authority: authority,
		Verifier: verifier, Logger: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.AssignRole(objectID, devkv.RoleSecretsOfficer); err != nil {
		t.Fatal(err)
	}
	kh := vault.Handler()
	kvHandler.Store(&kh)

	host := strings.TrimPrefix(s.jfSrv.URL, "https://")
	cfg := config.LoadTrainer(func(k string) string {
		return map[string]string{jobspec.EnvArtifactoryHost: host, jobspec.EnvMLRepo: testMLRepo, jobspec.EnvKeyVaultURL: kvSrv.URL}[k]
	})
	if cfg.ArtifactoryErr != nil {
		t.Fatal(cfg.ArtifactoryErr)
	}
	// httptest servers share one certificate, so either client trusts both.
	s.env = &env{cfg: cfg, credential: cred, transport: s.jfSrv.Client()}
	s.store, err = keyvault.NewStore(cfg.Artifactory.VaultURL, s.env.credential, &keyvault.StoreOptions{
		ClientOptions: azcore.ClientOptions{Transport: s.env.transport}, SecretName: cfg.Artifactory.SecretName,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// adminDo sends an admin request to the JFrog server and returns the body.
func (s *testStack) adminDo(t *testing.T, method, path, contentType, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, s.jfSrv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.jf.AdminToken())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.jfSrv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

// issueToken creates a JFrog access token for user "trainer" and returns
// it with its id.
func (s *testStack) issueToken(t *testing.T) (secret.Token, string) {
	t.Helper()
	// 6 h: JFrog revokes no token with a shorter lifetime (revocable-expiry-threshold).
	form := url.Values{"username": {"trainer"}, "scope": {"applied-permissions/admin"}, "expires_in": {"21600"}}
	var out struct {
		TokenID     string `json:"token_id"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(s.adminDo(t, http.MethodPost, "/access/api/v1/tokens", "application/x-www-form-urlencoded", form.Encode()), &out); err != nil {
		t.Fatal(err)
	}
	return secret.Token(out.AccessToken), out.TokenID
}

func (s *testStack) revoke(t *testing.T, id string) {
	t.Helper()
	s.adminDo(t, http.MethodDelete, "/access/api/v1/tokens/"+id, "", "")
}

// rotate stores a new token version in Key Vault, as the rotation does.
func (s *testStack) rotate(t *testing.T) (secret.Token, string) {
	t.Helper()
	tok, id := s.issueToken(t)
	if _, err := s.store.Put(context.Background(), keyvault.NewVersion{AccessToken: tok, Username: "trainer", TokenID: id}); err != nil {
		t.Fatal(err)
	}
	return tok, id
}

func TestPropertyValue(t *testing.T) {
	cases := map[string]string{
		"0.9666666666666667":             "0.9666666666666667",
		"2026-11-28T09:12:45Z":           "2026-11-28T09-12-45Z",
		"registry.example/trainer:1.2.3": "registry.example/trainer-1.2.3",
		"(devel)":                        "-devel-",
		"go1.26..0.":                     "go1.26.0",
		"a/./b//c./":                     "a/b/c",
		strings.Repeat("f", 64):          "", // over frogml's 60 characters
		"":                               "",
		"...":                            "",
	}
	for in, want := range cases {
		if got := propertyValue(in); got != want {
			t.Errorf("propertyValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInferUsageErrors(t *testing.T) {
	good := config.TrainerArtifactory{BaseURL: "https://a.io", Repo: "ml", VaultURL: "https://kv-frog.vault.azure.net/", SecretName: "s"}
	cases := []struct {
		name   string
		args   []string
		envErr error
		want   string
	}{
		{"no model name", []string{"--model-version", "1"}, nil, "--model-name"},
		{"traversal name", []string{"--model-name", "../etc", "--model-version", "1"}, nil, "--model-name"},
		{"bad version", []string{"--model-name", "m", "--model-version", "a/b"}, nil, "--model-version"},
		{"no version", []string{"--model-name", "m"}, nil, "--model-version"},
		{"bad test size", []string{"--model-name", "m", "--model-version", "1", "--test-size", "2"}, nil, "--test-size"},
		{"config", []string{"--model-name", "m", "--model-version", "latest"}, errors.New("ARTIFACTORY_HOST is not set: set it"), "ARTIFACTORY_HOST"},
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &env{cfg: &config.Trainer{Artifactory: good, ArtifactoryErr: tc.envErr}}
			code := runInfer(context.Background(), e, tc.args, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
		})
	}
}

// localPredictions predicts the Iris test split with the model file.
func localPredictions(t *testing.T, modelPath string) []int {
	t.Helper()
	m, err := ml.LoadModel(modelPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ml.ReadCSV(ml.IrisCSV, ml.IrisName, &ml.CSVOptions{Label: "label", SplitColumn: "split", Features: m.Features})
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := ml.SplitByColumn(d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.PredictDataset(test, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p.Class
}

func TestTrainUploadInfer(t *testing.T) {
	s := newTestStack(t)
	s.rotate(t)
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "outputs")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--version", "v1", "--workers", "2", "--n-estimators", "20"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	var stdout bytes.Buffer
	u, err := uploadArtifacts(ctx, s.env, out, "iris-classifier", "v1", &stdout)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(u, "/entity-manifest/iris-classifier/v1") || !strings.Contains(stdout.String(), u) || !strings.Contains(stdout.String(), "0 of 4 files already stored") {
		t.Fatalf("url %s, stdout %s", u, stdout.String())
	}
	var props struct{ Properties map[string][]string }
	if err := json.Unmarshal(s.adminDo(t, http.MethodGet, "/artifactory/api/storage/"+testMLRepo+"/models/iris-classifier/v1?properties", "", ""), &props); err != nil {
		t.Fatal(err)
	}
	var md jobspec.Metadata
	readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
	for k, v := range map[string]string{"accuracy": "1", "model_type": ml.RandomForest, "n_estimators": "20", "dataset_sha256_prefix": md.DatasetSHA256[:32], "model_sha256_prefix": md.ModelSHA256[:32]} {
		if !slices.Equal(props.Properties[k], []string{v}) {
			t.Errorf("property %s = %v, want %s", k, props.Properties[k], v)
		}
	}
	var manifest jfrog.ModelManifest
	if err := json.Unmarshal(s.adminDo(t, http.MethodGet, "/artifactory/api/machinelearning/"+testMLRepo+"/model/entity-manifest/iris-classifier/v1", "", ""), &manifest); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, a := range manifest.ModelArtifacts {
		listed = append(listed, a.ArtifactPath)
	}
	if !slices.Equal(listed, uploadedFiles) || manifest.ModelFormat == nil || manifest.ModelFormat.SerializationFormat != "onnx" || manifest.ModelFormat.Framework != jfrog.FrameworkFiles {
		t.Errorf("manifest lists %v with format %+v, want %v, files framework, onnx serialization", listed, manifest.ModelFormat, uploadedFiles)
	}
	stdout.Reset()
	if _, err := uploadArtifacts(ctx, s.env, out, "iris-classifier", "v2", &stdout); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "(0 bytes sent, 4 of 4 files already stored)") {
		t.Fatalf("re-upload did not deploy by checksum: %s", stdout.String())
	}
	_, err = uploadArtifacts(ctx, s.env, out, "iris-classifier", "v2", io.Discard)
	var re *upstream.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusConflict || !strings.Contains(err.Error(), "upload with a new version") {
		t.Fatalf("uploading an existing version: %v", err)
	}

	results := filepath.Join(dir, "results")
	var errb bytes.Buffer
	stdout.Reset()
	args := []string{"--model-name", "iris-classifier", "--model-version", "latest", "--inference-results-dir", results}
	if code := runInfer(ctx, s.env, args, &stdout, &errb); code != exitOK {
		t.Fatalf("infer: exit %d: %s", code, errb.String())
	}
	var res map[string]json.RawMessage
	raw, err := os.ReadFile(filepath.Join(results, jobspec.InferenceResultsFile))
	if err != nil || json.Unmarshal(raw, &res) != nil {
		t.Fatalf("results: %v", err)
	}
	for _, k := range []string{"model_path", "model_type", "inference_timestamp", "test_samples", "accuracy", "predictions",
		"true_labels", "target_names", "features", "input_data", "probabilities"} {
		if _, ok := res[k]; !ok {
			t.Errorf("inference_results.json lacks %s", k)
		}
	}
	var got jobspec.InferenceResults
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := localPredictions(t, filepath.Join(out, jobspec.ModelFile))
	if !slices.Equal(got.Predictions, want) || got.TestSamples != 30 || len(got.InputData) != 30 || len(got.Probabilities[0]) != 3 {
		t.Fatalf("predictions %v, want %v (samples %d)", got.Predictions, want, got.TestSamples)
	}
	var metrics ml.Metrics
	readJSON(t, filepath.Join(out, jobspec.MetricsFile), &metrics)
	if got.Accuracy != metrics.Accuracy || got.ModelVersion != "v2" || got.ModelType != ml.RandomForest || got.ModelPath != filepath.Join(results, "model", jobspec.ModelFile) {
		t.Fatalf("results %+v, local accuracy %v", got, metrics.Accuracy)
	}
	if _, err := os.Stat(filepath.Join(results, "model", jobspec.ONNXFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("infer downloaded %s, which it does not use: %v", jobspec.ONNXFile, err)
	}
	if _, err := os.Stat(filepath.Join(results, "model", jobspec.MetadataFile)); err != nil {
		t.Errorf("infer did not download %s: %v", jobspec.MetadataFile, err)
	}
	if !strings.Contains(stdout.String(), "sample 1: predicted") || !strings.Contains(stdout.String(), "iris-classifier v2") {
		t.Fatalf("summary %q", stdout.String())
	}
}

func TestInferDetectsCorruptedModel(t *testing.T) {
	s := newTestStack(t)
	s.rotate(t)
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "outputs")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--version", "v1", "--n-estimators", "5"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if _, err := uploadArtifacts(ctx, s.env, out, "iris", "v1", io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, jobspec.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(s.dataDir, "artifactory", "blobs", ml.SHA256Hex(b))
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(blob, b, 0o600); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results")
	var stdout, stderr bytes.Buffer
	code := runInfer(ctx, s.env, []string{"--model-name", "iris", "--model-version", "v1", "--inference-results-dir", results}, &stdout, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), "checksum mismatch") || !strings.Contains(stderr.String(), "ml-local:models/iris/v1/model/model.json") {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	for _, p := range []string{filepath.Join(results, jobspec.InferenceResultsFile), filepath.Join(results, "model", jobspec.ModelFile), filepath.Join(results, "model", jobspec.MetadataFile)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was written: %v", p, err)
		}
	}
}

func TestRotatedAndRevokedToken(t *testing.T) {
	s := newTestStack(t)
	ctx := context.Background()
	_, idA := s.rotate(t)
	repo, err := connectModelRepo(s.env)
	if err != nil {
		t.Fatal(err)
	}
	list := func() (int, error) {
		calls := 0
		err := repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
			calls++
			_, err := repo.client.ListModelVersions(ctx, tok, jfrog.ModelRef{Repo: testMLRepo, Name: "absent"})
			if errors.Is(err, upstream.ErrNotFound) {
				return nil // authenticated; the model simply does not exist
			}
			return err
		})
		return calls, err
	}
	if calls, err := list(); err != nil || calls != 1 {
		t.Fatalf("first call: %d calls, %v", calls, err)
	}
	tokB, idB := s.rotate(t)
	s.revoke(t, idA)
	if calls, err := list(); err != nil || calls != 2 {
		t.Fatalf("after rotation: %d calls, %v (want the rotated token picked up on the second call)", calls, err)
	}
	s.revoke(t, idB)
	calls, err := list()
	if !errors.Is(err, upstream.ErrUnauthorized) || calls != 1 {
		t.Fatalf("revoked: %d calls, %v", calls, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, keyvault.DefaultSecretName) || !strings.Contains(msg, "no newer version") || strings.Contains(msg, tokB.Reveal()) {
		t.Fatalf("message %q", msg)
	}
}

// FuzzPropertyValue: propertyValue always yields a value frogml accepts, or
// nothing, and is idempotent.
func FuzzPropertyValue(f *testing.F) {
	f.Add("2026-11-28T09:12:45Z")
	f.Add("registry.example/trainer:1.2.3")
	f.Add("a/./b//c./")
	f.Fuzz(func(t *testing.T, s string) {
		out := propertyValue(s)
		if out == "" {
			return
		}
		if err := jfrog.ValidateProperty("k", out); err != nil {
			t.Fatalf("propertyValue(%q) = %q: %v", s, out, err)
		}
		if again := propertyValue(out); again != out {
			t.Fatalf("propertyValue(%q) = %q, then %q", s, out, again)
		}
	})
}

// TestHintsNameTheTrainersSettings: the shared clients' fix hints name the
// trainer's variables, not the handler's.
func TestHintsNameTheTrainersSettings(t *testing.T) {
	s := newTestStack(t)
	repo, err := connectModelRepo(s.env)
	if err != nil {
		t.Fatal(err)
	}
	err = repo.do(context.Background(), func(context.Context, secret.Token) error { return nil })
	if !errors.Is(err, keyvault.ErrSecretNotFound) {
		t.Fatalf("no secret stored yet: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, jobspec.EnvSecretName) || strings.Contains(msg, "ARTIFACTORY_TOKEN_SECRET_NAME") {
		t.Errorf("hint %q does not name %s alone", msg, jobspec.EnvSecretName)
	}
	cfg := *s.env.cfg
	cfg.Artifactory.BaseURL = "ftp://x"
	_, err = connectModelRepo(&env{cfg: &cfg, credential: s.env.credential, transport: s.env.transport})
	if err == nil || !strings.Contains(err.Error(), jobspec.EnvArtifactoryHost) || strings.Contains(err.Error(), "ARTIFACTORY_URL") {
		t.Errorf("bad platform URL: %v", err)
	}
}
