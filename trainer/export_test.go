package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// TestExportMatchesTrain: trainer export of a model.json gives the bytes
// trainer train wrote beside it, at --out or beside the model by default.
func TestExportMatchesTrain(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--version", "v1", "--n-estimators", "7"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile(filepath.Join(out, jobspec.ONNXFile))
	if err != nil {
		t.Fatal(err)
	}
	explicit := filepath.Join(dir, "exported.onnx")
	code, stdout, stderr := runArgs(t, "export", "--model", filepath.Join(out, jobspec.ModelFile), "--out", explicit)
	if code != exitOK || !strings.Contains(stdout, "ONNX IR 8, opset 17, ai.onnx.ml opset 3") {
		t.Fatalf("export: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	got, err := os.ReadFile(explicit)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("exported %d bytes differ from the %d bytes train wrote", len(got), len(want))
	}
	elsewhere := filepath.Join(dir, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(out, jobspec.ModelFile))
	if err := os.WriteFile(filepath.Join(elsewhere, jobspec.ModelFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runArgs(t, "export", "--model", filepath.Join(elsewhere, jobspec.ModelFile)); code != exitOK {
		t.Fatalf("export without --out: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(elsewhere, jobspec.ONNXFile)); !bytes.Equal(got, want) {
		t.Error("export without --out did not write model.onnx beside the model")
	}
}

// TestExportBadModel: a truncated, tampered, unknown-version or missing
// model.json fails with exit 1 and one line on stderr, and nothing is
// written.
func TestExportBadModel(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runArgs(t, "train", "--output-dir", out, "--version", "v1", "--n-estimators", "3"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	good, err := os.ReadFile(filepath.Join(out, jobspec.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(good, []byte(`"seed":42,`), []byte(`"seed":43,`), 1)
	if bytes.Equal(tampered, good) {
		t.Fatal("model.json has no seed 42 to tamper with")
	}
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"truncated", "truncated or not JSON", good[:len(good)/2]},
		{"tampered", "sha256 mismatch", tampered},
		{"unknown version", "unsupported model file", bytes.Replace(good, []byte(`"schema_version":1`), []byte(`"schema_version":99`), 1)},
		{"not a model", "truncated or not JSON", []byte("sepal_length,sepal_width\n1,2\n")},
		{"missing", "no such file", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			model := filepath.Join(d, jobspec.ModelFile)
			if tc.data != nil {
				if err := os.WriteFile(model, tc.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(d, "out.onnx")
			code, stdout, stderr := runArgs(t, "export", "--model", model, "--out", target)
			if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, "trainer export: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line naming %q", code, stdout, stderr, tc.want)
			}
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if e.Name() != jobspec.ModelFile {
					t.Errorf("export left %s", e.Name())
				}
			}
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists: %v", target, err)
			}
		})
	}
	if code, _, stderr := runArgs(t, "export"); code != exitUsage || !strings.Contains(stderr, "--model is required") {
		t.Errorf("export without --model: exit %d, %q; want 2", code, stderr)
	}
}
