package ml

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

func TestWriteArtifacts(t *testing.T) {
	dir := t.TempDir()
	out, meta := filepath.Join(dir, "out", "nested"), filepath.Join(dir, "meta")
	a := &Artifacts{
		Model:    []byte(`{"format":"frogbridge-model"}`),
		Metrics:  Metrics{Accuracy: 0.9, ModelType: RandomForest},
		Metadata: jobspec.Metadata{ModelName: "m", Version: "v1"},
	}
	if err := WriteArtifacts(out, a, &WriteArtifactsOptions{MetadataDir: meta}); err != nil {
		t.Fatal(err)
	}
	if a.Metadata.ModelFile != jobspec.ModelFile || a.Metadata.ModelSHA256 != SHA256Hex(a.Model) {
		t.Errorf("metadata does not name the model file: %+v", a.Metadata)
	}
	if b, _ := os.ReadFile(filepath.Join(out, jobspec.ModelFile)); !bytes.Equal(b, a.Model) {
		t.Errorf("model.json = %q", b)
	}
	var m Metrics
	if b, err := os.ReadFile(filepath.Join(out, jobspec.MetricsFile)); err != nil || json.Unmarshal(b, &m) != nil || m.Accuracy != 0.9 {
		t.Errorf("metrics.json = %+v, %v", m, err)
	}
	orig, _ := os.ReadFile(filepath.Join(out, jobspec.MetadataFile))
	cp, _ := os.ReadFile(filepath.Join(meta, jobspec.MetadataFile))
	if len(orig) == 0 || !bytes.Equal(orig, cp) {
		t.Errorf("metadata copy differs:\n%s\n%s", orig, cp)
	}
	md, err := jobspec.ParseMetadata(orig)
	if err != nil || md.ModelSHA256 != SHA256Hex(a.Model) {
		t.Errorf("metadata.json = %+v, %v", md, err)
	}
	if entries, _ := os.ReadDir(meta); len(entries) != 1 {
		t.Errorf("metadata folder holds %d entries, want only metadata.json", len(entries))
	}
	if _, err := os.Stat(filepath.Join(out, jobspec.ONNXFile)); !os.IsNotExist(err) {
		t.Errorf("model.onnx written without Artifacts.ONNX: %v", err)
	}
	a.ONNX = []byte("onnx bytes")
	if err := WriteArtifacts(out, a, &WriteArtifactsOptions{MetadataDir: meta}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, jobspec.ONNXFile)); !bytes.Equal(b, a.ONNX) {
		t.Errorf("model.onnx = %q", b)
	}
	if entries, _ := os.ReadDir(meta); len(entries) != 1 {
		t.Errorf("metadata folder holds %d entries with ONNX, want only metadata.json", len(entries))
	}
	if err := WriteArtifacts(out, &Artifacts{}, nil); err != nil {
		t.Errorf("nil options: %v", err)
	}
}
