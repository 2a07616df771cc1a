package ml

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/frogbridge/frogbridge/internal/atomicfile"
	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// Metrics is metrics.json, written next to the model.
type Metrics struct {
	Accuracy             float64 `json:"accuracy"`
	ClassificationReport Report  `json:"classification_report"`
	ModelType            string  `json:"model_type"`
	// NEstimators is the number of trees; 0 for a linear model.
	NEstimators     int     `json:"n_estimators"`
	TrainingSamples int     `json:"training_samples"`
	TestSamples     int     `json:"test_samples"`
	Timestamp       string  `json:"timestamp"`
	FitSeconds      float64 `json:"fit_seconds"`
}

// Artifacts are the files of a trained model version.
type Artifacts struct {
	// Model is the encoded model (Model.Encode), written as model.json.
	Model []byte
	// ONNX, when set, is the model as ONNX (internal/onnx), written as
	// model.onnx right after model.json.
	ONNX []byte
	// Metrics is written as metrics.json.
	Metrics Metrics
	// Metadata is written as metadata.json. WriteArtifacts sets its
	// ModelFile and ModelSHA256 from Model.
	Metadata jobspec.Metadata
}

// WriteArtifactsOptions configure WriteArtifacts; the zero value writes
// only into the output folder.
type WriteArtifactsOptions struct {
	// MetadataDir, when set, receives a copy of metadata.json (the job's
	// jobspec.OutputMetadata output). It is created when missing.
	MetadataDir string
}

// WriteArtifacts writes model.json, model.onnx (when a.ONNX is set),
// metrics.json and metadata.json into dir, creating it when missing. Each
// file is replaced atomically, so a reader sees a whole previous or a whole
// new file; model.json is written first and metadata.json, which names the
// model's sha256, last.
func WriteArtifacts(dir string, a *Artifacts, opts *WriteArtifactsOptions) error {
	if opts == nil {
		opts = &WriteArtifactsOptions{}
	}
	a.Metadata.ModelFile = jobspec.ModelFile
	a.Metadata.ModelSHA256 = SHA256Hex(a.Model)
	metrics, err := json.MarshalIndent(a.Metrics, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", jobspec.MetricsFile, err)
	}
	meta, err := json.MarshalIndent(a.Metadata, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", jobspec.MetadataFile, err)
	}
	type file struct {
		dir, name string
		data      []byte
	}
	files := []file{
		{dir, jobspec.ModelFile, a.Model},
		{dir, jobspec.MetricsFile, append(metrics, '\n')},
		{dir, jobspec.MetadataFile, append(meta, '\n')},
	}
	if opts.MetadataDir != "" {
		files = append(files, file{opts.MetadataDir, jobspec.MetadataFile, files[2].data})
	}
	if a.ONNX != nil {
		files = append(files[:1], append([]file{{dir, jobspec.ONNXFile, a.ONNX}}, files[1:]...)...)
	}
	for _, f := range files {
		if err := os.MkdirAll(f.dir, 0o755); err != nil {
			return fmt.Errorf("create folder %s: %w", f.dir, err)
		}
		if err := atomicfile.WriteFile(filepath.Join(f.dir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
