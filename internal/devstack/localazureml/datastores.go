package localazureml

import (
	"net/http"
	"strings"
)

// datastoreResource is the wire shape of a blob datastore.
type datastoreResource struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Properties datastoreProps `json:"properties"`
}

type datastoreProps struct {
	DatastoreType                 string            `json:"datastoreType"`
	AccountName                   string            `json:"accountName"`
	ContainerName                 string            `json:"containerName"`
	Endpoint                      string            `json:"endpoint"`
	Protocol                      string            `json:"protocol"`
	IsDefault                     bool              `json:"isDefault"`
	Credentials                   map[string]string `json:"credentials"`
	ServiceDataAccessAuthIdentity string            `json:"serviceDataAccessAuthIdentity"`
	// BlobServiceURL is a local-stack extension: Azurite's blob service URL,
	// which cannot be built from accountName and endpoint.
	BlobServiceURL string `json:"blobServiceUrl,omitempty"`
}

// container returns the workspace's datastore container.
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

func (s *Server) datastore(ws *workspace) datastoreResource {
	account := s.connString("AccountName")
	if account == "" {
		account = "devstoreaccount1"
	}
	svc := s.opts.Blob.ServiceURL
	if svc == "" {
		svc = s.connString("BlobEndpoint")
	}
	return datastoreResource{
		ID: ws.id() + "/datastores/" + defaultDatastore, Name: defaultDatastore, Type: typeDatastore,
		Properties: datastoreProps{
			DatastoreType: "AzureBlob", AccountName: account, ContainerName: s.container(ws),
			Endpoint: "core.windows.net", Protocol: "https", IsDefault: true,
			Credentials:                   map[string]string{"credentialsType": "AccountKey"},
			ServiceDataAccessAuthIdentity: "None", BlobServiceURL: svc,
		},
	}
}

// serveDatastores lists the workspace's datastores (just the default one),
// honouring ?isDefault.
func (s *Server) serveDatastores(w http.ResponseWriter, r *http.Request, ws *workspace) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	list := []datastoreResource{}
	if v := r.URL.Query().Get("isDefault"); v == "" || strings.EqualFold(v, "true") {
		list = append(list, s.datastore(ws))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": list})
}

func (s *Server) serveDatastore(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	if name != defaultDatastore {
		notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/datastores", name)
		return
	}
	writeJSON(w, http.StatusOK, s.datastore(ws))
}

// serveDatastoreSecrets answers listSecrets with the account key.
func (s *Server) serveDatastoreSecrets(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r)
		return
	}
	if name != defaultDatastore {
		notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/datastores", name)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secretsType": "AccountKey", "key": s.connString("AccountKey")})
}
