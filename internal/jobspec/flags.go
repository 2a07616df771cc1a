package jobspec

// Flags of `trainer train` that name its training data, without the
// leading "--". The job service builds them from a training request's
// "data" field:
//
//	{"dataset": {"name": N, "version": V}} → --dataset N --dataset-version V (V may be "latest")
//	{"artifactory": "REPO/PATH"}           → --artifactory REPO/PATH
//	{"uri": U} or {"asset": A}             → --data ${{inputs.data}} --data-ref U|A
//
// plus --label, --split-column, --test-size and --features a,b,c. At most
// one of --data (other than "iris"), --dataset and --artifactory is given;
// --data-ref only with --data.
const (
	// FlagData is a local file or folder, or "iris" (the default).
	FlagData = "data"
	// FlagDataRef records where the --data path came from (an AzureML URI
	// or data asset), for provenance.
	FlagDataRef = "data-ref"
	// FlagDataset names a dataset of the ML repository (EnvMLRepo).
	FlagDataset = "dataset"
	// FlagDatasetVersion is its version, or "latest" (the default).
	FlagDatasetVersion = "dataset-version"
	// FlagArtifactory is REPO/PATH of one file of any repository.
	FlagArtifactory = "artifactory"
	// FlagFeatures is a comma-separated list of feature columns.
	FlagFeatures = "features"
	// FlagLabel is the label column (default "label").
	FlagLabel = "label"
	// FlagSplitColumn is a column of train/test per row.
	FlagSplitColumn = "split-column"
	// FlagTestSize is the test fraction of a random split.
	FlagTestSize = "test-size"
)

// InputData is the name of the job input that carries a datastore URI or
// data asset into the command, as ${{inputs.data}}.
const InputData = "data"
