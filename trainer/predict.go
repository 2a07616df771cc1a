package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/atomicfile"
	"github.com/frogbridge/frogbridge/internal/dataset"
	"github.com/frogbridge/frogbridge/internal/ml"
)

func runPredict(ctx context.Context, _ *env, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	modelPath := fs.String("model", "", "model file (model.json) written by trainer train")
	input := fs.String("input", "", "rows holding the model's feature columns: a CSV (optionally gzip-compressed) or Parquet file, or a folder of them")
	proba := fs.Bool("proba", false, "also write the class probabilities")
	output := fs.String("output", "", "output file (default stdout); written atomically")
	format := fs.String("format", "", "output format: csv or json (default: json for a .json --output, else csv)")
	sha := fs.String("sha256", "", "expected sha256 of the model file (metadata.json model_sha256)")
	workers := fs.Int("workers", 0, "parallel workers (0 = all cores)")
	fs.Usage = usageFunc(fs, "trainer predict --model model.json --input rows.csv [--proba] [--output file]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	if *modelPath == "" || *input == "" {
		return usageError(stderr, "predict", "--model and --input are required")
	}
	if *format == "" {
		*format = "csv"
		if strings.EqualFold(filepath.Ext(*output), ".json") {
			*format = "json"
		}
	}
	if *format != "csv" && *format != "json" {
		return usageError(stderr, "predict", "--format %q: use csv or json", *format)
	}
	if *workers < 0 {
		return usageError(stderr, "predict", "--workers %d: must be >= 0", *workers)
	}
	m, err := ml.LoadModel(*modelPath, &ml.LoadOptions{SHA256: *sha})
	if err != nil {
		return failure(stderr, "predict", err)
	}
	d, _, err := dataset.Load(*input, &dataset.Options{Features: m.Features})
	if err != nil {
		return failure(stderr, "predict", err)
	}
	if err := ctx.Err(); err != nil {
		return failure(stderr, "predict", err)
	}
	p, err := m.PredictDataset(d, *workers)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	var buf bytes.Buffer
	if *format == "json" {
		err = writePredictionsJSON(&buf, p, *proba)
	} else {
		err = writePredictionsCSV(&buf, p, *proba)
	}
	if err != nil {
		return failure(stderr, "predict", err)
	}
	if *output == "" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return failure(stderr, "predict", err)
		}
		return exitOK
	}
	if err := atomicfile.WriteFile(*output, buf.Bytes(), 0o644); err != nil {
		return failure(stderr, "predict", err)
	}
	return exitOK
}

// writePredictionsCSV writes a "prediction" column and, with proba, one
// "proba_<class>" column per class.
func writePredictionsCSV(w io.Writer, p *ml.Predictions, proba bool) error {
	cw := csv.NewWriter(w)
	header := []string{"prediction"}
	if proba {
		for _, c := range p.Classes {
			header = append(header, "proba_"+c)
		}
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for i := range p.Class {
		rec[0] = p.Label(i)
		if proba {
			for c, v := range p.Row(i) {
				rec[c+1] = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// predictionsDoc is the JSON output of trainer predict.
type predictionsDoc struct {
	Classes       []string    `json:"classes"`
	Predictions   []string    `json:"predictions"`
	Probabilities [][]float64 `json:"probabilities,omitempty"`
}

func writePredictionsJSON(w io.Writer, p *ml.Predictions, proba bool) error {
	doc := predictionsDoc{Classes: p.Classes, Predictions: make([]string, len(p.Class))}
	for i := range p.Class {
		doc.Predictions[i] = p.Label(i)
		if proba {
			doc.Probabilities = append(doc.Probabilities, p.Row(i))
		}
	}
	bw := bufio.NewWriter(w)
	if err := json.NewEncoder(bw).Encode(doc); err != nil {
		return fmt.Errorf("encode predictions: %w", err)
	}
	return bw.Flush()
}
