package localazureml

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// datastoreName is the rule the server applies to datastore names. The
// 2025-09-01 spec gives the path parameter no pattern; AzureML's own names
// (workspaceblobstore, workspaceworkingdirectory) and its documentation use
// letters, digits and _ (not verified further).
var datastoreName = regexp.MustCompile(`^[A-Za-z0-9_]{1,255}$`)

// datastoreResource is the wire shape of a blob datastore.
type datastoreResource struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Properties datastoreProps `json:"properties"`
	SystemData systemData     `json:"systemData,omitzero"`
}

// datastoreProps are an AzureBlob datastore's properties (AzureBlobDatastore
// in mfe.json, 2025-09-01, and examples/Datastore/AzureBlobWAccountKey/
// createOrUpdate.json: the reply's credentials.secrets carries secretsType
// only, never the key).
type datastoreProps struct {
	Description                   string            `json:"description,omitempty"`
	Tags                          map[string]string `json:"tags,omitempty"`
	DatastoreType                 string            `json:"datastoreType"`
	AccountName                   string            `json:"accountName"`
	ContainerName                 string            `json:"containerName"`
	Endpoint                      string            `json:"endpoint"`
	Protocol                      string            `json:"protocol"`
	IsDefault                     bool              `json:"isDefault"`
	Credentials                   *datastoreCreds   `json:"credentials"`
	ServiceDataAccessAuthIdentity string            `json:"serviceDataAccessAuthIdentity"`
	// BlobServiceURL is a local-stack extension: Azurite's blob service URL,
	// which cannot be built from accountName and endpoint.
	BlobServiceURL string `json:"blobServiceUrl,omitempty"`
}

// datastoreCreds is DatastoreCredentials: the type, and on PUT the secrets
// (which are neither stored nor returned).
type datastoreCreds struct {
	CredentialsType string            `json:"credentialsType"`
	Secrets         *datastoreSecrets `json:"secrets,omitempty"`
}

type datastoreSecrets struct {
	SecretsType string `json:"secretsType"`
	Key         string `json:"key,omitempty"`
}

// storedDatastore is a datastore created or replaced with PUT.
type storedDatastore struct {
	Name      string         `json:"name"`
	Props     datastoreProps `json:"properties"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
}

// container returns the default container of the workspace.
func (s *Server) container(ws *workspace) string {
	if s.opts.Blob.Container != "" {
		return s.opts.Blob.Container
	}
	return "azureml-blobstore-" + ws.GUID
}

// connString returns a field of the blob connection string.
func (s *Server) connString(key string) string {
	for _, part := range strings.Split(s.opts.Blob.ConnectionString, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// blobAccount is the storage account the server reaches (Azurite's).
func (s *Server) blobAccount() string {
	if a := s.connString("AccountName"); a != "" {
		return a
	}
	return "devstoreaccount1"
}

// builtinDatastore is workspaceblobstore as the workspace is created with
// it: the default, on Azurite.
func (s *Server) builtinDatastore(ws *workspace) datastoreProps {
	svc := s.opts.Blob.ServiceURL
	if svc == "" {
		svc = s.connString("BlobEndpoint")
	}
	return datastoreProps{
		DatastoreType: "AzureBlob", AccountName: s.blobAccount(), ContainerName: s.container(ws),
		Endpoint: "core.windows.net", Protocol: "https", IsDefault: true,
		Credentials:                   &datastoreCreds{CredentialsType: "AccountKey"},
		ServiceDataAccessAuthIdentity: "None", BlobServiceURL: svc,
	}
}

// datastoreLocked returns the properties of datastore name, or false. The
// caller holds s.mu.
func (s *Server) datastoreLocked(ws *workspace, name string) (datastoreProps, bool) {
	if d := ws.Datastores[strings.ToLower(name)]; d != nil {
		p := d.Props
		p.IsDefault = strings.EqualFold(name, defaultDatastore)
		return p, true
	}
	if strings.EqualFold(name, defaultDatastore) {
		return s.builtinDatastore(ws), true
	}
	return datastoreProps{}, false
}

// datastoreReply builds a datastore's reply. The caller holds s.mu.
func (s *Server) datastoreReply(ws *workspace, name string, p datastoreProps) datastoreResource {
	if d := ws.Datastores[strings.ToLower(name)]; d != nil {
		name = d.Name
	} else if strings.EqualFold(name, defaultDatastore) {
		name = defaultDatastore
	}
	r := datastoreResource{ID: ws.id() + "/datastores/" + name, Name: name, Type: typeDatastore, Properties: p}
	if d := ws.Datastores[strings.ToLower(name)]; d != nil {
		r.SystemData = newSystemData(d.CreatedAt, d.UpdatedAt)
	}
	return r
}

// datastoreNamesLocked lists the workspace's datastore names, sorted. The
// caller holds s.mu.
func (s *Server) datastoreNamesLocked(ws *workspace) []string {
	names := []string{defaultDatastore}
	for k, d := range ws.Datastores {
		if k != defaultDatastore {
			names = append(names, d.Name)
		}
	}
	slices.Sort(names)
	return names
}

// serveDatastores lists the workspace's datastores; ?isDefault=true keeps
// the default one, ?isDefault=false the others.
func (s *Server) serveDatastores(w http.ResponseWriter, r *http.Request, ws *workspace) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	filter := strings.ToLower(r.URL.Query().Get("isDefault"))
	list := []datastoreResource{}
	s.mu.Lock()
	for _, n := range s.datastoreNamesLocked(ws) {
		p, _ := s.datastoreLocked(ws, n)
		if (filter == "true" && !p.IsDefault) || (filter == "false" && p.IsDefault) {
			continue
		}
		list = append(list, s.datastoreReply(ws, n, p))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": list})
}

// serveDatastore answers GET and PUT (create or replace, as
// Datastores_CreateOrUpdate: 200 replaced, 201 created) of one datastore.
func (s *Server) serveDatastore(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		p, ok := s.datastoreLocked(ws, name)
		out := s.datastoreReply(ws, name, p)
		s.mu.Unlock()
		if !ok {
			notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/datastores", name)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodPut:
		s.putDatastore(w, r, ws, name)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putDatastore(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if !datastoreName.MatchString(name) {
		userError(w, "Datastore name '%s' is invalid: use 1-255 letters, digits and '_'.", clip(name, 100))
		return
	}
	var in datastoreResource
	if !decodeBody(w, r, &in) {
		return
	}
	p := in.Properties
	switch {
	case p.DatastoreType == "":
		userError(w, "properties.datastoreType is required.")
		return
	case p.DatastoreType != "AzureBlob":
		userError(w, "properties.datastoreType '%s' is not supported by the local stack: use AzureBlob.", clip(p.DatastoreType, 40))
		return
	case p.AccountName == "" || p.ContainerName == "":
		userError(w, "properties.accountName and properties.containerName are required for an AzureBlob datastore.")
		return
	case p.Credentials == nil || p.Credentials.CredentialsType == "":
		userError(w, "properties.credentials.credentialsType is required.")
		return
	}
	if p.Endpoint == "" {
		p.Endpoint = "core.windows.net"
	}
	if p.Protocol == "" {
		p.Protocol = "https"
	}
	if p.ServiceDataAccessAuthIdentity == "" {
		p.ServiceDataAccessAuthIdentity = "None"
	}
	// The key is write-only: the reply names the secrets' type only.
	creds := &datastoreCreds{CredentialsType: p.Credentials.CredentialsType}
	if sec := p.Credentials.Secrets; sec != nil {
		creds.Secrets = &datastoreSecrets{SecretsType: sec.SecretsType}
	}
	p.Credentials = creds
	p.IsDefault = false // read-only: workspaceblobstore stays the default
	now := s.now().UTC()
	s.mu.Lock()
	k := strings.ToLower(name)
	status := http.StatusOK
	d := ws.Datastores[k]
	if d == nil {
		if !strings.EqualFold(name, defaultDatastore) {
			status = http.StatusCreated
		}
		d = &storedDatastore{Name: name, CreatedAt: now}
		if strings.EqualFold(name, defaultDatastore) {
			d.Name = defaultDatastore
		}
		ws.Datastores[k] = d
	}
	d.Props, d.UpdatedAt = p, now
	err := s.saveLocked()
	stored, _ := s.datastoreLocked(ws, name)
	out := s.datastoreReply(ws, name, stored)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
		return
	}
	s.log.Info().Str("datastore", name).Str("workspace", ws.Name).Msg("datastore stored")
	writeJSON(w, status, out)
}

// serveDatastoreSecrets answers listSecrets with the account key of
// datastores on the server's storage account.
func (s *Server) serveDatastoreSecrets(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r)
		return
	}
	s.mu.Lock()
	p, ok := s.datastoreLocked(ws, name)
	s.mu.Unlock()
	if !ok {
		notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/datastores", name)
		return
	}
	if p.AccountName != s.blobAccount() {
		userError(w, "The local stack holds no key for storage account '%s' of datastore '%s'.", clip(p.AccountName, 100), clip(name, 100))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secretsType": "AccountKey", "key": s.connString("AccountKey")})
}
