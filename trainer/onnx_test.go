package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/onnx/ortnode"
	"github.com/frogbridge/frogbridge/internal/testbin"
)

// probaTolerance is how far onnxruntime's float32 probabilities may be
// from the trainer's float64 ones.
const probaTolerance = 1e-5

// sharedData is the ../shared/data folder beside the repository.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(ortnode.Root(), "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared data set %s: %v", name, err)
	}
	return p
}

// synthTestRows writes the header and the test rows of synth100k to a CSV
// file in dir and returns the paths of the whole set and of the test rows.
func synthTestRows(t *testing.T, dir string) (all, test string) {
	t.Helper()
	all = filepath.Join(dir, "synth100k.csv")
	xz := exec.Command("xz", "-dc", sharedData(t, "synth100k.csv.xz"))
	data, err := xz.Output()
	if err != nil {
		t.Fatalf("xz -dc synth100k.csv.xz (apt-get install -y xz-utils): %v", err)
	}
	if err := os.WriteFile(all, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan()
	b.WriteString(sc.Text() + "\n")
	for sc.Scan() {
		if strings.HasSuffix(sc.Text(), ",test") {
			b.WriteString(sc.Text() + "\n")
		}
	}
	test = filepath.Join(dir, "synth100k-test.csv")
	if err := os.WriteFile(test, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return all, test
}

// trainerExe runs the trainer binary (testbin: FROGBRIDGE_BIN_DIR or a
// fresh build, without the race detector, which would make the synth100k
// fits take minutes) and returns its exit code and stderr.
func trainerExe(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "trainer"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return exitOK, stderr.String()
}

// compareWithRuntime scores input with model.onnx in onnxruntime and with
// `trainer predict` on model.json in outDir, and checks that the labels are
// identical and the probabilities within probaTolerance. It returns the
// number of rows compared.
func compareWithRuntime(t *testing.T, outDir, input string) int {
	t.Helper()
	var md jobspec.Metadata
	readJSON(t, filepath.Join(outDir, jobspec.MetadataFile), &md)
	predOut := filepath.Join(outDir, "predictions.json")
	if code, stderr := trainerExe(t, "predict", "--model", filepath.Join(outDir, jobspec.ModelFile), "--input", input, "--proba", "--output", predOut); code != exitOK {
		t.Fatalf("trainer predict: exit %d: %s", code, stderr)
	}
	var want predictionsDoc
	readJSON(t, predOut, &want)
	got, err := ortnode.Score(context.Background(), filepath.Join(outDir, jobspec.ONNXFile), input, md.Features, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Predictions) != len(want.Predictions) || len(got.Probabilities) != len(want.Probabilities) || len(want.Predictions) == 0 {
		t.Fatalf("onnxruntime scored %d rows, trainer predict %d", len(got.Predictions), len(want.Predictions))
	}
	labels, worst := 0, 0.0
	for i := range want.Predictions {
		if got.Predictions[i] != want.Predictions[i] {
			labels++
			if labels <= 5 {
				t.Errorf("row %d: onnxruntime label %q, trainer %q (probabilities %v vs %v)", i, got.Predictions[i], want.Predictions[i], got.Probabilities[i], want.Probabilities[i])
			}
		}
		if len(got.Probabilities[i]) != len(want.Classes) {
			t.Fatalf("row %d: %d probabilities from onnxruntime, want %d", i, len(got.Probabilities[i]), len(want.Classes))
		}
		for c, p := range want.Probabilities[i] {
			worst = max(worst, math.Abs(got.Probabilities[i][c]-p))
		}
	}
	if labels > 0 {
		t.Errorf("%d of %d labels differ", labels, len(want.Predictions))
	}
	if worst > probaTolerance {
		t.Errorf("largest probability difference %g, want <= %g", worst, probaTolerance)
	}
	t.Logf("%d rows: labels identical: %v; largest probability difference %.3g", len(want.Predictions), labels == 0, worst)
	return len(want.Predictions)
}

// TestONNXMatchesTrainerPredict trains each model kind with the trainer
// binary, then scores the model.onnx written beside model.json with
// onnxruntime-node and compares it with trainer predict on the same rows.
func TestONNXMatchesTrainerPredict(t *testing.T) {
	if err := ortnode.Available(); err != nil {
		t.Skipf("skipping the ONNX runtime comparison: %v", err)
	}
	dir := t.TempDir()
	iris := sharedData(t, "iris.csv")
	// two overlapping classes of Iris: impure leaves, near ties, and
	// onnxruntime's two-class rules
	binary := filepath.Join(dir, "iris-binary.csv")
	writeBinaryIris(t, iris, binary)
	cases := []struct {
		name  string
		train []string
		input string
	}{
		{"iris random forest", []string{"--data", iris, "--split-column", "split"}, iris},
		{"iris logistic regression", []string{"--data", iris, "--split-column", "split", "--model", ml.LogisticRegression}, iris},
		{"two-class random forest", []string{"--data", binary, "--split-column", "split", "--n-estimators", "37"}, binary},
		{"two-class random forest, shallow", []string{"--data", binary, "--split-column", "split", "--max-depth", "3", "--n-estimators", "37"}, binary},
		{"two-class logistic regression", []string{"--data", binary, "--split-column", "split", "--model", ml.LogisticRegression}, binary},
	}
	if !testing.Short() {
		all, test := synthTestRows(t, dir)
		cases = append(cases,
			struct {
				name  string
				train []string
				input string
			}{"synth100k random forest", []string{"--data", all, "--split-column", "split", "--n-estimators", "25", "--min-samples-leaf", "2"}, test},
			struct {
				name  string
				train []string
				input string
			}{"synth100k logistic regression", []string{"--data", all, "--split-column", "split", "--model", ml.LogisticRegression}, test},
		)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprint("out", i))
			if code, stderr := trainerExe(t, append([]string{"train", "--output-dir", out, "--version", "v1"}, tc.train...)...); code != exitOK {
				t.Fatalf("train: exit %d: %s", code, stderr)
			}
			compareWithRuntime(t, out, tc.input)
			if edges := thresholdRows(t, out); edges != "" {
				compareWithRuntime(t, out, edges)
			}
		})
	}
}

// writeBinaryIris writes the versicolor and virginica rows of iris.csv
// (classes 1 and 2) to path.
func writeBinaryIris(t *testing.T, iris, path string) {
	t.Helper()
	data, err := os.ReadFile(iris)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	header := strings.Split(lines[0], ",")
	label := -1
	for i, h := range header {
		if h == "label" {
			label = i
		}
	}
	if label < 0 {
		t.Fatalf("%s has no label column", iris)
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		if f := strings.Split(l, ","); f[label] != "0" {
			b.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// thresholdRows writes rows whose every value equals a split threshold of
// the forest in outDir, so that the split rule's boundary (x equal to the
// threshold goes left) is exercised, and returns the CSV's path; "" for a
// linear model.
func thresholdRows(t *testing.T, outDir string) string {
	t.Helper()
	m, err := ml.LoadModel(filepath.Join(outDir, jobspec.ModelFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Forest == nil {
		return ""
	}
	byFeature := make([][]float32, len(m.Features))
	for _, tr := range m.Forest.Trees {
		for _, n := range tr.Nodes() {
			if n.Feature >= 0 {
				byFeature[n.Feature] = append(byFeature[n.Feature], n.Threshold)
			}
		}
	}
	var b strings.Builder
	b.WriteString(strings.Join(m.Features, ",") + "\n")
	for r := range 300 {
		for f, th := range byFeature {
			if f > 0 {
				b.WriteByte(',')
			}
			v := float32(0)
			if len(th) > 0 {
				v = th[(r*(f+7))%len(th)]
			}
			b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(outDir, "threshold-rows.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
