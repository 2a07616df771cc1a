package jobspec

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Metadata is metadata.json: the reference trainer's keys plus provenance.
// `trainer train` writes it next to the model and into OutputMetadata; the
// job service reads it from there.
type Metadata struct {
	ModelName     string   `json:"model_name"`
	Version       string   `json:"version"`
	ModelType     string   `json:"model_type"`
	Dataset       string   `json:"dataset"`
	Accuracy      float64  `json:"accuracy"`
	TrainingDate  string   `json:"training_date"`
	Features      []string `json:"features"`
	TargetClasses []string `json:"target_classes"`

	// ModelFile is the model file name in the output directory.
	ModelFile string `json:"model_file"`
	// ModelSHA256 is the hex sha256 of the whole model file.
	ModelSHA256 string `json:"model_sha256"`
	// DatasetSHA256 is the hex sha256 of the training data bytes.
	DatasetSHA256 string `json:"dataset_sha256"`
	// ModelSchemaVersion is the model file's schema version.
	ModelSchemaVersion int             `json:"model_schema_version"`
	Trainer            TrainerBuild    `json:"trainer"`
	Hyperparameters    Hyperparameters `json:"hyperparameters"`
	Seed               uint64          `json:"seed"`
	Split              SplitProvenance `json:"split"`
	Image              string          `json:"image,omitempty"`
	// DataSource records where the data came from, its sha256 and rows.
	DataSource *DataSource `json:"data_source,omitempty"`
}

// Kinds of DataSource.
const (
	// SourceIris is the embedded Iris set.
	SourceIris = "iris"
	// SourcePath is a local file or folder (for an AzureML job, its data input).
	SourcePath = "path"
	// SourceDataset is a dataset version of the Artifactory ML repository.
	SourceDataset = "dataset"
	// SourceArtifactory is one file of an Artifactory repository.
	SourceArtifactory = "artifactory"
)

// DataSource is metadata.json's data_source: where the training data came
// from.
type DataSource struct {
	// Kind is SourceIris, SourcePath, SourceDataset or SourceArtifactory.
	Kind string `json:"kind"`
	// Path is the local file or folder (SourcePath).
	Path string `json:"path,omitempty"`
	// Ref is where Path came from, such as an AzureML datastore URI or
	// data asset (the trainer's --data-ref).
	Ref string `json:"ref,omitempty"`
	// Dataset and DatasetVersion name the ML-repository dataset.
	Dataset        string `json:"dataset,omitempty"`
	DatasetVersion string `json:"dataset_version,omitempty"`
	// Repository is the Artifactory repository (SourceDataset, SourceArtifactory).
	Repository string `json:"repository,omitempty"`
	// Artifactory is REPO/PATH of the file (SourceArtifactory).
	Artifactory string `json:"artifactory,omitempty"`
	// Format lists the file formats read ("csv", "csv+gzip", "parquet").
	Format string `json:"format"`
	// Files is the number of files read.
	Files int `json:"files"`
	// Rows is the number of data rows read.
	Rows int `json:"rows"`
	// SHA256 identifies the data: the file's sha256, or for a folder the
	// sha256 of its "<sha256>  <relative path>" listing.
	SHA256 string `json:"sha256"`
}

// TrainerBuild identifies the trainer binary that produced a model.
type TrainerBuild struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
}

// Hyperparameters holds the parameters of the model kind that was trained.
type Hyperparameters struct {
	Forest   *ForestParams   `json:"random_forest,omitempty"`
	Logistic *LogisticParams `json:"logistic_regression,omitempty"`
}

// ForestParams are the random forest hyperparameters. Zero values mean the
// scikit-learn defaults.
type ForestParams struct {
	// NEstimators is the number of trees (default 100).
	NEstimators int `json:"n_estimators"`
	// MaxDepth limits tree depth; 0 grows until leaves are pure.
	MaxDepth int `json:"max_depth"`
	// MinSamplesLeaf is the least number of distinct samples in a leaf (default 1).
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// MinSamplesSplit is the least number of samples to split a node (default 2).
	MinSamplesSplit int `json:"min_samples_split"`
	// MaxFeatures is the number of features drawn per split; 0 means
	// floor(sqrt(features)).
	MaxFeatures int `json:"max_features"`
}

// LogisticParams are the logistic regression hyperparameters. Zero values
// mean the scikit-learn defaults.
type LogisticParams struct {
	// C is the inverse L2 regularization strength (default 1).
	C float64 `json:"C"`
	// MaxIter bounds the L-BFGS iterations (default 100).
	MaxIter int `json:"max_iter"`
}

// SplitProvenance records how the data was split.
type SplitProvenance struct {
	// Column is the split column used, or empty for a random split.
	Column string `json:"column,omitempty"`
	// TestSize is the random split's test fraction; 0 with a split column.
	TestSize        float64 `json:"test_size,omitempty"`
	TrainingSamples int     `json:"training_samples"`
	TestSamples     int     `json:"test_samples"`
}

// ParseMetadata decodes metadata.json and checks that it names the model
// version (model_name and version).
func ParseMetadata(b []byte) (Metadata, error) {
	var md Metadata
	if err := json.Unmarshal(b, &md); err != nil {
		return md, err
	}
	if md.ModelName == "" || md.Version == "" {
		return md, errors.New(MetadataFile + " lacks model_name or version")
	}
	return md, nil
}

// InferenceResults is inference_results.json, written by `trainer infer`
// into OutputInferenceResults: the reference's fields (model_path …
// probabilities) plus the model's identity. Predictions and TrueLabels are
// indices into TargetNames, as scikit-learn writes them.
type InferenceResults struct {
	ModelPath          string      `json:"model_path"`
	ModelType          string      `json:"model_type"`
	InferenceTimestamp string      `json:"inference_timestamp"`
	TestSamples        int         `json:"test_samples"`
	Accuracy           float64     `json:"accuracy"`
	Predictions        []int       `json:"predictions"`
	TrueLabels         []int       `json:"true_labels"`
	TargetNames        []string    `json:"target_names"`
	Features           []string    `json:"features"`
	InputData          [][]float64 `json:"input_data"`
	Probabilities      [][]float64 `json:"probabilities"`
	ModelName          string      `json:"model_name"`
	ModelVersion       string      `json:"model_version"`
	Repository         string      `json:"repository"`
	ModelSHA256        string      `json:"model_sha256"`
}

// ParseInferenceResults decodes inference_results.json and checks that
// every prediction is an index into target_names.
func ParseInferenceResults(b []byte) (InferenceResults, error) {
	var res InferenceResults
	if err := json.Unmarshal(b, &res); err != nil {
		return res, err
	}
	for _, p := range res.Predictions {
		if p < 0 || p >= len(res.TargetNames) {
			return res, fmt.Errorf("prediction %d is not an index into target_names", p)
		}
	}
	return res, nil
}
