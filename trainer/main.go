// Command trainer trains, evaluates and applies the frogbridge classifier:
// a random forest or a logistic regression on a CSV or Parquet data set (or
// the embedded Iris set), writing a verifiable model.json, the same model as
// model.onnx for ONNX runtimes, metrics.json and metadata.json; and it is
// the Artifactory ML repository client of any training image (trainer model
// and trainer dataset).
//
// Usage:
//
//	trainer train [flags] [--upload]
//	trainer predict --model model.json --input rows.csv [--proba] [--output file]
//	trainer export --model model.json [--out model.onnx]
//	trainer infer --model-name NAME --model-version VERSION|latest [--inference-results-dir DIR]
//	trainer version
//	trainer model|dataset push --name N [--version V] [--property k=v ...] PATH...
//	trainer model|dataset pull --name N --version V|latest --dir DIR
//	trainer model|dataset list --name N
//
// Exit codes: 0 success, 1 runtime failure, 2 usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
