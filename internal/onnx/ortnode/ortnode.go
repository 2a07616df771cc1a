// Package ortnode scores ONNX models with onnxruntime-node, the ONNX
// Runtime that `make tools` installs into the project's .tools folder, by
// running score.mjs (beside this file) with node. Tests and benchmarks use
// it to check exported models against a real runtime rather than against
// this project's own code.
package ortnode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Version is the onnxruntime-node version the Makefile installs.
const Version = "1.30.0"

// ErrMissing is returned by Available when node or onnxruntime-node is
// not installed.
var ErrMissing = errors.New("onnxruntime-node is not installed")

// Result is score.mjs's output.
type Result struct {
	// Predictions are the output_label values, one per row.
	Predictions []string `json:"predictions"`
	// Probabilities are the output_probability rows.
	Probabilities [][]float64 `json:"probabilities"`
	// Rows is the number of rows scored.
	Rows int `json:"rows"`
	// LoadSeconds is the session creation time.
	LoadSeconds float64 `json:"load_seconds"`
	// EmptyRunSeconds is the fastest run on zero rows.
	EmptyRunSeconds float64 `json:"empty_run_seconds"`
	// BatchSeconds is the fastest run on all rows.
	BatchSeconds float64 `json:"batch_seconds"`
	// RuntimeVersion is onnxruntime-node's version.
	RuntimeVersion string `json:"onnxruntime_version"`
}

// Root returns the module's root folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// ToolsDir is the folder onnxruntime-node is installed into.
func ToolsDir() string { return filepath.Join(Root(), ".tools") }

// Script is the path of score.mjs.
func Script() string { return filepath.Join(Root(), "internal", "onnx", "ortnode", "score.mjs") }

// Available reports, as an error wrapping ErrMissing that names the fix,
// whether node and onnxruntime-node can be run.
func Available() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("%w: node is not on PATH (apt-get install -y nodejs npm, then make tools)", ErrMissing)
	}
	pkg := filepath.Join(ToolsDir(), "node_modules", "onnxruntime-node", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return fmt.Errorf("%w: no %s (run make tools)", ErrMissing, pkg)
	}
	return nil
}

// Options tune Score.
type Options struct {
	// Repeat runs the batch this many times; BatchSeconds is the fastest.
	Repeat int
	// NoRows leaves Predictions and Probabilities out.
	NoRows bool
}

// Score runs model on the columns features of the CSV file input.
func Score(ctx context.Context, model, input string, features []string, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := Available(); err != nil {
		return nil, err
	}
	fj, err := json.Marshal(features)
	if err != nil {
		return nil, err
	}
	args := []string{Script(), "--tools", ToolsDir(), "--model", model, "--input", input, "--features", string(fj)}
	if opts.Repeat > 1 {
		args = append(args, "--repeat", fmt.Sprint(opts.Repeat))
	}
	if opts.NoRows {
		args = append(args, "--no-rows")
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("onnxruntime-node on %s: %v: %s", model, err, strings.TrimSpace(stderr.String()))
	}
	var r Result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("onnxruntime-node on %s: output: %w", model, err)
	}
	return &r, nil
}
