package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/dataset"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
)

// trainGCPercent is the garbage collector's target while training.
const trainGCPercent = 25

// trainFlags are the parsed flags of `trainer train`.
type trainFlags struct {
	dataFlags
	label, splitColumn     string
	splitColumnSet         bool
	testSize               float64
	seed                   uint64
	model                  string
	nEstimators, maxDepth  int
	minSamplesLeaf         int
	maxFeatures            string
	c                      float64
	maxIter                int
	workers                int
	outputDir, metadataDir string
	modelName, version     string
	image                  string
	upload                 bool
	// dist is the process's part in a job of several processes; nil for one.
	dist *rankJob
}

func runTrain(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	f := trainFlags{image: e.cfg.Image}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	f.dataFlags.register(fs)
	fs.StringVar(&f.label, jobspec.FlagLabel, "label", "label column")
	fs.StringVar(&f.splitColumn, jobspec.FlagSplitColumn, "", "column holding train/test per row, used instead of a random split (default \"split\" for --data iris)")
	fs.Float64Var(&f.testSize, jobspec.FlagTestSize, 0.2, "test fraction of a random split")
	fs.Uint64Var(&f.seed, "seed", 42, "random seed (split, bootstrap, features)")
	fs.StringVar(&f.model, "model", ml.RandomForest, "model: random_forest or logistic_regression")
	fs.IntVar(&f.nEstimators, "n-estimators", 100, "number of trees")
	fs.IntVar(&f.maxDepth, "max-depth", 0, "maximum tree depth (0 = unlimited)")
	fs.IntVar(&f.minSamplesLeaf, "min-samples-leaf", 1, "minimum samples per leaf")
	fs.StringVar(&f.maxFeatures, "max-features", "sqrt", "features drawn per split: sqrt, log2, all, a count, or a fraction in (0,1)")
	fs.Float64Var(&f.c, "c", 1, "logistic regression: inverse L2 regularization strength")
	fs.IntVar(&f.maxIter, "max-iter", 100, "logistic regression: maximum L-BFGS iterations")
	fs.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores); results do not depend on it")
	fs.StringVar(&f.outputDir, "output-dir", e.cfg.OutputDir, "output directory (env "+jobspec.EnvOutputDir+")")
	fs.StringVar(&f.metadataDir, "metadata-dir", "", "directory that receives a copy of metadata.json (the AzureML named output)")
	fs.StringVar(&f.modelName, "model-name", cmp.Or(e.cfg.ModelName, config.DefaultModelName), "model name (env "+jobspec.EnvModelName+")")
	fs.StringVar(&f.version, "version", e.cfg.ModelVersion, "model version (env "+jobspec.EnvModelVersion+"; default vYYYYMMDDHHMMSS, UTC)")
	fs.BoolVar(&f.upload, "upload", false, "upload model.onnx, model.json, metrics.json and metadata.json to the Artifactory ML repository (or "+jobspec.EnvUpload+"=true)")
	fs.Usage = usageFunc(fs, "trainer train [flags]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	f.splitColumnSet = set[jobspec.FlagSplitColumn]
	if err := f.dataFlags.validate(set); err != nil {
		return usageError(stderr, "train", "%v", err)
	}
	switch {
	case f.model != ml.RandomForest && f.model != ml.LogisticRegression:
		return usageError(stderr, "train", "--model %q: use %s or %s", f.model, ml.RandomForest, ml.LogisticRegression)
	case f.nEstimators < 1:
		return usageError(stderr, "train", "--n-estimators %d: must be at least 1", f.nEstimators)
	case f.maxDepth < 0, f.minSamplesLeaf < 1, f.workers < 0, f.maxIter < 1, !(f.c > 0):
		return usageError(stderr, "train", "--max-depth, --workers must be >= 0; --min-samples-leaf, --max-iter >= 1; --c > 0")
	case !(f.testSize > 0 && f.testSize < 1):
		return usageError(stderr, "train", "--test-size %v: must be between 0 and 1", f.testSize)
	case strings.TrimSpace(f.modelName) == "":
		return usageError(stderr, "train", "--model-name: empty; set --model-name or %s", jobspec.EnvModelName)
	}
	if _, err := resolveMaxFeatures(f.maxFeatures, 1); err != nil {
		return usageError(stderr, "train", "--max-features: %v", err)
	}
	now := time.Now().UTC()
	if f.version == "" {
		f.version = now.Format("v20060102150405")
	}
	upload := f.upload || e.cfg.Upload
	if err := e.cfg.ArtifactoryErr; f.remote() && err != nil {
		return usageError(stderr, "train", "--dataset/--artifactory: %v", err)
	}
	if upload {
		if err := e.cfg.ArtifactoryErr; err != nil {
			return usageError(stderr, "train", "--upload: %v", err)
		}
		if err := jfrog.ValidateModelName(f.modelName); err != nil {
			return usageError(stderr, "train", "--model-name: %v", err)
		}
		if err := jfrog.ValidateModelVersion(f.version); err != nil {
			return usageError(stderr, "train", "--version: %v", err)
		}
	}
	if code := f.distribute(ctx, e, stderr); code != exitOK {
		return code
	}
	if err := train(ctx, f, e, now, stdout); err != nil {
		return failure(stderr, "train", err)
	}
	if upload && !f.dist.worker() {
		if _, err := uploadArtifacts(ctx, e, f.outputDir, f.modelName, f.version, stdout); err != nil {
			return failure(stderr, "train", err)
		}
	}
	return exitOK
}

// resolveMaxFeatures turns the --max-features value into a feature count.
func resolveMaxFeatures(s string, nf int) (int, error) {
	switch s {
	case "sqrt", "auto":
		return max(1, int(math.Sqrt(float64(nf)))), nil
	case "log2":
		return max(1, int(math.Log2(float64(nf)))), nil
	case "all", "none", "None":
		return nf, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return 0, fmt.Errorf("%d: must be at least 1", n)
		}
		return min(n, nf), nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && v <= 1 {
		return max(1, int(v*float64(nf))), nil
	}
	return 0, fmt.Errorf("%q: use sqrt, log2, all, a count or a fraction in (0,1]", s)
}

func loadTrainingData(ctx context.Context, f trainFlags, e *env, splitCol string) (*loadedData, error) {
	if f.data == ml.IrisName && !f.remote() {
		if f.label != "label" {
			return nil, fmt.Errorf("--label %q: the embedded iris set's label column is \"label\"", f.label)
		}
		if f.splitColumn != "" && f.splitColumn != "split" {
			return nil, fmt.Errorf("--split-column %q: the embedded iris set's split column is \"split\" (or set --split-column= for a random split)", f.splitColumn)
		}
	}
	return loadData(ctx, f.dataFlags, e, &dataset.Options{Label: f.label, SplitColumn: splitCol, Features: f.featureList})
}

func train(ctx context.Context, f trainFlags, e *env, now time.Time, stdout io.Writer) error {
	// The data matrix and the binned columns hold no pointers, so frequent
	// collections cost little, while the default GOGC of 100 lets training
	// garbage grow the heap to twice the data (bench/dataset/run.sh).
	// GOGC in the environment wins.
	if !e.cfg.GOGCSet {
		defer debug.SetGCPercent(debug.SetGCPercent(trainGCPercent))
	}
	splitCol := f.splitColumn
	if f.data == ml.IrisName && !f.remote() && !f.splitColumnSet {
		splitCol = "split"
	}
	ld, err := loadTrainingData(ctx, f, e, splitCol)
	if err != nil {
		return err
	}
	d := ld.set
	var trainSet, testSet *ml.Dataset
	sp := jobspec.SplitProvenance{Column: splitCol}
	// split in place: the data is not copied (see ml.PartitionRandom)
	if splitCol != "" {
		trainSet, testSet, err = ml.PartitionByColumn(d)
	} else {
		sp.TestSize = f.testSize
		trainSet, testSet, err = ml.PartitionRandom(d, f.testSize, f.seed)
	}
	if err != nil {
		return err
	}
	sp.TrainingSamples, sp.TestSamples = trainSet.Rows(), testSet.Rows()
	mf, _ := resolveMaxFeatures(f.maxFeatures, len(d.Features))
	opts := ml.TrainOptions{
		ModelType: f.model,
		Forest:    ml.ForestParams{NEstimators: f.nEstimators, MaxDepth: f.maxDepth, MinSamplesLeaf: f.minSamplesLeaf, MinSamplesSplit: 2, MaxFeatures: mf},
		Logistic:  ml.LogisticParams{C: f.c, MaxIter: f.maxIter},
		Seed:      f.seed,
		Workers:   f.workers,
	}
	if f.dist != nil {
		fp := fingerprint(d, sp, opts)
		if f.dist.worker() {
			return f.dist.grow(ctx, trainSet, opts, fp, stdout)
		}
		stop, err := f.dist.gather(ctx, trainSet, &opts, fp)
		if err != nil {
			return err
		}
		defer stop()
	}
	res, err := ml.Train(ctx, trainSet, testSet, opts)
	if err != nil {
		return err
	}
	modelBytes, err := res.Model.Encode()
	if err != nil {
		return err
	}
	onnxBytes, err := exportONNX(res.Model, modelBytes)
	if err != nil {
		return err
	}
	hp := jobspec.Hyperparameters{}
	nEst := 0
	if res.Model.Forest != nil {
		hp.Forest = &res.Model.Forest.Params
		nEst = len(res.Model.Forest.Trees)
	} else {
		hp.Logistic = &res.Model.Linear.Params
	}
	ts := now.Format(time.RFC3339)
	a := &ml.Artifacts{
		Model: modelBytes,
		ONNX:  onnxBytes,
		Metrics: ml.Metrics{
			Accuracy: res.Report.Accuracy, ClassificationReport: res.Report, ModelType: f.model, NEstimators: nEst,
			TrainingSamples: trainSet.Rows(), TestSamples: testSet.Rows(), Timestamp: ts, FitSeconds: res.FitSeconds,
		},
		Metadata: jobspec.Metadata{
			ModelName: f.modelName, Version: f.version, ModelType: f.model, Dataset: ld.name,
			Accuracy: res.Report.Accuracy, TrainingDate: ts, Features: d.Features, TargetClasses: d.Classes,
			DatasetSHA256: d.SHA256, ModelSchemaVersion: ml.ModelSchemaVersion, Trainer: buildTrainer(), Hyperparameters: hp,
			Seed: f.seed, Split: sp, Image: f.image, DataSource: &ld.source,
		},
	}
	if err := ml.WriteArtifacts(f.outputDir, a, &ml.WriteArtifactsOptions{MetadataDir: f.metadataDir}); err != nil {
		return fmt.Errorf("write outputs (--output-dir, --metadata-dir): %w", err)
	}
	fmt.Fprintf(stdout, "trained %s %s (%s) on %s: %d train / %d test rows, accuracy %.4f, fit %.3fs\nwrote %s (sha256 %s)\nwrote %s (%d bytes)\n",
		f.modelName, f.version, f.model, a.Metadata.Dataset, trainSet.Rows(), testSet.Rows(), res.Report.Accuracy, res.FitSeconds,
		filepath.Join(f.outputDir, jobspec.ModelFile), a.Metadata.ModelSHA256, filepath.Join(f.outputDir, jobspec.ONNXFile), len(onnxBytes))
	return nil
}
