package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/frogbridge/frogbridge/internal/dataset"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// Data source flags of `trainer train` (their names are jobspec.Flag*). The
// handler generates them from the training request's "data" field; this is
// the contract it relies on:
//
//	{"dataset": {"name": N, "version": V}}  → --dataset N --dataset-version V   (V may be "latest")
//	{"artifactory": "REPO/PATH"}            → --artifactory REPO/PATH
//	{"uri": U} or {"asset": A}              → --data ${{inputs.data}} --data-ref U|A
//	label, split_column, test_size, features → --label, --split-column, --test-size, --features a,b,c
//
// At most one of --data (other than the default "iris"), --dataset and
// --artifactory is given. --data takes a file or a folder (AzureML passes
// a uri_file input as a file path and a uri_folder input as a folder);
// --data-ref only records where that path came from. --dataset and
// --artifactory download with the compute identity's JFrog token from Key
// Vault (ARTIFACTORY_HOST, ARTIFACTORY_ML_REPO for datasets, and the Key
// Vault settings), verified by SHA-256. metadata.json records the source
// as jobspec.DataSource.
type dataFlags struct {
	data           string
	dataSet        bool
	dataRef        string
	datasetName    string
	datasetVersion string
	artifactory    string
	features       string
	featureList    []string
}

// maxDataRef bounds --data-ref.
const maxDataRef = 1024

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, jobspec.FlagData, ml.IrisName, "training data: \"iris\" (embedded), or a CSV (optionally gzip-compressed) or Parquet file, or a folder of them")
	fs.StringVar(&d.dataRef, jobspec.FlagDataRef, "", "where the --data path came from (an AzureML URI or data asset), recorded in metadata.json")
	fs.StringVar(&d.datasetName, jobspec.FlagDataset, "", "train on this dataset of the Artifactory ML repository (ARTIFACTORY_ML_REPO)")
	fs.StringVar(&d.datasetVersion, jobspec.FlagDatasetVersion, jfrog.LatestVersion, "version of --dataset, or \"latest\"")
	fs.StringVar(&d.artifactory, jobspec.FlagArtifactory, "", "train on one file of any Artifactory repository: REPO/PATH")
	fs.StringVar(&d.features, jobspec.FlagFeatures, "", "comma-separated feature columns (default: every column but the label and the split column)")
}

// validate checks the data flags after parsing; set reports which flags
// were given.
func (d *dataFlags) validate(set map[string]bool) error {
	d.dataSet = set[jobspec.FlagData] && d.data != ml.IrisName
	n := 0
	for _, on := range []bool{d.dataSet, d.datasetName != "", d.artifactory != ""} {
		if on {
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Errorf("give one data source: --data, --dataset or --artifactory")
	case set[jobspec.FlagData] && strings.TrimSpace(d.data) == "":
		return fmt.Errorf("--data is empty: give a file or folder, or iris")
	case d.dataRef != "" && !d.dataSet:
		return fmt.Errorf("--data-ref describes a --data path: give --data PATH with it")
	case len(d.dataRef) > maxDataRef || strings.IndexFunc(d.dataRef, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("--data-ref: at most %d printable characters", maxDataRef)
	case set[jobspec.FlagDatasetVersion] && d.datasetName == "":
		return fmt.Errorf("--dataset-version needs --dataset")
	}
	if d.datasetName != "" {
		if err := jfrog.ValidateModelName(d.datasetName); err != nil {
			return fmt.Errorf("--dataset: %v", err)
		}
		if d.datasetVersion != jfrog.LatestVersion {
			if err := jfrog.ValidateModelVersion(d.datasetVersion); err != nil {
				return fmt.Errorf("--dataset-version: %v; use a stored version or \"latest\"", err)
			}
		}
	}
	if d.artifactory != "" {
		repo, p, ok := strings.Cut(d.artifactory, "/")
		if !ok || p == "" {
			return fmt.Errorf("--artifactory %q: use REPO/PATH, such as datasets-generic/iris/train.csv", d.artifactory)
		}
		if err := jfrog.ValidateRepoKey(repo); err != nil {
			return fmt.Errorf("--artifactory: %v", err)
		}
		if err := jfrog.ValidateArtifactPath(p); err != nil {
			return fmt.Errorf("--artifactory: %v", err)
		}
	}
	if strings.TrimSpace(d.features) != "" {
		seen := map[string]bool{}
		for _, f := range strings.Split(d.features, ",") {
			f = strings.TrimSpace(f)
			if f == "" || seen[f] {
				return fmt.Errorf("--features %q: list distinct, non-empty column names separated by commas", d.features)
			}
			seen[f] = true
			d.featureList = append(d.featureList, f)
		}
	}
	return nil
}

// remote reports whether the data comes from Artifactory.
func (d *dataFlags) remote() bool { return d.datasetName != "" || d.artifactory != "" }

// loadedData is the training data with its provenance.
type loadedData struct {
	set    *ml.Dataset
	source jobspec.DataSource
	// name is the data set name recorded as metadata.json "dataset".
	name string
}

// loadData reads the data the flags name: the embedded Iris set, a local
// file or folder, or a download from Artifactory into a temporary folder
// that is removed once the data is in memory.
func loadData(ctx context.Context, d dataFlags, e *env, opts *dataset.Options) (*loadedData, error) {
	switch {
	case d.datasetName != "":
		return loadDataset(ctx, d, e, opts)
	case d.artifactory != "":
		return loadArtifactory(ctx, d, e, opts)
	}
	if d.data == ml.IrisName {
		set, err := ml.Iris()
		if err != nil {
			return nil, err
		}
		if len(opts.Features) > 0 {
			set, err = ml.ReadCSV(ml.IrisCSV, ml.IrisName, &ml.CSVOptions{Label: "label", SplitColumn: opts.SplitColumn, Features: opts.Features})
			if err != nil {
				return nil, err
			}
		}
		return &loadedData{set: set, name: ml.IrisName, source: jobspec.DataSource{Kind: jobspec.SourceIris, Format: string(dataset.FormatCSV), Files: 1, Rows: set.Rows(), SHA256: set.SHA256}}, nil
	}
	set, info, err := dataset.Load(d.data, opts)
	if err != nil {
		return nil, err
	}
	src := sourceOf(jobspec.SourcePath, info)
	src.Path, src.Ref = d.data, d.dataRef
	return &loadedData{set: set, name: filepath.Base(filepath.Clean(d.data)), source: src}, nil
}

func sourceOf(kind string, info dataset.Info) jobspec.DataSource {
	formats := map[dataset.Format]bool{}
	var list []string
	for _, f := range info.Files {
		if !formats[f.Format] {
			formats[f.Format] = true
			list = append(list, string(f.Format))
		}
	}
	return jobspec.DataSource{Kind: kind, Format: strings.Join(list, ","), Files: len(info.Files), Rows: info.Rows, SHA256: info.SHA256}
}

// loadDataset downloads a dataset version of the ML repository and loads
// every file in it.
func loadDataset(ctx context.Context, d dataFlags, e *env, opts *dataset.Options) (*loadedData, error) {
	repo, err := connectModelRepo(e)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "trainer-dataset-*")
	if err != nil {
		return nil, fmt.Errorf("create a temporary folder for dataset %s: %w", d.datasetName, err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, d.datasetName)
	version := d.datasetVersion
	err = repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		ref := jfrog.DatasetRef{Repo: repo.repo, Name: d.datasetName, Version: d.datasetVersion}
		v, err := repo.client.ResolveDatasetVersion(ctx, tok, ref)
		if err != nil {
			return err
		}
		version, ref.Version = v, v
		_, err = repo.client.DownloadDatasetVersion(ctx, tok, ref, dir, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dataset %s version %s in repository %s: %w", d.datasetName, d.datasetVersion, repo.repo, err)
	}
	set, info, err := dataset.Load(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("dataset %s version %s: %w", d.datasetName, version, err)
	}
	set.Name = d.datasetName + "@" + version
	src := sourceOf(jobspec.SourceDataset, info)
	src.Dataset, src.DatasetVersion, src.Repository = d.datasetName, version, repo.repo
	return &loadedData{set: set, name: d.datasetName, source: src}, nil
}

// loadArtifactory downloads one file of any repository and loads it.
func loadArtifactory(ctx context.Context, d dataFlags, e *env, opts *dataset.Options) (*loadedData, error) {
	repoKey, p, _ := strings.Cut(d.artifactory, "/")
	repo, err := connectModelRepo(e)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "trainer-artifact-*")
	if err != nil {
		return nil, fmt.Errorf("create a temporary folder for %s: %w", d.artifactory, err)
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, path.Base(p))
	err = repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		os.Remove(local)
		_, err := repo.client.DownloadArtifact(ctx, tok, repoKey, p, local, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", d.artifactory, err)
	}
	set, info, err := dataset.Load(local, opts)
	if err != nil {
		return nil, fmt.Errorf("artifactory file %s: %w", d.artifactory, err)
	}
	set.Name = d.artifactory
	src := sourceOf(jobspec.SourceArtifactory, info)
	src.Artifactory, src.Repository = d.artifactory, repoKey
	return &loadedData{set: set, name: path.Base(p), source: src}, nil
}
