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
