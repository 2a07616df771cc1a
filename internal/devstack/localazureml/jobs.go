package localazureml

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// jobResource is the wire shape of a job.
type jobResource struct {
	ID         string     `json:"id,omitempty"`
	Name       string     `json:"name,omitempty"`
	Type       string     `json:"type,omitempty"`
	Properties jobProps   `json:"properties"`
	SystemData systemData `json:"systemData,omitzero"`
}

// jobProps are a Command job's properties, as submitted and as reported.
type jobProps struct {
	JobType              string                `json:"jobType"`
	Status               string                `json:"status,omitempty"`
	DisplayName          string                `json:"displayName,omitempty"`
	ExperimentName       string                `json:"experimentName,omitempty"`
	Description          string                `json:"description,omitempty"`
	Tags                 map[string]string     `json:"tags,omitempty"`
	Properties           map[string]string     `json:"properties,omitempty"`
	ComputeID            string                `json:"computeId,omitempty"`
	EnvironmentID        string                `json:"environmentId,omitempty"`
	Command              string                `json:"command,omitempty"`
	EnvironmentVariables map[string]string     `json:"environmentVariables,omitempty"`
	Inputs               map[string]jobInput   `json:"inputs,omitempty"`
	Outputs              map[string]jobOutput  `json:"outputs,omitempty"`
	Identity             *jobIdentity          `json:"identity,omitempty"`
	Resources            map[string]any        `json:"resources,omitempty"`
	Limits               *jobLimits            `json:"limits,omitempty"`
	Services             map[string]jobService `json:"services,omitempty"`
	Distribution         *jobDistribution      `json:"distribution,omitempty"`
}

type jobInput struct {
	JobInputType string `json:"jobInputType"`
	Value        string `json:"value,omitempty"`
	URI          string `json:"uri,omitempty"`
	Mode         string `json:"mode,omitempty"`
	Description  string `json:"description,omitempty"`
}

type jobOutput struct {
	JobOutputType string `json:"jobOutputType"`
	Mode          string `json:"mode,omitempty"`
	URI           string `json:"uri,omitempty"`
}

type jobIdentity struct {
	IdentityType string `json:"identityType"`
	ClientID     string `json:"clientId,omitempty"`
	ObjectID     string `json:"objectId,omitempty"`
	ResourceID   string `json:"resourceId,omitempty"`
}

type jobLimits struct {
	JobLimitsType string `json:"jobLimitsType"`
	Timeout       string `json:"timeout,omitempty"`
}

type jobService struct {
	JobServiceType string `json:"jobServiceType"`
	Endpoint       string `json:"endpoint,omitempty"`
	Status         string `json:"status,omitempty"`
	ErrorMessage   string `json:"errorMessage,omitempty"`
}

var (
	outputTypes = map[string]bool{"uri_file": true, "uri_folder": true, "mltable": true, "custom_model": true, "mlflow_model": true, "triton_model": true}
	outputModes = map[string]bool{"": true, "ReadWriteMount": true, "Upload": true, "Direct": true}
	identities  = map[string]bool{"Managed": true, "AMLToken": true, "UserIdentity": true}
	ioName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)
	literalOK   = regexp.MustCompile(`[A-Za-z0-9_]`)
	computeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{1,31}$`)
	expression  = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
)

// defaultDatastore is the name of the blob datastore every workspace has.
const defaultDatastore = "workspaceblobstore"

func (s *Server) serveJob(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		j := ws.Jobs[name]
		var out jobResource
		if j != nil {
			out = s.jobReply(r, ws, j)
		}
		s.mu.Unlock()
		if j == nil {
			notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/jobs", name)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodPut:
		s.putJob(w, r, ws, name)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putJob(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if !jobName.MatchString(name) {
		userError(w, "Job name '%s' is invalid: use 1-255 letters, digits, '-' and '_', starting with a letter or digit.", clip(name, 100))
		return
	}
	var in jobResource
	if !decodeBody(w, r, &in) {
		return
	}
	now := s.now().UTC()
	s.mu.Lock()
	if existing := ws.Jobs[name]; existing != nil {
		// An existing name is an update: the tags are replaced, a given
		// display name or description replaces the old one, the rest of the
		// definition stays.
		existing.Def.Tags = maps.Clone(in.Properties.Tags)
		if in.Properties.DisplayName != "" {
			existing.Def.DisplayName = in.Properties.DisplayName
		}
		if in.Properties.Description != "" {
			existing.Def.Description = in.Properties.Description
		}
		existing.UpdatedAt = now
		err := s.saveLocked()
		out := s.jobReply(r, ws, existing)
		s.mu.Unlock()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if msg := validateJob(ws, &in.Properties); msg != "" {
		s.mu.Unlock()
		userError(w, "%s", msg)
		return
	}
	def := in.Properties
	def.Status, def.Services = "", nil
	if def.ExperimentName == "" {
		def.ExperimentName = "Default"
	}
	if def.DisplayName == "" {
		def.DisplayName = name
	}
	for k, o := range def.Outputs {
		if o.Mode == "" {
			o.Mode = "ReadWriteMount"
		}
		if o.URI == "" {
			o.URI = "azureml://datastores/" + defaultDatastore + "/paths/azureml/" + name + "/" + k + "/"
		}
		def.Outputs[k] = o
	}
	j := &job{
		Name: name, Def: def, Status: statusNotStarted, CreatedAt: now, UpdatedAt: now,
		Dir: filepath.Join(s.opts.DataDir, "jobs", ws.GUID, name),
	}
	ws.Jobs[name] = j
	err := s.saveLocked()
	out := s.jobReply(r, ws, j)
	if err == nil {
		s.startLocked(ws, j)
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
		return
	}
	s.log.Info().Str("job", name).Str("workspace", ws.Name).Msg("job submitted")
	writeJSON(w, http.StatusCreated, out)
}

// validateJob checks a new job's definition and returns AzureML's message
// for the first problem, or "". The caller holds s.mu.
func validateJob(ws *workspace, p *jobProps) string {
	switch {
	case p.JobType == "":
		return "properties.jobType is required."
	case p.JobType != "Command":
		return "properties.jobType '" + clip(p.JobType, 40) + "' is not supported by the local stack: use Command."
	case strings.TrimSpace(p.Command) == "":
		return "properties.command is required for a Command job."
	case p.EnvironmentID == "":
		return "properties.environmentId is required for a Command job."
	}
	if msg := validateDistribution(p); msg != "" {
		return msg
	}
	envName, envVer, ok := parseEnvironmentID(ws, p.EnvironmentID)
	if !ok {
		return "properties.environmentId '" + clip(p.EnvironmentID, 300) + "' is not the ARM id of an environment version of workspace " + ws.Name + "."
	}
	if ws.Environments[versionKey(envName, envVer)] == nil {
		return "Environment " + clip(envName, 100) + " version " + clip(envVer, 100) + " was not found in workspace " + ws.Name + ": create it first."
	}
	if p.ComputeID != "" && !validComputeID(ws, p.ComputeID) {
		return "properties.computeId '" + clip(p.ComputeID, 300) + "' is not the ARM id of a compute of workspace " + ws.Name + " (…/workspaces/" + ws.Name + "/computes/<name>)."
	}
	for k, in := range p.Inputs {
		if msg := validateInput(k, in); msg != "" {
			return msg
		}
	}
	for k, o := range p.Outputs {
		switch {
		case !ioName.MatchString(k):
			return "Output name '" + clip(k, 100) + "' is invalid."
		case !outputTypes[o.JobOutputType]:
			return "Output '" + k + "': jobOutputType '" + clip(o.JobOutputType, 40) + "' is invalid."
		case !outputModes[o.Mode]:
			return "Output '" + k + "': mode '" + clip(o.Mode, 40) + "' is invalid: use ReadWriteMount, Upload or Direct."
		}
		if o.URI != "" {
			if _, ok := outputPath(o.URI, "x", k); !ok {
				return "Output '" + k + "': uri '" + clip(o.URI, 200) + "' is not supported: use azureml://datastores/workspaceblobstore/paths/<path>."
			}
		}
	}
	if p.Identity != nil && !identities[p.Identity.IdentityType] {
		return "properties.identity.identityType '" + clip(p.Identity.IdentityType, 40) + "' is invalid: use Managed, AMLToken or UserIdentity."
	}
	if p.Limits != nil && p.Limits.Timeout != "" {
		if _, err := parseISODuration(p.Limits.Timeout); err != nil {
			return "properties.limits.timeout '" + clip(p.Limits.Timeout, 40) + "' is not an ISO 8601 duration such as PT2H."
		}
	}
	for _, m := range expression.FindAllStringSubmatch(p.Command, -1) {
		kind, n, _ := strings.Cut(m[1], ".")
		switch kind {
		case "inputs":
			if _, ok := p.Inputs[n]; !ok {
				return "The command refers to ${{inputs." + clip(n, 100) + "}}, which the job does not define."
			}
		case "outputs":
			if _, ok := p.Outputs[n]; !ok {
				return "The command refers to ${{outputs." + clip(n, 100) + "}}, which the job does not define."
			}
		default:
			return "The command expression ${{" + clip(m[1], 100) + "}} is not supported: use ${{inputs.<name>}} or ${{outputs.<name>}}."
		}
	}
	if _, err := splitCommand(normalizeExpressions(p.Command), nil); err != nil {
		return "properties.command: " + err.Error() + "."
	}
	return ""
}

// parseEnvironmentID splits an environment version id of workspace ws.
func parseEnvironmentID(ws *workspace, id string) (name, version string, ok bool) {
	prefix := ws.id() + "/environments/"
	if len(id) <= len(prefix) || !strings.EqualFold(id[:len(prefix)], prefix) {
		return "", "", false
	}
	parts := strings.Split(id[len(prefix):], "/")
	if len(parts) != 3 || !eq(parts[1], "versions") || parts[0] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// validComputeID reports whether id is …/workspaces/{ws}/computes/{name}.
func validComputeID(ws *workspace, id string) bool {
	prefix := ws.id() + "/computes/"
	if len(id) <= len(prefix) || !strings.EqualFold(id[:len(prefix)], prefix) {
		return false
	}
	n := id[len(prefix):]
	return computeName.MatchString(n)
}

// outputPath returns the blob path prefix of an output URI
// azureml://datastores/<ds>/paths/<path>, resolving ${{name}} and
// ${{output_name}}.
func outputPath(uri, jobName, output string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, "azureml://datastores/")
	if !ok {
		return "", false
	}
	ds, path, ok := strings.Cut(rest, "/paths/")
	if !ok || (ds != defaultDatastore && ds != "${{default_datastore}}") {
		return "", false
	}
	path = strings.ReplaceAll(path, "${{name}}", jobName)
	path = strings.ReplaceAll(path, "${{output_name}}", output)
	path = strings.Trim(path, "/")
	if path == "" || strings.Contains(path, "${{") {
		return "", false
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return path, true
}

// jobReply builds a job's reply. The caller holds s.mu.
func (s *Server) jobReply(r *http.Request, ws *workspace, j *job) jobResource {
	p := j.Def
	p.Status = j.Status
	p.Services = map[string]jobService{
		"Studio":   {JobServiceType: "Studio", Endpoint: s.baseURL(r) + studioPath + j.Name + "?wsid=" + url.QueryEscape(ws.id())},
		"Tracking": {JobServiceType: "Tracking", Endpoint: "azureml://local/mlflow/v1.0" + ws.id()},
	}
	return jobResource{
		ID: ws.id() + "/jobs/" + j.Name, Name: j.Name, Type: typeJob, Properties: p,
		SystemData: newSystemData(j.CreatedAt, j.UpdatedAt),
	}
}

// errBadDuration reports a malformed ISO 8601 duration.
var errBadDuration = errors.New("not an ISO 8601 duration such as PT2H")

var isoDuration = regexp.MustCompile(`^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})(?:\.\d+)?S)?)?$`)

// parseISODuration parses the PnDTnHnMnS subset of ISO 8601 durations
// (fractions of a second are dropped).
func parseISODuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, errBadDuration
	}
	var d time.Duration
	for i, u := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return 0, errBadDuration
		}
		d += time.Duration(n) * u
	}
	return d, nil
}
