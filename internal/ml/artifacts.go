package ml

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

// Metadata is metadata.json: the reference trainer's keys plus provenance.
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

// SplitProvenance records how the data was split.
type SplitProvenance struct {
	// Column is the split column used, or empty for a random split.
	Column string `json:"column,omitempty"`
	// TestSize is the random split's test fraction; 0 with a split column.
	TestSize        float64 `json:"test_size,omitempty"`
	TrainingSamples int     `json:"training_samples"`
	TestSamples     int     `json:"test_samples"`
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

// DataSource records where the training data came from.
type DataSource struct {
	// Kind is SourceIris, SourcePath, SourceDataset or SourceArtifactory.
	Kind string `json:"kind"`
	// Path is the local file or folder (SourcePath).
	Path string `json:"path,omitempty"`
	// Ref is where Path came from, such as an AzureML datastore URI or
	// data asset (--data-ref).
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
	// sha256 of its "sha256  path" listing (see dataset.Info).
	SHA256 string `json:"sha256"`
}
