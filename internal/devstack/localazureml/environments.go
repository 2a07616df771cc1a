package localazureml

import (
	"maps"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Name rules AzureML applies to assets and jobs.
var (
	assetName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)
	versionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	jobName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$`)
	connName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$`)
)

// envResource is the wire shape of an environment version.
type envResource struct {
	ID         string     `json:"id,omitempty"`
	Name       string     `json:"name,omitempty"`
	Type       string     `json:"type,omitempty"`
	Properties envProps   `json:"properties"`
	SystemData systemData `json:"systemData,omitzero"`
}

type envProps struct {
	Image             string            `json:"image,omitempty"`
	CondaFile         string            `json:"condaFile,omitempty"`
	Build             any               `json:"build,omitempty"`
	OSType            string            `json:"osType,omitempty"`
	Description       string            `json:"description,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	EnvironmentType   string            `json:"environmentType,omitempty"`
	ProvisioningState string            `json:"provisioningState,omitempty"`
	AutoRebuild       string            `json:"autoRebuild,omitempty"`
	IsAnonymous       bool              `json:"isAnonymous"`
	IsArchived        bool              `json:"isArchived"`
}

// systemData is ARM's resource metadata.
type systemData struct {
	CreatedAt          string `json:"createdAt,omitempty"`
	CreatedBy          string `json:"createdBy,omitempty"`
	CreatedByType      string `json:"createdByType,omitempty"`
	LastModifiedAt     string `json:"lastModifiedAt,omitempty"`
	LastModifiedBy     string `json:"lastModifiedBy,omitempty"`
	LastModifiedByType string `json:"lastModifiedByType,omitempty"`
}

func newSystemData(created, updated time.Time) systemData {
	return systemData{
		CreatedAt: created.UTC().Format(time.RFC3339Nano), CreatedBy: "devstack", CreatedByType: "Application",
		LastModifiedAt: updated.UTC().Format(time.RFC3339Nano), LastModifiedBy: "devstack", LastModifiedByType: "Application",
	}
}

// versionKey keys a versioned asset (environment or data version): names
// are case-insensitive in AzureML, versions are not.
func versionKey(name, version string) string { return strings.ToLower(name) + "/" + version }

func (s *Server) serveEnvironment(w http.ResponseWriter, r *http.Request, ws *workspace, name, version string) {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		e := ws.Environments[versionKey(name, version)]
		var out envResource
		if e != nil {
			out = envReply(ws, e)
		}
		s.mu.Unlock()
		if e == nil {
			notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/environments/"+name+"/versions", version)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodPut:
		s.putEnvironment(w, r, ws, name, version)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putEnvironment(w http.ResponseWriter, r *http.Request, ws *workspace, name, version string) {
	if !assetName.MatchString(name) || !versionName.MatchString(version) {
		userError(w, "Environment name '%s' or version '%s' is invalid: use letters, digits, '.', '-' and '_', starting with a letter or digit.", clip(name, 100), clip(version, 100))
		return
	}
	var in envResource
	if !decodeBody(w, r, &in) {
		return
	}
	p := in.Properties
	switch {
	case p.Build != nil || p.CondaFile != "":
		userError(w, "The local stack builds no images: give properties.image instead of build or condaFile.")
		return
	case strings.TrimSpace(p.Image) == "":
		userError(w, "One of properties.image or properties.build is required for environment '%s'.", clip(name, 100))
		return
	case p.OSType != "" && p.OSType != "Linux" && p.OSType != "Windows":
		userError(w, "properties.osType '%s' is invalid: use Linux or Windows.", clip(p.OSType, 40))
		return
	}
	if p.OSType == "" {
		p.OSType = "Linux"
	}
	now := s.now().UTC()
	s.mu.Lock()
	k := versionKey(name, version)
	e := ws.Environments[k]
	status := http.StatusOK
	if e == nil {
		status = http.StatusCreated
		e = &envVersion{Name: name, Version: version, Image: p.Image, OSType: p.OSType, CreatedAt: now}
		ws.Environments[k] = e
	} else if e.Image != p.Image || e.OSType != p.OSType {
		s.mu.Unlock()
		// Only description and tags of a version can change
		// (how-to-manage-environments-v2.md). The status is 409: azure-ai-ml
		// treats a refused update of an existing version as
		// ResourceExistsError, which its generated client maps from 409
		// (_environment_operations.py _try_update_latest_version,
		// _environment_versions_operations.py error_map). Code and message
		// are the service's as an Azure CLI user reported them
		// (Azure/azure-cli-extensions#5440: "(UserError) Environment test_env
		// with version 6 is already registered and cannot be changed."); no
		// recorded 409 body was found, so the pairing of this message with
		// the 409 is unverified.
		writeError(w, http.StatusConflict, "UserError", "Environment %s with version %s is already registered and cannot be changed.", clip(name, 100), clip(version, 100))
		return
	}
	e.Description, e.Tags, e.UpdatedAt = p.Description, maps.Clone(p.Tags), now
	err := s.saveLocked()
	out := envReply(ws, e)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
		return
	}
	writeJSON(w, status, out)
}

func envReply(ws *workspace, e *envVersion) envResource {
	return envResource{
		ID:   ws.id() + "/environments/" + e.Name + "/versions/" + e.Version,
		Name: e.Version, Type: typeEnvVer,
		Properties: envProps{
			Image: e.Image, OSType: e.OSType, Description: e.Description, Tags: e.Tags,
			EnvironmentType: "UserCreated", ProvisioningState: "Succeeded", AutoRebuild: "Disabled",
		},
		SystemData: newSystemData(e.CreatedAt, e.UpdatedAt),
	}
}
