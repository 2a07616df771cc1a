package localazureml

import (
	"maps"
	"net/http"
	"time"
)

// dataResource is the wire shape of a data asset version (DataVersionBase
// in mfe.json, 2025-09-01; examples/Workspace/DataVersionBase/
// createOrUpdate.json): PUT answers 201 when it creates the version and
// 200 when it updates it.
type dataResource struct {
	ID         string     `json:"id,omitempty"`
	Name       string     `json:"name,omitempty"`
	Type       string     `json:"type,omitempty"`
	Properties dataProps  `json:"properties"`
	SystemData systemData `json:"systemData,omitzero"`
}

type dataProps struct {
	DataType    string            `json:"dataType"`
	DataURI     string            `json:"dataUri"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"`
	IsAnonymous bool              `json:"isAnonymous"`
	IsArchived  bool              `json:"isArchived"`
}

// dataVersion is a stored data asset version.
type dataVersion struct {
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	Props     dataProps `json:"properties"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func (s *Server) serveDataVersion(w http.ResponseWriter, r *http.Request, ws *workspace, name, version string) {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		d := ws.Data[versionKey(name, version)]
		var out dataResource
		if d != nil {
			out = dataReply(ws, d)
		}
		s.mu.Unlock()
		if d == nil {
			notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/data/"+name+"/versions", version)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodPut:
		s.putDataVersion(w, r, ws, name, version)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putDataVersion(w http.ResponseWriter, r *http.Request, ws *workspace, name, version string) {
	if !assetName.MatchString(name) || !versionName.MatchString(version) {
		userError(w, "Data name '%s' or version '%s' is invalid: use letters, digits, '.', '-' and '_', starting with a letter or digit.", clip(name, 100), clip(version, 100))
		return
	}
	var in dataResource
	if !decodeBody(w, r, &in) {
		return
	}
	p := in.Properties
	switch {
	case p.DataType == "":
		userError(w, "properties.dataType is required: use uri_file, uri_folder or mltable.")
		return
	case p.DataType == "mltable":
		userError(w, "properties.dataType mltable is not supported by the local stack: use uri_file or uri_folder.")
		return
	case p.DataType != "uri_file" && p.DataType != "uri_folder":
		userError(w, "properties.dataType '%s' is invalid: use uri_file, uri_folder or mltable.", clip(p.DataType, 40))
		return
	case !literalOK.MatchString(p.DataURI):
		userError(w, "properties.dataUri is required.")
		return
	}
	now := s.now().UTC()
	s.mu.Lock()
	k := versionKey(name, version)
	d := ws.Data[k]
	status := http.StatusOK
	if d == nil {
		status = http.StatusCreated
		d = &dataVersion{Name: name, Version: version, CreatedAt: now}
		d.Props.DataType, d.Props.DataURI = p.DataType, p.DataURI
		ws.Data[k] = d
	} else if d.Props.DataType != p.DataType || d.Props.DataURI != p.DataURI {
		// Asset versions are immutable but for their description, tags and
		// archive flag. The answer follows the environment versions' (see
		// putEnvironment: 409 UserError, azure-ai-ml's ResourceExistsError);
		// no recorded answer for a data version was found, so it is not
		// verified.
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "UserError", "Data %s with version %s is already registered and cannot be changed: only description, tags and isArchived can change; create a new version.", clip(name, 100), clip(version, 100))
		return
	}
	d.Props.Description, d.Props.Tags, d.Props.Properties = p.Description, maps.Clone(p.Tags), maps.Clone(p.Properties)
	d.Props.IsAnonymous, d.Props.IsArchived, d.UpdatedAt = p.IsAnonymous, p.IsArchived, now
	err := s.saveLocked()
	out := dataReply(ws, d)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
		return
	}
	writeJSON(w, status, out)
}

func dataReply(ws *workspace, d *dataVersion) dataResource {
	return dataResource{
		ID:   ws.id() + "/data/" + d.Name + "/versions/" + d.Version,
		Name: d.Version, Type: typeDataVer, Properties: d.Props,
		SystemData: newSystemData(d.CreatedAt, d.UpdatedAt),
	}
}
