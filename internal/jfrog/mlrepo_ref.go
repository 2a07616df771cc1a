package jfrog

// ModelRef names a model version in an Artifactory Machine Learning
// repository. The calls that take one validate it before any request (see
// ValidateRepoKey, ValidateModelName and ValidateModelVersion).
type ModelRef struct {
	// Repo is the repository key (packageType machinelearning).
	Repo string
	// Name is the model name.
	Name string
	// Version is the model version. ResolveVersion also accepts
	// LatestVersion; ListModelVersions ignores it; UploadModelVersion gives
	// an empty one frogml's default.
	Version string
}

// String returns "repo:name/version", the way errors name a version.
func (r ModelRef) String() string { return r.Repo + ":" + r.Name + "/" + r.Version }

// DatasetRef names a dataset version in an Artifactory Machine Learning
// repository, with the rules of ModelRef (frogml validates dataset names
// and versions as model names and versions).
type DatasetRef ModelRef

// String returns "repo:name/version".
func (r DatasetRef) String() string { return ModelRef(r).String() }
