package e2e

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/onnx/ortnode"
	"github.com/frogbridge/frogbridge/internal/testbin"
)

// jfrogGet GETs a JFrog path (or absolute URL) with the stack's admin
// token and returns the body, failing the test on a non-200 answer.
func (s *stack) jfrogGet(t testing.TB, pathOrURL string) []byte {
	t.Helper()
	u := pathOrURL
	if !strings.HasPrefix(u, "https://") {
		u = s.env["ARTIFACTORY_URL"] + pathOrURL
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+s.env["JFROG_ADMIN_TOKEN"])
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %.300s (%v)", pathOrURL, resp.StatusCode, b, err)
	}
	return b
}

// checkONNXVersion checks that model version name/version in the stack's
// ML repository lists model.onnx beside model.json with serialization
// format onnx, and that onnxruntime scoring the stored model.onnx gives
// the predictions of `trainer predict` on the stored model.json.
func checkONNXVersion(t *testing.T, s *stack, name, version string) {
	t.Helper()
	var manifest struct {
		ModelArtifacts []struct {
			ArtifactPath string `json:"artifact_path"`
			DownloadURL  string `json:"download_url"`
		} `json:"model_artifacts"`
		ModelFormat struct {
			Framework           string `json:"framework"`
			SerializationFormat string `json:"serialization_format"`
		} `json:"model_format"`
	}
	raw := s.jfrogGet(t, "/artifactory/api/machinelearning/"+s.env["ARTIFACTORY_ML_REPO"]+"/model/entity-manifest/"+name+"/"+version)
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	var listed []string
	for _, a := range manifest.ModelArtifacts {
		urls[a.ArtifactPath] = a.DownloadURL
		listed = append(listed, a.ArtifactPath)
	}
	if !slices.Contains(listed, "model.onnx") || !slices.Contains(listed, "model.json") ||
		manifest.ModelFormat.Framework != "files" || manifest.ModelFormat.SerializationFormat != "onnx" {
		t.Fatalf("version %s %s lists %v with format %+v, want model.onnx and model.json, files/onnx", name, version, listed, manifest.ModelFormat)
	}
	if err := ortnode.Available(); err != nil {
		t.Logf("skipping the onnxruntime check of the stored model.onnx: %v", err)
		return
	}
	dir := t.TempDir()
	for _, f := range []string{"model.onnx", "model.json", "metadata.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), s.jfrogGet(t, urls[f]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var md struct {
		Features    []string `json:"features"`
		ModelSHA256 string   `json:"model_sha256"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	iris := filepath.Join(testbin.Root(), "..", "shared", "data", "iris.csv")
	out, err := exec.Command(testbin.Path(t, "trainer"), "predict", "--model", filepath.Join(dir, "model.json"), "--sha256", md.ModelSHA256,
		"--input", iris, "--proba", "--format", "json").Output()
	if err != nil {
		t.Fatalf("trainer predict: %v", err)
	}
	var want struct {
		Predictions   []string    `json:"predictions"`
		Probabilities [][]float64 `json:"probabilities"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	got, err := ortnode.Score(context.Background(), filepath.Join(dir, "model.onnx"), iris, md.Features, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Predictions, want.Predictions) || len(want.Predictions) != 150 {
		t.Fatalf("onnxruntime labels on the stored model.onnx differ from trainer predict:\n%v\n%v", got.Predictions, want.Predictions)
	}
	worst := 0.0
	for i, row := range want.Probabilities {
		for c, p := range row {
			worst = max(worst, math.Abs(got.Probabilities[i][c]-p))
		}
	}
	if worst > 1e-5 {
		t.Fatalf("onnxruntime probabilities differ from trainer predict by up to %g", worst)
	}
}
