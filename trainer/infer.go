package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/frogbridge/frogbridge/internal/atomicfile"
	"github.com/frogbridge/frogbridge/internal/dataset"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// inferFlags are the parsed flags of `trainer infer`.
type inferFlags struct {
	modelName, version   string
	resultsDir, modelDir string
	data, label          string
	splitColumn          string
	splitColumnSet       bool
	testSize             float64
	testSizeSet, seedSet bool
	seed                 uint64
	workers, sampleCount int
}

// runInfer implements `trainer infer`: download and verify a model version
// from the Artifactory ML repository, run batch inference on the test
// split and write inference_results.json.
func runInfer(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	var f inferFlags
	fs := flag.NewFlagSet("infer", flag.ContinueOnError)
	fs.StringVar(&f.modelName, "model-name", e.cfg.ModelName, "model name in the ML repository (env "+jobspec.EnvModelName+")")
	fs.StringVar(&f.version, "model-version", e.cfg.ModelVersion, "model version, or \"latest\" (env "+jobspec.EnvModelVersion+")")
	fs.StringVar(&f.resultsDir, "inference-results-dir", "./inference_results", "directory that receives "+jobspec.InferenceResultsFile)
	fs.StringVar(&f.modelDir, "model-dir", "", "directory for the downloaded model (default <inference-results-dir>/model)")
	fs.StringVar(&f.data, "data", ml.IrisName, "data: \"iris\" (embedded), or a CSV (optionally gzip-compressed) or Parquet file, or a folder of them")
	fs.StringVar(&f.label, "label", "label", "label column")
	fs.StringVar(&f.splitColumn, "split-column", "", "column holding train/test per row (default \"split\" for --data iris; else the model's training split)")
	fs.Float64Var(&f.testSize, "test-size", 0.2, "test fraction of a random split (default: the model's, from metadata.json)")
	fs.Uint64Var(&f.seed, "seed", 42, "random split seed (default: the model's, from metadata.json)")
	fs.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
	fs.IntVar(&f.sampleCount, "samples", 5, "sample predictions printed in the summary")
	fs.Usage = usageFunc(fs, "trainer infer --model-name NAME --model-version VERSION|latest [--inference-results-dir DIR] [--data iris|CSV] [--split-column split] [--label label]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "split-column":
			f.splitColumnSet = true
		case "test-size":
			f.testSizeSet = true
		case "seed":
			f.seedSet = true
		}
	})
	if err := jfrog.ValidateModelName(f.modelName); err != nil {
		return usageError(stderr, "infer", "--model-name (or %s): %v", jobspec.EnvModelName, err)
	}
	if f.version != jfrog.LatestVersion {
		if err := jfrog.ValidateModelVersion(f.version); err != nil {
			return usageError(stderr, "infer", "--model-version (or %s): %v; use a stored version or \"latest\"", jobspec.EnvModelVersion, err)
		}
	}
	switch {
	case f.workers < 0 || f.sampleCount < 0:
		return usageError(stderr, "infer", "--workers and --samples must be >= 0")
	case !(f.testSize > 0 && f.testSize < 1):
		return usageError(stderr, "infer", "--test-size %v: must be between 0 and 1", f.testSize)
	case e.cfg.ArtifactoryErr != nil:
		return usageError(stderr, "infer", "%v", e.cfg.ArtifactoryErr)
	}
	if f.modelDir == "" {
		f.modelDir = filepath.Join(f.resultsDir, "model")
	}
	repo, err := connectModelRepo(e)
	if err != nil {
		return usageError(stderr, "infer", "%v", err)
	}
	if err := infer(ctx, f, repo, time.Now().UTC(), stdout); err != nil {
		return failure(stderr, "infer", err)
	}
	return exitOK
}

// infer resolves, downloads and verifies the model version, predicts the
// test split and writes the results.
func infer(ctx context.Context, f inferFlags, repo *modelRepo, now time.Time, stdout io.Writer) error {
	version := f.version
	var dl jfrog.DownloadResult
	err := repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		ref := jfrog.ModelRef{Repo: repo.repo, Name: f.modelName, Version: f.version}
		v, err := repo.client.ResolveVersion(ctx, tok, ref)
		if err != nil {
			return err
		}
		version, ref.Version = v, v
		dl, err = repo.client.DownloadModelVersion(ctx, tok, ref, f.modelDir, inferDownload)
		return err
	})
	if err != nil {
		return fmt.Errorf("download model %s version %s from repository %s: %w", f.modelName, f.version, repo.repo, err)
	}
	// Only files of this download are read: anything else in the folder
	// may be left from another version.
	got := map[string]jfrog.DownloadedFile{}
	for _, file := range dl.Files {
		got[file.ArtifactPath] = file
	}
	mf, ok := got[jobspec.ModelFile]
	if !ok {
		return fmt.Errorf("model %s version %s in %s has no %s: it was not uploaded by trainer train", f.modelName, version, repo.repo, jobspec.ModelFile)
	}
	modelPath := mf.Path
	var md *jobspec.Metadata
	if file, ok := got[jobspec.MetadataFile]; ok {
		md = new(jobspec.Metadata)
		if err := readJSONFile(file.Path, md); err != nil {
			return err
		}
	}
	opts := &ml.LoadOptions{}
	if md != nil {
		opts.SHA256 = md.ModelSHA256
	}
	m, err := ml.LoadModel(modelPath, opts)
	if err != nil {
		return err
	}
	test, err := inferenceData(f, m, md)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := m.PredictDataset(test, f.workers)
	if err != nil {
		return err
	}
	res, err := buildResults(m, test, p)
	if err != nil {
		return err
	}
	res.ModelPath, res.InferenceTimestamp = modelPath, now.Format(time.RFC3339)
	res.ModelName, res.ModelVersion, res.Repository = f.modelName, version, repo.repo
	res.ModelSHA256 = mf.Sha256
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", jobspec.InferenceResultsFile, err)
	}
	if err := os.MkdirAll(f.resultsDir, 0o755); err != nil {
		return fmt.Errorf("create --inference-results-dir: %w", err)
	}
	out := filepath.Join(f.resultsDir, jobspec.InferenceResultsFile)
	if err := atomicfile.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	printSummary(stdout, res, f.sampleCount, out)
	return nil
}

// inferenceData loads the data with the model's features and returns the
// test split: the split column when there is one (the embedded Iris set's
// "split" by default), else the random split the model was trained with.
func inferenceData(f inferFlags, m *ml.Model, md *jobspec.Metadata) (*ml.Dataset, error) {
	splitCol := f.splitColumn
	var d *ml.Dataset
	var err error
	if f.data == ml.IrisName {
		if !f.splitColumnSet {
			splitCol = "split"
		}
		d, err = ml.ReadCSV(ml.IrisCSV, ml.IrisName, &ml.CSVOptions{Label: "label", SplitColumn: splitCol, Features: m.Features})
	} else {
		if !f.splitColumnSet && md != nil {
			splitCol = md.Split.Column
		}
		d, _, err = dataset.Load(f.data, &dataset.Options{Label: f.label, SplitColumn: splitCol, Features: m.Features})
	}
	if err != nil {
		return nil, err
	}
	if splitCol != "" {
		_, test, err := ml.SplitByColumn(d)
		return test, err
	}
	testSize, seed := f.testSize, f.seed
	if md != nil && !f.testSizeSet && md.Split.TestSize > 0 {
		testSize = md.Split.TestSize
	}
	if md != nil && !f.seedSet {
		seed = md.Seed
	}
	_, test, err := ml.RandomSplit(d, testSize, seed)
	return test, err
}

// buildResults fills the prediction fields; true labels are mapped to the
// model's class indices.
func buildResults(m *ml.Model, test *ml.Dataset, p *ml.Predictions) (jobspec.InferenceResults, error) {
	n := test.Rows()
	res := jobspec.InferenceResults{
		ModelType: m.Type, TestSamples: n, TargetNames: m.Classes, Features: m.Features,
		Predictions: p.Class, TrueLabels: make([]int, n), InputData: make([][]float64, n), Probabilities: make([][]float64, n),
	}
	correct := 0
	for i := range n {
		if test.Y == nil {
			return res, fmt.Errorf("data %s has no label column: set --label", test.Name)
		}
		name := test.Classes[test.Y[i]]
		c := slices.Index(m.Classes, name)
		if c < 0 {
			return res, fmt.Errorf("data %s has label %q, which the model does not know (classes %v)", test.Name, name, m.Classes)
		}
		res.TrueLabels[i] = c
		if c == p.Class[i] {
			correct++
		}
		res.InputData[i] = slices.Clone(test.Row(i))
		res.Probabilities[i] = slices.Clone(p.Row(i))
	}
	if n > 0 {
		res.Accuracy = float64(correct) / float64(n)
	}
	return res, nil
}

func printSummary(w io.Writer, r jobspec.InferenceResults, samples int, out string) {
	fmt.Fprintf(w, "inference with %s %s (%s) from %s on %d test samples: accuracy %.4f\n",
		r.ModelName, r.ModelVersion, r.ModelType, r.Repository, r.TestSamples, r.Accuracy)
	for i := range min(samples, r.TestSamples) {
		pred, truth := r.Predictions[i], r.TrueLabels[i]
		fmt.Fprintf(w, "  sample %d: predicted %s (p=%.2f), true %s\n", i+1, r.TargetNames[pred], r.Probabilities[i][pred], r.TargetNames[truth])
	}
	fmt.Fprintf(w, "wrote %s\n", out)
}
