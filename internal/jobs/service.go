package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Job kinds, kept in the job's tags.
const (
	KindTraining   = "training"
	KindDeployment = "deployment"
	tagKind        = "frogbridge-kind"
	tagModel       = "frogbridge-model"
)

// Workspace is what the service needs of AzureML (*azureml.Client).
// Methods are safe for concurrent use.
type Workspace interface {
	PutRegistryConnection(ctx context.Context, name string, conn azureml.RegistryConnection) error
	PutEnvironmentVersion(ctx context.Context, name, version string, env azureml.EnvironmentVersion) (string, error)
	PutCommandJob(ctx context.Context, name string, job azureml.CommandJob) (azureml.Job, error)
	GetJob(ctx context.Context, name string) (azureml.Job, error)
	CancelJob(ctx context.Context, name string, opts *azureml.CancelJobOptions) error
	GetDefaultDatastore(ctx context.Context) (azureml.Datastore, error)
	GetDatastore(ctx context.Context, name string) (azureml.Datastore, error)
	StudioURL(job azureml.Job) string
	ComputeID(name string) string
}

// Credentials reads the JFrog credentials the rotation keeps in Key Vault
// (*keyvault.Store).
type Credentials interface {
	Current(ctx context.Context) (keyvault.Credentials, error)
}

// Outputs reads a job output file from a datastore.
type Outputs interface {
	Read(ctx context.Context, ds azureml.Datastore, blobPath string) ([]byte, error)
}

// Config holds the job settings: the handler's AzureML settings, and
// where the trainer finds the JFrog credentials.
type Config struct {
	config.Jobs
	// VaultURL and SecretName tell the trainer where the JFrog credentials
	// are (config.Rotation's VaultURL and SecretName).
	VaultURL   string
	SecretName string
	// PollInterval is how often Wait reads a job (DefaultPollInterval
	// when 0).
	PollInterval time.Duration
}

// Service submits jobs and reads their status. It is safe for concurrent use.
type Service struct {
	cfg     Config
	ws      Workspace
	creds   Credentials
	outputs Outputs
	now     func() time.Time
	// poll is how often Wait reads AzureML (DefaultPollInterval when 0).
	poll time.Duration
}

// NewService returns a Service.
func NewService(cfg Config, ws Workspace, creds Credentials, outputs Outputs) *Service {
	return &Service{cfg: cfg, ws: ws, creds: creds, outputs: outputs, now: time.Now, poll: cfg.PollInterval}
}

// Submitted is the answer to a submission.
type Submitted struct {
	JobName   string `json:"job_name"`
	Status    string `json:"status"`
	StudioURL string `json:"studio_url"`
	StatusURL string `json:"status_url"`
}

// Error is a failed submission or status read.
type Error struct {
	// Kind classifies the failure: errkind.NotFound for an unknown job,
	// errkind.Upstream for Key Vault, JFrog credential or AzureML failures.
	// The HTTP edge maps it to a status.
	Kind errkind.Kind
	// Step names the step that failed, such as "submit job train-…".
	Step string
	// Err is the cause.
	Err error
}

// Error returns "STEP: cause".
func (e *Error) Error() string { return e.Step + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorKind returns Kind (see errkind.Of).
func (e *Error) ErrorKind() errkind.Kind { return e.Kind }

func fail(kind errkind.Kind, step string, err error) error {
	return &Error{Kind: kind, Step: step, Err: err}
}

// RefreshConnection writes the current JFrog credentials from Key Vault
// into the workspace connection AzureML pulls the trainer image with. The
// rotation calls it after storing a new token, and every submission
// before it submits, so a queued job, a node added on scale-up or a
// retried job pulls with a token that has not rotated away.
func (s *Service) RefreshConnection(ctx context.Context) error {
	creds, err := s.creds.Current(ctx)
	if err != nil {
		return fail(errkind.Upstream, "read the JFrog credentials from Key Vault", fmt.Errorf("%w (the rotation function keeps them: run POST /api/KeyVaultSecretRotation?force=true and check GET /api/health)", err))
	}
	if err := creds.Check(s.now()); err != nil {
		return fail(errkind.Upstream, "check the JFrog credentials", fmt.Errorf("%w; run POST /api/KeyVaultSecretRotation?force=true", err))
	}
	conn := azureml.RegistryConnection{Target: "https://" + s.cfg.ArtifactoryHost, Username: creds.Username, Password: creds.AccessToken, Category: s.cfg.ConnectionCategory}
	if err := s.ws.PutRegistryConnection(ctx, s.cfg.ConnectionName, conn); err != nil {
		return fail(errkind.Upstream, "refresh workspace connection "+s.cfg.ConnectionName, err)
	}
	return nil
}

// prepare refreshes the registry connection with the current JFrog
// credentials and ensures the environment version for the image: the
// version is named after the full image reference (azureml.ImageVersion),
// so a new ARTIFACTORY_HOST or ARTIFACTORY_DOCKER_REPO gets a new version
// instead of colliding with an immutable one.
func (s *Service) prepare(ctx context.Context, tag string) (string, error) {
	if err := s.RefreshConnection(ctx); err != nil {
		return "", err
	}
	if tag == "" {
		tag = s.cfg.TrainerTag
	}
	image := s.cfg.ArtifactoryHost + "/" + s.cfg.DockerRepo + "/" + s.cfg.TrainerImage + ":" + tag
	id, err := s.ws.PutEnvironmentVersion(ctx, envName(s.cfg.TrainerImage), azureml.ImageVersion(image, tag), azureml.EnvironmentVersion{
		Image:       image,
		Description: "frogbridge trainer image from Artifactory",
		Tags:        map[string]string{"frogbridge-image": image},
	})
	if err != nil {
		return "", fail(errkind.Upstream, "ensure environment for "+image, err)
	}
	return id, nil
}

// envName derives the environment name from the image name.
func envName(image string) string {
	return strings.NewReplacer("/", "-", ".", "-").Replace(image)
}

// jobEnv is the environment the trainer reads on the compute.
func (s *Service) jobEnv(model string) map[string]string {
	env := map[string]string{
		jobspec.EnvKeyVaultURL:     s.cfg.VaultURL,
		jobspec.EnvSecretName:      s.cfg.SecretName,
		jobspec.EnvArtifactoryHost: s.cfg.ArtifactoryHost,
		jobspec.EnvMLRepo:          s.cfg.MLRepo,
		jobspec.EnvModelName:       model,
	}
	if s.cfg.ComputeClientID != "" {
		env[jobspec.EnvClientID] = s.cfg.ComputeClientID
	}
	return env
}

// submission is one job to submit: what the request asked for and the
// command the job runs. Empty fields take the configured defaults.
type submission struct {
	// Kind is KindTraining or KindDeployment, kept in the job's tags.
	Kind string
	// Prefix starts the job name (PREFIX-YYYYMMDDHHMMSS-RANDOM).
	Prefix string
	// Model is the model name, kept in the job's tags.
	Model string
	// ImageTag, Experiment, Compute and DisplayName come from the request.
	ImageTag, Experiment, Compute, DisplayName string
	// Tags are the request's tags; the kind and model tags are added.
	Tags map[string]string
	// Command is the command line the job runs.
	Command string
	// Inputs are the job's inputs (the training data), or nil.
	Inputs map[string]azureml.Input
	// Output is the named uri_folder output the command writes.
	Output string
	// Instances is the number of AzureML instances; over one, the job
	// runs with the PyTorch distribution (one process per instance).
	Instances int
}

func (s *Service) submit(ctx context.Context, sub submission) (Submitted, error) {
	envID, err := s.prepare(ctx, sub.ImageTag)
	if err != nil {
		return Submitted{}, err
	}
	name := newJobName(sub.Prefix, s.now())
	experiment := cmp.Or(sub.Experiment, s.cfg.Experiment)
	compute := cmp.Or(sub.Compute, s.cfg.Compute)
	display := cmp.Or(sub.DisplayName, sub.Kind+" "+sub.Model)
	allTags := map[string]string{}
	for k, v := range sub.Tags {
		allTags[k] = v
	}
	allTags[tagKind] = sub.Kind
	allTags[tagModel] = sub.Model
	job := azureml.CommandJob{
		DisplayName:          display,
		ExperimentName:       experiment,
		Description:          "submitted by frogbridge",
		Tags:                 allTags,
		ComputeID:            s.ws.ComputeID(compute),
		EnvironmentID:        envID,
		Command:              sub.Command,
		EnvironmentVariables: s.jobEnv(sub.Model),
		Inputs:               sub.Inputs,
		Outputs: map[string]azureml.Output{sub.Output: {
			Type: azureml.OutputURIFolder, Mode: azureml.ModeUpload,
			URI: "azureml://datastores/workspaceblobstore/paths/azureml/" + name + "/" + sub.Output + "/",
		}},
		Identity: &azureml.ManagedIdentity{ClientID: s.cfg.ComputeClientID},
		Timeout:  2 * time.Hour,
	}
	if sub.Instances > 1 {
		job.InstanceCount, job.Distribution = sub.Instances, &azureml.Distribution{ProcessCountPerInstance: 1}
	}
	j, err := s.ws.PutCommandJob(ctx, name, job)
	if err != nil {
		return Submitted{}, fail(errkind.Upstream, "submit job "+name, err)
	}
	return Submitted{JobName: j.Name, Status: string(j.Status), StudioURL: s.ws.StudioURL(j), StatusURL: "/api/jobs/" + j.Name}, nil
}

// SubmitTraining submits `trainer train` with the request's settings.
func (s *Service) SubmitTraining(ctx context.Context, req *TrainingRequest) (Submitted, error) {
	model := cmp.Or(req.ModelName, s.cfg.ModelName)
	args := []string{"trainer", "train", "--metadata-dir", "${{outputs." + jobspec.OutputMetadata + "}}", "--model-name", model}
	if req.Upload == nil || *req.Upload {
		args = append(args, "--upload")
	}
	args = append(args, req.Args...)
	var inputs map[string]azureml.Input
	if req.Input != nil {
		// Download rather than AzureML's default ReadOnlyMount: the trainer
		// reads every byte once, and a download fails before the process
		// starts when the path is missing.
		inputs = map[string]azureml.Input{DataInputName: {Type: req.Input.Type, URI: req.Input.URI, Mode: azureml.ModeDownload}}
	}
	return s.submit(ctx, submission{
		Kind: KindTraining, Prefix: "train", Model: model,
		ImageTag: req.ImageTag, Experiment: req.ExperimentName, Compute: req.Compute, DisplayName: req.DisplayName, Tags: req.Tags,
		Command: strings.Join(args, " "), Inputs: inputs, Output: jobspec.OutputMetadata, Instances: req.Instances,
	})
}

// SubmitDeployment submits `trainer infer` for a model version.
func (s *Service) SubmitDeployment(ctx context.Context, req *DeploymentRequest) (Submitted, error) {
	args := []string{"trainer", "infer", "--model-name", req.ModelName, "--model-version", req.ModelVersion,
		"--inference-results-dir", "${{outputs." + jobspec.OutputInferenceResults + "}}"}
	return s.submit(ctx, submission{
		Kind: KindDeployment, Prefix: "deploy", Model: req.ModelName,
		ImageTag: req.ImageTag, Experiment: req.ExperimentName, Compute: req.Compute, DisplayName: req.DisplayName, Tags: req.Tags,
		Command: strings.Join(args, " "), Output: jobspec.OutputInferenceResults,
	})
}

// Status is the answer to GET /api/jobs/{name}.
type Status struct {
	JobName     string `json:"job_name"`
	Kind        string `json:"kind,omitempty"`
	Status      string `json:"status"`
	DisplayName string `json:"display_name,omitempty"`
	StudioURL   string `json:"studio_url"`
	// Terminal is true once the job is Completed, Failed or Canceled.
	Terminal bool   `json:"terminal"`
	Error    string `json:"error,omitempty"`
	// Data is the job's data input (a datastore URI or a data asset), as
	// the job definition holds it.
	Data       *StatusInput      `json:"data,omitempty"`
	Training   *TrainingOutput   `json:"training,omitempty"`
	Deployment *DeploymentOutput `json:"deployment,omitempty"`
}

// StatusInput is a job's uri_file or uri_folder input.
type StatusInput struct {
	Type string `json:"type"`
	URI  string `json:"uri"`
}

// TrainingOutput is read from the metadata output of a completed training.
type TrainingOutput struct {
	ModelName string  `json:"model_name"`
	Version   string  `json:"version"`
	ModelType string  `json:"model_type,omitempty"`
	Accuracy  float64 `json:"accuracy"`
	// ModelSHA256 is the sha256 of model.json, the same for any
	// instance_count and workers with the same seed.
	ModelSHA256 string `json:"model_sha256,omitempty"`
	// Dataset names the training data as the trainer recorded it.
	Dataset string `json:"dataset,omitempty"`
	// DatasetSHA256 is the sha256 of the training data.
	DatasetSHA256 string `json:"dataset_sha256,omitempty"`
	// DataSource is the trainer's record of where the data came from
	// (metadata.json data_source), when it wrote one.
	DataSource *jobspec.DataSource `json:"data_source,omitempty"`
}

// DeploymentOutput is read from inference_results.json of a completed
// deployment.
type DeploymentOutput struct {
	ModelPath         string   `json:"model_path,omitempty"`
	Accuracy          float64  `json:"accuracy"`
	TestSamples       int      `json:"test_samples"`
	SamplePredictions []string `json:"sample_predictions"`
}

// Status reads a job and, once it completed, its outputs.
func (s *Service) Status(ctx context.Context, name string) (Status, error) {
	if len(name) > 255 || !JobNamePattern.MatchString(name) {
		return Status{}, invalid("name", "%q is not a job name", name)
	}
	j, err := s.ownJob(ctx, "read job", name)
	if err != nil {
		return Status{}, err
	}
	st := Status{JobName: j.Name, Kind: j.Tags[tagKind], Status: string(j.Status), DisplayName: j.DisplayName, StudioURL: s.ws.StudioURL(j), Terminal: j.Status.Terminal()}
	if j.Status == azureml.StatusFailed || j.Status == azureml.StatusCanceled {
		// AzureML's error text carries whatever the job printed last
		// (a trainer's stderr); it passes the redactor before it leaves.
		st.Error = redact.Upstream(j.Error)
	}
	if in, ok := j.Inputs[DataInputName]; ok && in.URI != "" {
		st.Data = &StatusInput{Type: string(in.Type), URI: in.URI}
	}
	if j.Status != azureml.StatusCompleted || (st.Kind != KindTraining && st.Kind != KindDeployment) {
		return st, nil
	}
	output := jobspec.OutputMetadata
	if st.Kind == KindDeployment {
		output = jobspec.OutputInferenceResults
	}
	ds, err := s.outputDatastore(ctx, j, output)
	if err != nil {
		return st, err
	}
	switch st.Kind {
	case KindTraining:
		path := azureml.OutputPrefix(j, jobspec.OutputMetadata) + jobspec.MetadataFile
		b, err := s.readOutput(ctx, ds, path)
		if err != nil {
			return st, err
		}
		md, err := ParseTrainingOutput(b)
		if err != nil {
			return st, fail(errkind.Upstream, "parse job output "+path, err)
		}
		st.Training = &md
	case KindDeployment:
		path := azureml.OutputPrefix(j, jobspec.OutputInferenceResults) + jobspec.InferenceResultsFile
		b, err := s.readOutput(ctx, ds, path)
		if err != nil {
			return st, err
		}
		out, err := ParseDeploymentOutput(b)
		if err != nil {
			return st, fail(errkind.Upstream, "parse job output "+path, err)
		}
		st.Deployment = &out
	}
	return st, nil
}

// ErrNotOurs matches (errors.Is) a job that exists in the workspace but
// was not submitted by this service (it lacks the frogbridge-kind tag).
// Status and Cancel answer it like a missing job (404), so the endpoints
// neither act on other jobs nor tell which exist.
var ErrNotOurs = errors.New("jobs: not submitted by frogbridge")

// ownJob reads job name and refuses it with 404 unless this service
// submitted it (see ErrNotOurs).
func (s *Service) ownJob(ctx context.Context, step, name string) (azureml.Job, error) {
	j, err := s.ws.GetJob(ctx, name)
	switch {
	case errors.Is(err, upstream.ErrNotFound):
		return azureml.Job{}, fail(errkind.NotFound, step+" "+name, fmt.Errorf("no job %s submitted by frogbridge in this workspace", name))
	case err != nil:
		return azureml.Job{}, fail(errkind.Upstream, step+" "+name, err)
	}
	if k := j.Tags[tagKind]; k != KindTraining && k != KindDeployment {
		return azureml.Job{}, fail(errkind.NotFound, step+" "+name, fmt.Errorf("no job %s submitted by frogbridge in this workspace: %w", name, ErrNotOurs))
	}
	return j, nil
}

// CancelAccepted is the answer to a cancellation AzureML accepted.
type CancelAccepted struct {
	JobName string `json:"job_name"`
	// Status is CancelRequested, or the terminal status the job had
	// already reached.
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

// Cancel asks AzureML to cancel a job this service submitted and returns
// as soon as AzureML accepted it, without waiting for the job to stop
// (follow StatusURL).
func (s *Service) Cancel(ctx context.Context, name string) (CancelAccepted, error) {
	if len(name) > 255 || !JobNamePattern.MatchString(name) {
		return CancelAccepted{}, invalid("name", "%q is not a job name", name)
	}
	j, err := s.ownJob(ctx, "cancel job", name)
	if err != nil {
		return CancelAccepted{}, err
	}
	if err := s.ws.CancelJob(ctx, name, nil); err != nil {
		if errors.Is(err, upstream.ErrNotFound) {
			return CancelAccepted{}, fail(errkind.NotFound, "cancel job "+name, err)
		}
		return CancelAccepted{}, fail(errkind.Upstream, "cancel job "+name, err)
	}
	status := "CancelRequested"
	switch j.Status {
	case azureml.StatusCompleted, azureml.StatusFailed, azureml.StatusCanceled:
		status = string(j.Status)
	}
	return CancelAccepted{JobName: name, Status: status, StatusURL: "/api/jobs/" + name}, nil
}

// outputDatastore returns the datastore the job's output URI names (jobs
// write there, whatever the workspace's default is), or the default
// datastore when the URI names none.
func (s *Service) outputDatastore(ctx context.Context, j azureml.Job, output string) (azureml.Datastore, error) {
	name := azureml.OutputDatastore(j, output)
	if name == "" {
		ds, err := s.ws.GetDefaultDatastore(ctx)
		if err != nil {
			return azureml.Datastore{}, fail(errkind.Upstream, "read the workspace's default datastore", err)
		}
		return ds, nil
	}
	ds, err := s.ws.GetDatastore(ctx, name)
	if err != nil {
		return azureml.Datastore{}, fail(errkind.Upstream, "read datastore "+name+" named by the job's output "+output, err)
	}
	return ds, nil
}

func (s *Service) readOutput(ctx context.Context, ds azureml.Datastore, path string) ([]byte, error) {
	b, err := s.outputs.Read(ctx, ds, path)
	if err != nil {
		return nil, fail(errkind.Upstream, "read job output "+path+" from datastore "+ds.Name, err)
	}
	return b, nil
}

// ParseTrainingOutput parses the trainer's metadata.json
// (jobspec.Metadata) into the status answer's training part.
func ParseTrainingOutput(b []byte) (TrainingOutput, error) {
	md, err := jobspec.ParseMetadata(b)
	if err != nil {
		return TrainingOutput{}, err
	}
	return TrainingOutput{ModelName: md.ModelName, Version: md.Version, ModelType: md.ModelType, Accuracy: md.Accuracy,
		ModelSHA256: md.ModelSHA256, Dataset: md.Dataset, DatasetSHA256: md.DatasetSHA256, DataSource: md.DataSource}, nil
}

// ParseDeploymentOutput parses the trainer's inference_results.json
// (jobspec.InferenceResults) and keeps up to five sample predictions as
// class names (predictions are indices into target_names, as scikit-learn
// writes them).
func ParseDeploymentOutput(b []byte) (DeploymentOutput, error) {
	res, err := jobspec.ParseInferenceResults(b)
	if err != nil {
		return DeploymentOutput{}, err
	}
	sample := make([]string, 0, min(5, len(res.Predictions)))
	for _, p := range res.Predictions[:cap(sample)] {
		sample = append(sample, res.TargetNames[p])
	}
	return DeploymentOutput{ModelPath: res.ModelPath, Accuracy: res.Accuracy, TestSamples: res.TestSamples, SamplePredictions: sample}, nil
}

// newJobName returns PREFIX-YYYYMMDDHHMMSS-RANDOM, unique in a workspace.
func newJobName(prefix string, now time.Time) string {
	var b [4]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		panic(err)
	}
	return prefix + "-" + now.UTC().Format("20060102150405") + "-" + hex.EncodeToString(b[:])
}
