package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/frogbridge/frogbridge/internal/atomicfile"
	"github.com/frogbridge/frogbridge/internal/buildinfo"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/onnx"
)

// serializationFormat is the version's model_format.serialization_format:
// "onnx", what frogml 1.2.46's files.log_model records for a .onnx file
// (FilesModelVersionManager takes the source file's extension,
// frogml/sdk/model_version/model_loggers/files_model_version_manager.py)
// and one of the formats its _log_model accepts
// (__model_framework_from_file_format, frogml/sdk/model_version/utils/storage.py;
// ONNX_FRAMEWORK_FORMAT = "onnx" in frogml/sdk/model_version/constants.py);
// "json" is refused there. The framework stays "files", which
// frogml.files.load_model and trainer infer require; frogml.onnx.load_model
// would want framework "onnx" and a file named <model name>.onnx instead
// (frogml/sdk/model_version/onnx/__init__.py).
const serializationFormat = "onnx"

// inferDownload leaves model.onnx out of trainer infer's download (infer
// predicts with model.json) and replaces the model folder of an earlier
// run.
var inferDownload = &jfrog.DownloadOptions{Only: func(p string) bool { return p != jobspec.ONNXFile }, Replace: true}

// runExport converts a model.json into model.onnx. The model file is
// verified as trainer predict verifies it; nothing is written unless the
// whole conversion succeeded.
func runExport(ctx context.Context, _ *env, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	modelPath := fs.String("model", "", "model file (model.json) written by trainer train")
	out := fs.String("out", "", "ONNX file to write (default model.onnx beside --model); written atomically")
	sha := fs.String("sha256", "", "expected sha256 of the model file (metadata.json model_sha256)")
	fs.Usage = usageFunc(fs, "trainer export --model model.json [--out model.onnx]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	if *modelPath == "" {
		return usageError(stderr, "export", "--model is required")
	}
	if *out == "" {
		*out = filepath.Join(filepath.Dir(*modelPath), jobspec.ONNXFile)
	}
	m, err := ml.LoadModel(*modelPath, &ml.LoadOptions{SHA256: *sha})
	if err != nil {
		return failure(stderr, "export", err)
	}
	if err := ctx.Err(); err != nil {
		return failure(stderr, "export", err)
	}
	n, err := writeONNX(m, *modelPath, *out)
	if err != nil {
		return failure(stderr, "export", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, ONNX IR %d, opset %d, %s opset %d)\n", *out, n, onnx.IRVersion, onnx.Opset, onnx.MLDomain, onnx.MLOpset)
	return exitOK
}

// writeONNX exports m, read from the model file at modelPath, to path
// atomically and returns the size written.
func writeONNX(m *ml.Model, modelPath, path string) (int, error) {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", modelPath, err)
	}
	b, err := exportONNX(m, data)
	if err != nil {
		return 0, err
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return 0, err
	}
	return len(b), nil
}

// exportONNX returns the ONNX model of m, whose model file bytes are
// modelFileBytes (their sha256 is recorded in the ONNX metadata).
func exportONNX(m *ml.Model, modelFileBytes []byte) ([]byte, error) {
	return onnx.Export(m, &onnx.Options{ProducerVersion: buildinfo.Version, SourceSHA256: ml.SHA256Hex(modelFileBytes)})
}
