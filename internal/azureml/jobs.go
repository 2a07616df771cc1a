package azureml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// JobStatus is AzureML's properties.status of a job.
type JobStatus string

// Job statuses (JobStatus enum of api-version 2025-09-01).
const (
	StatusNotStarted      JobStatus = "NotStarted"
	StatusStarting        JobStatus = "Starting"
	StatusProvisioning    JobStatus = "Provisioning"
	StatusPreparing       JobStatus = "Preparing"
	StatusQueued          JobStatus = "Queued"
	StatusRunning         JobStatus = "Running"
	StatusFinalizing      JobStatus = "Finalizing"
	StatusCancelRequested JobStatus = "CancelRequested"
	StatusCompleted       JobStatus = "Completed"
	StatusFailed          JobStatus = "Failed"
	StatusCanceled        JobStatus = "Canceled"
	StatusNotResponding   JobStatus = "NotResponding"
	StatusPaused          JobStatus = "Paused"
	StatusUnknown         JobStatus = "Unknown"
)

// Terminal reports whether the job has finished: Completed, Failed or
// Canceled.
func (s JobStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCanceled
}

// OutputType is a job output's jobOutputType.
type OutputType string

// Output types.
const (
	OutputURIFolder OutputType = "uri_folder"
	OutputURIFile   OutputType = "uri_file"
)

// OutputMode is a job output's delivery mode.
type OutputMode string

// Output modes.
const (
	ModeReadWriteMount OutputMode = "ReadWriteMount"
	ModeUpload         OutputMode = "Upload"
	ModeDirect         OutputMode = "Direct"
)

// InputType is a job input's jobInputType (JobInputType in mfe.json,
// api-version 2025-09-01).
type InputType string

// Input types the suite uses.
const (
	InputLiteral   InputType = "literal"
	InputURIFile   InputType = "uri_file"
	InputURIFolder InputType = "uri_folder"
)

// InputMode is an asset input's delivery mode (InputDeliveryMode in
// mfe.json, 2025-09-01; AssetJobInput.mode defaults to ReadOnlyMount).
type InputMode string

// Input modes.
const (
	ModeReadOnlyMount InputMode = "ReadOnlyMount"
	ModeDownload      InputMode = "Download"
	ModeDirectInput   InputMode = "Direct"
)

// Input is a named job input. A literal input (LiteralJobInput) carries
// Value; a uri_file or uri_folder input (UriFileJobInput,
// UriFolderJobInput: AssetJobInput with a required uri and a mode) carries
// URI, such as azureml://datastores/<ds>/paths/<path> or
// azureml:<data asset>:<version>, which AzureML resolves to a local path
// substituted for ${{inputs.<name>}} (mfe.json, 2025-09-01).
type Input struct {
	// Type is the input type; empty means literal.
	Type InputType
	// Value is a literal input's value.
	Value string
	// URI is a uri_file or uri_folder input's URI.
	URI string
	// Mode is the delivery mode of a uri input; empty means AzureML's
	// default, ReadOnlyMount.
	Mode InputMode
}

// Output is a named job output.
type Output struct {
	// Type is the output type (default uri_folder).
	Type OutputType
	// Mode is the delivery mode (AzureML's default is ReadWriteMount).
	Mode OutputMode
	// URI is where the output lands, such as
	// azureml://datastores/workspaceblobstore/paths/azureml/run-42/model/;
	// empty lets AzureML choose azureml/<job>/<output>/ on the default
	// datastore.
	URI string
}

// ManagedIdentity makes the job use the compute's managed identity for data
// access. An empty ClientID means the system-assigned identity.
type ManagedIdentity struct {
	ClientID string
}

// CommandJob is the definition of a command job.
type CommandJob struct {
	DisplayName    string
	ExperimentName string
	Description    string
	Tags           map[string]string
	// ComputeID is the compute's ARM ID (see Client.ComputeID); empty means
	// serverless compute.
	ComputeID string
	// EnvironmentID is the environment version's ARM ID (required).
	EnvironmentID string
	// Command is the command line, with ${{inputs.x}} and ${{outputs.y}}
	// expressions (required).
	Command string
	// EnvironmentVariables are visible in the job definition: never put
	// secrets here.
	EnvironmentVariables map[string]string
	// Inputs are named inputs, referenced as ${{inputs.<name>}}.
	Inputs map[string]Input
	// Outputs are named outputs, referenced as ${{outputs.<name>}}.
	Outputs map[string]Output
	// Identity, when non-nil, runs the job with a managed identity; nil
	// means AzureML's default (AMLToken).
	Identity *ManagedIdentity
	// Timeout bounds the job's run time; zero means no limit.
	Timeout time.Duration
	// InstanceCount is resources.instanceCount, the number of compute
	// instances; zero leaves AzureML's default (1).
	InstanceCount int
	// Distribution, when non-nil, runs the command as several processes
	// (see distribution.go).
	Distribution *Distribution
}

// JobService is an endpoint AzureML exposes for a job, such as Studio.
type JobService struct {
	Type         string
	Endpoint     string
	Status       string
	ErrorMessage string
}

// Job is a job as AzureML reports it.
type Job struct {
	Name           string
	ID             string
	Type           string
	Status         JobStatus
	DisplayName    string
	ExperimentName string
	Description    string
	Tags           map[string]string
	Command        string
	EnvironmentID  string
	ComputeID      string
	Inputs         map[string]Input
	Outputs        map[string]Output
	Services       map[string]JobService
	// Error is AzureML's message when the job failed, else empty. ParseJob
	// can only take it from a job service's errorMessage; GetJob reads the
	// run history (the job resource has no error property).
	Error string
	// ErrorCode is AzureML's error code when the job failed, else empty.
	ErrorCode string
	// CreatedAt is systemData.createdAt (zero when absent).
	CreatedAt time.Time
	// InstanceCount is resources.instanceCount (0 when absent: one).
	InstanceCount int
	// Distribution is the PyTorch distribution, nil when absent.
	Distribution *Distribution
}

// PutCommandJob submits (or, for an existing name, updates the tags of) the
// command job name and returns it as AzureML reports it, normally with
// status NotStarted.
func (c *Client) PutCommandJob(ctx context.Context, name string, job CommandJob) (Job, error) {
	if err := ValidateJobName(name); err != nil {
		return Job{}, err
	}
	if job.Command == "" || job.EnvironmentID == "" {
		return Job{}, fmt.Errorf("azureml: submit job %s: command and environment id are required", name)
	}
	body, err := commandJobBody(job)
	if err != nil {
		return Job{}, fmt.Errorf("azureml: submit job %s: %w", name, err)
	}
	resp, err := c.send(ctx, "submit job "+name, http.MethodPut, c.url("/jobs/"+url.PathEscape(name)), body,
		http.StatusOK, http.StatusCreated)
	if err != nil {
		return Job{}, err
	}
	return c.decodeJob("submit job "+name, resp)
}

// GetJob returns job name. For a Failed job, Error and ErrorCode come from
// the run history (see runhistory.go), else from the first job service
// that reports an error; when AzureML gives neither, Error is
// NoErrorDetail, followed by why the run history could not be read when
// that is the reason.
func (c *Client) GetJob(ctx context.Context, name string) (Job, error) {
	if err := ValidateJobName(name); err != nil {
		return Job{}, err
	}
	resp, err := c.send(ctx, "get job "+name, http.MethodGet, c.url("/jobs/"+url.PathEscape(name)), nil, http.StatusOK)
	if err != nil {
		return Job{}, err
	}
	j, err := c.decodeJob("get job "+name, resp)
	if err != nil || j.Status != StatusFailed {
		return j, err
	}
	code, msg, rerr := c.runError(ctx, name)
	switch {
	case msg != "":
		j.Error, j.ErrorCode = msg, code
	case j.Error != "":
		// A job service's errorMessage (set by ParseJob).
	case rerr != nil:
		j.Error = NoErrorDetail + " (" + upstream.Clean(rerr.Error(), upstream.MaxMessage) + ")"
	default:
		j.Error = NoErrorDetail
	}
	return j, nil
}

// CancelJobOptions configures CancelJob; nil means the zero value.
type CancelJobOptions struct {
	// Wait follows the long-running operation until it is done (the job
	// then reads Canceled, or the terminal status it reached first). When
	// false, CancelJob returns as soon as AzureML accepted the cancellation
	// (200, or 202 with an operation to poll) and the job goes
	// CancelRequested → Canceled on its own.
	Wait bool
}

// CancelJob asks AzureML to cancel job name. The cancel is a long-running
// operation: POST .../jobs/{name}/cancel answers 202 with a Location to
// poll, or 200 (Azure/azure-rest-api-specs, machinelearningservices
// stable/2025-12-01/examples/Job/cancel.json; armmachinelearning's
// JobsClient.BeginCancel accepts 200 and 202). ctx bounds the whole call,
// the wait included when opts.Wait is set.
func (c *Client) CancelJob(ctx context.Context, name string, opts *CancelJobOptions) error {
	if err := ValidateJobName(name); err != nil {
		return err
	}
	op := "cancel job " + name
	resp, err := c.send(ctx, op, http.MethodPost, c.url("/jobs/"+url.PathEscape(name)+"/cancel"), nil,
		http.StatusOK, http.StatusAccepted)
	if err != nil {
		return err
	}
	if opts == nil || !opts.Wait {
		resp.Body.Close()
		return nil
	}
	poller, err := runtime.NewPoller[struct{}](resp, c.pl, nil)
	if err != nil {
		return fmt.Errorf("azureml %s: follow the operation: %w", op, err)
	}
	if _, err := poller.PollUntilDone(ctx, c.pollOptions()); err != nil {
		var are *azcore.ResponseError
		if errors.As(err, &are) && are.RawResponse != nil {
			// The operation itself failed; azcore has read its body.
			return c.responseError(are.RawResponse, are.ErrorCode, "")
		}
		return c.wrapError(op, err)
	}
	return nil
}

// decodeJob reads a job reply.
func (c *Client) decodeJob(op string, resp *http.Response) (Job, error) {
	b, err := readBody(resp)
	if err != nil {
		return Job{}, c.wrapError(op, fmt.Errorf("read reply: %w", err))
	}
	j, err := ParseJob(b)
	if err != nil {
		return Job{}, fmt.Errorf("azureml %s: %w", op, err)
	}
	return j, nil
}

// The wire shapes of a job resource.
type (
	jobResource struct {
		ID         string         `json:"id,omitempty"`
		Name       string         `json:"name,omitempty"`
		Type       string         `json:"type,omitempty"`
		Properties jobProperties  `json:"properties"`
		SystemData *jobSystemData `json:"systemData,omitempty"`
	}
	jobProperties struct {
		JobType              string                    `json:"jobType"`
		Status               string                    `json:"status,omitempty"`
		DisplayName          string                    `json:"displayName,omitempty"`
		ExperimentName       string                    `json:"experimentName,omitempty"`
		Description          string                    `json:"description,omitempty"`
		Tags                 map[string]string         `json:"tags,omitempty"`
		ComputeID            string                    `json:"computeId,omitempty"`
		EnvironmentID        string                    `json:"environmentId,omitempty"`
		Command              string                    `json:"command,omitempty"`
		EnvironmentVariables map[string]string         `json:"environmentVariables,omitempty"`
		Inputs               map[string]jobInput       `json:"inputs,omitempty"`
		Outputs              map[string]jobOutput      `json:"outputs,omitempty"`
		Identity             *jobIdentity              `json:"identity,omitempty"`
		Limits               *jobLimits                `json:"limits,omitempty"`
		Services             map[string]jobServiceWire `json:"services,omitempty"`
		Resources            *jobResources             `json:"resources,omitempty"`
		Distribution         *jobDistribution          `json:"distribution,omitempty"`
	}
	jobInput struct {
		JobInputType string `json:"jobInputType"`
		Value        string `json:"value,omitempty"`
		URI          string `json:"uri,omitempty"`
		Mode         string `json:"mode,omitempty"`
	}
	jobOutput struct {
		JobOutputType string `json:"jobOutputType"`
		Mode          string `json:"mode,omitempty"`
		URI           string `json:"uri,omitempty"`
	}
	jobIdentity struct {
		IdentityType string `json:"identityType"`
		ClientID     string `json:"clientId,omitempty"`
	}
	jobLimits struct {
		JobLimitsType string `json:"jobLimitsType"`
		Timeout       string `json:"timeout,omitempty"`
	}
	jobServiceWire struct {
		JobServiceType string `json:"jobServiceType,omitempty"`
		Endpoint       string `json:"endpoint,omitempty"`
		Status         string `json:"status,omitempty"`
		ErrorMessage   string `json:"errorMessage,omitempty"`
	}
	jobSystemData struct {
		CreatedAt string `json:"createdAt,omitempty"`
	}
)

// commandJobBody builds the PUT body of a command job.
func commandJobBody(job CommandJob) (jobResource, error) {
	p := jobProperties{
		JobType:              "Command",
		DisplayName:          job.DisplayName,
		ExperimentName:       job.ExperimentName,
		Description:          job.Description,
		Tags:                 job.Tags,
		ComputeID:            job.ComputeID,
		EnvironmentID:        job.EnvironmentID,
		Command:              job.Command,
		EnvironmentVariables: job.EnvironmentVariables,
	}
	if len(job.Inputs) > 0 {
		p.Inputs = make(map[string]jobInput, len(job.Inputs))
		for k, in := range job.Inputs {
			if err := ValidateOutputName(k); err != nil {
				return jobResource{}, err
			}
			w, err := inputWire(k, in)
			if err != nil {
				return jobResource{}, err
			}
			p.Inputs[k] = w
		}
	}
	if len(job.Outputs) > 0 {
		p.Outputs = make(map[string]jobOutput, len(job.Outputs))
		for k, o := range job.Outputs {
			if err := ValidateOutputName(k); err != nil {
				return jobResource{}, err
			}
			t := o.Type
			if t == "" {
				t = OutputURIFolder
			}
			p.Outputs[k] = jobOutput{JobOutputType: string(t), Mode: string(o.Mode), URI: o.URI}
		}
	}
	if job.Identity != nil {
		p.Identity = &jobIdentity{IdentityType: "Managed", ClientID: job.Identity.ClientID}
	}
	if job.Timeout < 0 {
		return jobResource{}, fmt.Errorf("timeout %s is negative", job.Timeout)
	}
	if job.Timeout > 0 {
		p.Limits = &jobLimits{JobLimitsType: "Command", Timeout: FormatDuration(job.Timeout)}
	}
	if err := setDistribution(&p, job); err != nil {
		return jobResource{}, err
	}
	return jobResource{Properties: p}, nil
}

// inputWire checks an input and returns its wire shape.
func inputWire(name string, in Input) (jobInput, error) {
	switch in.Type {
	case "", InputLiteral:
		if in.URI != "" || in.Mode != "" {
			return jobInput{}, fmt.Errorf("input %s: a literal input takes a value, not a uri or mode", name)
		}
		return jobInput{JobInputType: string(InputLiteral), Value: in.Value}, nil
	case InputURIFile, InputURIFolder:
		if in.URI == "" || in.Value != "" {
			return jobInput{}, fmt.Errorf("input %s: a %s input takes a uri, not a value", name, in.Type)
		}
		return jobInput{JobInputType: string(in.Type), URI: in.URI, Mode: string(in.Mode)}, nil
	default:
		return jobInput{}, fmt.Errorf("input %s: type %q is not literal, uri_file or uri_folder", name, in.Type)
	}
}

// ParseJob decodes an ARM job resource. It rejects bodies that are not a
// JSON object with a properties object.
func ParseJob(body []byte) (Job, error) {
	var r jobResource
	var probe struct {
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return Job{}, fmt.Errorf("decode job: %w", err)
	}
	if len(probe.Properties) == 0 || probe.Properties[0] != '{' {
		return Job{}, errors.New("decode job: reply has no properties object")
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return Job{}, fmt.Errorf("decode job: %w", err)
	}
	p := r.Properties
	j := Job{
		Name: r.Name, ID: r.ID, Type: p.JobType, Status: JobStatus(p.Status),
		DisplayName: p.DisplayName, ExperimentName: p.ExperimentName, Description: p.Description,
		Tags: p.Tags, Command: p.Command, EnvironmentID: p.EnvironmentID, ComputeID: p.ComputeID,
	}
	j.Distribution, j.InstanceCount = distributionOf(p)
	if len(p.Inputs) > 0 {
		j.Inputs = make(map[string]Input, len(p.Inputs))
		for k, in := range p.Inputs {
			j.Inputs[k] = Input{Type: InputType(in.JobInputType), Value: in.Value, URI: in.URI, Mode: InputMode(in.Mode)}
		}
	}
	if len(p.Outputs) > 0 {
		j.Outputs = make(map[string]Output, len(p.Outputs))
		for k, o := range p.Outputs {
			j.Outputs[k] = Output{Type: OutputType(o.JobOutputType), Mode: OutputMode(o.Mode), URI: o.URI}
		}
	}
	if len(p.Services) > 0 {
		j.Services = make(map[string]JobService, len(p.Services))
		for k, s := range p.Services {
			j.Services[k] = JobService{Type: s.JobServiceType, Endpoint: s.Endpoint, Status: s.Status,
				ErrorMessage: upstream.Clean(s.ErrorMessage, upstream.MaxMessage)}
		}
	}
	if j.Status == StatusFailed {
		// Fall back to the first service that reports an error.
		for _, s := range j.Services {
			if s.ErrorMessage != "" {
				j.Error = s.ErrorMessage
				break
			}
		}
	}
	if r.SystemData != nil && r.SystemData.CreatedAt != "" {
		if t, err := time.Parse(time.RFC3339Nano, r.SystemData.CreatedAt); err == nil {
			j.CreatedAt = t
		}
	}
	return j, nil
}
