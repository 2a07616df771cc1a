package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
)

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTrainIrisWritesOutputs(t *testing.T) {
	dir := t.TempDir()
	out, meta := filepath.Join(dir, "out"), filepath.Join(dir, "meta")
	t.Setenv(jobspec.EnvModelName, "from-env")
	t.Setenv(jobspec.EnvImage, "registry.example/trainer:1.2.3")
	code, stdout, stderr := runArgs(t, "train", "--output-dir", out, "--metadata-dir", meta, "--version", "v1", "--workers", "2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "accuracy 1.0000") {
		t.Errorf("stdout = %q, want iris accuracy 1.0000", stdout)
	}
	var metrics ml.Metrics
	readJSON(t, filepath.Join(out, jobspec.MetricsFile), &metrics)
	if metrics.Accuracy != 1 || metrics.TrainingSamples != 120 || metrics.TestSamples != 30 || metrics.NEstimators != 100 || metrics.ModelType != ml.RandomForest {
		t.Errorf("metrics = %+v", metrics)
	}
	var md jobspec.Metadata
	readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
	modelBytes, err := os.ReadFile(filepath.Join(out, jobspec.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if md.ModelName != "from-env" || md.Version != "v1" || md.Dataset != "iris" || md.ModelSHA256 != ml.SHA256Hex(modelBytes) ||
		md.DatasetSHA256 != ml.SHA256Hex(ml.IrisCSV) || md.Image != "registry.example/trainer:1.2.3" || md.Seed != 42 ||
		len(md.Features) != 4 || len(md.TargetClasses) != 3 || md.Hyperparameters.Forest == nil || md.Split.Column != "split" {
		t.Errorf("metadata = %+v", md)
	}
	copyBytes, err := os.ReadFile(filepath.Join(meta, jobspec.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(filepath.Join(out, jobspec.MetadataFile))
	if !bytes.Equal(copyBytes, orig) {
		t.Error("metadata-dir copy differs from the output's metadata.json")
	}
	// the same seed and data give the same model whatever --workers is
	out2 := filepath.Join(dir, "out2")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out2, "--workers", "1"); code != exitOK {
		t.Fatalf("second train: exit %d: %s", code, stderr)
	}
	model2, _ := os.ReadFile(filepath.Join(out2, jobspec.ModelFile))
	if !bytes.Equal(model2, modelBytes) {
		t.Error("model.json differs between --workers 2 and --workers 1")
	}
}

func TestTrainOutputDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(jobspec.EnvOutputDir, dir)
	if code, _, stderr := runArgs(t, "train", "--model", "logistic_regression", "--max-iter", "300"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var metrics ml.Metrics
	readJSON(t, filepath.Join(dir, jobspec.MetricsFile), &metrics)
	if metrics.ModelType != ml.LogisticRegression || metrics.NEstimators != 0 || metrics.Accuracy < 0.9 {
		t.Errorf("metrics = %+v", metrics)
	}
}

func TestTrainRandomSplitCSV(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "data.csv")
	var b strings.Builder
	b.WriteString("x,y,target\n")
	for i := range 60 {
		b.WriteString(strings.Join([]string{strconv.Itoa(i), strconv.Itoa(i % 7), []string{"a", "b"}[i/30]}, ",") + "\n")
	}
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := runArgs(t, "train", "--data", csvPath, "--label", "target", "--test-size", "0.25", "--n-estimators", "10", "--output-dir", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var md jobspec.Metadata
	readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
	if md.Split.TestSamples != 15 || md.Split.TrainingSamples != 45 || md.Split.Column != "" || md.Dataset != "data.csv" {
		t.Errorf("split = %+v, dataset %q", md.Split, md.Dataset)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ragged := write("ragged.csv", "a,label\n1,0\n2\n")
	oneClass := write("one.csv", "a,label,split\n1,0,train\n2,0,test\n")
	noTest := write("notest.csv", "a,label,split\n1,0,train\n2,1,train\n")
	noLabel := write("nolabel.csv", "a,b\n1,0\n")
	empty := write("empty.csv", "")
	nan := write("nan.csv", "a,label\nnan,0\n1,1\n")
	out := filepath.Join(dir, "out")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--n-estimators", "5"); code != exitOK {
		t.Fatalf("train: %d %s", code, stderr)
	}
	model := filepath.Join(out, jobspec.ModelFile)
	good, _ := os.ReadFile(model)
	tampered := write("tampered.json", strings.Replace(string(good), `"threshold":[`, `"threshold":[1`, 1))
	truncated := write("truncated.json", string(good[:len(good)/3]))
	future := write("future.json", strings.Replace(string(good), `"schema_version":1`, `"schema_version":9`, 1))
	rows := write("rows.csv", "petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.1\n")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", nil, exitUsage, "Usage"},
		{"unknown command", []string{"fly"}, exitUsage, "unknown command"},
		{"help", []string{"--help"}, exitOK, ""},
		{"train help", []string{"train", "--help"}, exitOK, ""},
		{"predict help", []string{"predict", "-h"}, exitOK, ""},
		{"version help", []string{"version", "--help"}, exitOK, ""},
		{"version", []string{"version"}, exitOK, ""},
		{"unknown flag", []string{"train", "--bogus"}, exitUsage, "bogus"},
		{"bad model", []string{"train", "--model", "svm"}, exitUsage, "--model"},
		{"bad test size", []string{"train", "--test-size", "1.5"}, exitUsage, "--test-size"},
		{"bad max features", []string{"train", "--max-features", "many"}, exitUsage, "--max-features"},
		{"zero trees", []string{"train", "--n-estimators", "0"}, exitUsage, "--n-estimators"},
		{"stray argument", []string{"train", "extra"}, exitUsage, "unexpected"},
		{"ragged csv", []string{"train", "--data", ragged, "--output-dir", out}, exitFailure, "ragged.csv:3"},
		{"nan feature", []string{"train", "--data", nan, "--output-dir", out}, exitFailure, "nan.csv:2"},
		{"missing label", []string{"train", "--data", noLabel, "--output-dir", out}, exitFailure, `column "label"`},
		{"empty file", []string{"train", "--data", empty, "--output-dir", out}, exitFailure, "empty file"},
		{"one class", []string{"train", "--data", oneClass, "--split-column", "split", "--output-dir", out}, exitFailure, "fewer than two classes"},
		{"empty split", []string{"train", "--data", noTest, "--split-column", "split", "--output-dir", out}, exitFailure, "empty split"},
		{"missing data", []string{"train", "--data", filepath.Join(dir, "nope.csv"), "--output-dir", out}, exitFailure, "nope.csv"},
		{"predict without model", []string{"predict", "--input", rows}, exitUsage, "required"},
		{"predict bad format", []string{"predict", "--model", model, "--input", rows, "--format", "xml"}, exitUsage, "--format"},
		{"tampered model", []string{"predict", "--model", tampered, "--input", rows}, exitFailure, "sha256 mismatch"},
		{"truncated model", []string{"predict", "--model", truncated, "--input", rows}, exitFailure, "truncated"},
		{"future model", []string{"predict", "--model", future, "--input", rows}, exitFailure, "schema_version"},
		{"expected sha mismatch", []string{"predict", "--model", model, "--input", rows, "--sha256", strings.Repeat("a", 64)}, exitFailure, "sha256 mismatch"},
		{"input lacks feature", []string{"predict", "--model", model, "--input", noLabel}, exitFailure, "column missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if tt.code == exitFailure && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if !strings.Contains(stdout+stderr, tt.msg) {
				t.Errorf("output %q lacks %q", stdout+stderr, tt.msg)
			}
			if tt.code == exitOK && stdout == "" {
				t.Error("no output on stdout")
			}
		})
	}
	// a failed train leaves the previous outputs intact
	after, _ := os.ReadFile(model)
	if !bytes.Equal(after, good) {
		t.Error("failed runs changed model.json")
	}
}

func TestPredictOutputs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--n-estimators", "20"); code != exitOK {
		t.Fatalf("train: %d %s", code, stderr)
	}
	model := filepath.Join(out, jobspec.ModelFile)
	rows := filepath.Join(dir, "rows.csv")
	// columns in another order, plus an ignored column
	if err := os.WriteFile(rows, []byte("id,petal_width,petal_length,sepal_width,sepal_length\na,0.2,1.4,3.5,5.1\nb,2.3,6.0,3.0,6.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runArgs(t, "predict", "--model", model, "--input", rows, "--proba")
	if code != exitOK {
		t.Fatalf("predict: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || lines[0] != "prediction,proba_0,proba_1,proba_2" || !strings.HasPrefix(lines[1], "0,") || !strings.HasPrefix(lines[2], "2,") {
		t.Errorf("csv output = %q", stdout)
	}
	jsonOut := filepath.Join(dir, "pred.json")
	var md jobspec.Metadata
	readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
	if code, _, stderr := runArgs(t, "predict", "--model", model, "--input", rows, "--output", jsonOut, "--sha256", md.ModelSHA256); code != exitOK {
		t.Fatalf("predict json: %d %s", code, stderr)
	}
	var doc predictionsDoc
	readJSON(t, jsonOut, &doc)
	if strings.Join(doc.Predictions, ",") != "0,2" || len(doc.Classes) != 3 || doc.Probabilities != nil {
		t.Errorf("json output = %+v", doc)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
