package localazureml

import (
	"net/http"
	"net/url"
	"strings"
)

// connResource is the wire shape of a workspace connection.
type connResource struct {
	ID         string     `json:"id,omitempty"`
	Name       string     `json:"name,omitempty"`
	Type       string     `json:"type,omitempty"`
	Properties connProps  `json:"properties"`
	SystemData systemData `json:"systemData,omitzero"`
}

type connProps struct {
	Category      string     `json:"category"`
	Target        string     `json:"target"`
	AuthType      string     `json:"authType"`
	Credentials   *connCreds `json:"credentials,omitempty"`
	IsSharedToAll bool       `json:"isSharedToAll"`
}

type connCreds struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// Connection categories and auth types the server accepts: the two
// registry categories of ConnectionCategory in api-version 2025-09-01 —
// GenericContainerRegistry, documented for registries used by image builds,
// and ContainerRegistry, for registries jobs pull from
// (MicrosoftDocs/azure-ai-docs articles/machine-learning/how-to-connection.md).
// The spec enumerates many more categories (databases, Git, OpenAI, …) that
// the local stack has no use for and refuses; whether AzureML itself
// refuses a category outside the enumeration is unverified.
var (
	connCategories = map[string]bool{"GenericContainerRegistry": true, "ContainerRegistry": true}
	connAuthTypes  = map[string]bool{"UsernamePassword": true, "None": true}
)

func (s *Server) serveConnection(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		c := ws.Connections[strings.ToLower(name)]
		var out connResource
		if c != nil {
			out = connReply(ws, c, false)
		}
		s.mu.Unlock()
		if c == nil {
			notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/connections", name)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodPut:
		s.putConnection(w, r, ws, name)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putConnection(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if !connName.MatchString(name) {
		userError(w, "Connection name '%s' is invalid: use 2-255 letters, digits, '-' and '_', starting with a letter or digit.", clip(name, 100))
		return
	}
	var in connResource
	if !decodeBody(w, r, &in) {
		return
	}
	p := in.Properties
	switch {
	case !connCategories[p.Category]:
		userError(w, "properties.category '%s' is not supported by the local stack: use GenericContainerRegistry or ContainerRegistry.", clip(p.Category, 60))
		return
	case !connAuthTypes[p.AuthType]:
		userError(w, "properties.authType '%s' is not supported by the local stack: use UsernamePassword or None.", clip(p.AuthType, 60))
		return
	case registryHost(p.Target) == "":
		userError(w, "properties.target '%s' is not a registry URL or host.", clip(p.Target, 200))
		return
	case p.AuthType == "UsernamePassword" && (p.Credentials == nil || p.Credentials.Username == "" || p.Credentials.Password == ""):
		userError(w, "properties.credentials.username and password are required for authType UsernamePassword.")
		return
	}
	now := s.now().UTC()
	s.mu.Lock()
	k := strings.ToLower(name)
	c := ws.Connections[k]
	if c == nil {
		c = &connection{Name: name, CreatedAt: now}
		ws.Connections[k] = c
	}
	c.Category, c.Target, c.AuthType, c.IsSharedToAll, c.UpdatedAt = p.Category, p.Target, p.AuthType, p.IsSharedToAll, now
	c.Username, c.Password = "", ""
	if p.Credentials != nil {
		c.Username, c.Password = p.Credentials.Username, p.Credentials.Password
	}
	err := s.saveLocked()
	out := connReply(ws, c, false)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
		return
	}
	s.log.Info().Str("connection", name).Str("target", c.Target).Msg("connection stored")
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveConnectionSecrets(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r)
		return
	}
	s.mu.Lock()
	c := ws.Connections[strings.ToLower(name)]
	var out connResource
	if c != nil {
		out = connReply(ws, c, true)
	}
	s.mu.Unlock()
	if c == nil {
		notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/connections", name)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// connReply builds the reply; the password is included only for
// listsecrets.
func connReply(ws *workspace, c *connection, secrets bool) connResource {
	out := connResource{
		ID: ws.id() + "/connections/" + c.Name, Name: c.Name, Type: typeConn,
		Properties: connProps{Category: c.Category, Target: c.Target, AuthType: c.AuthType, IsSharedToAll: c.IsSharedToAll},
		SystemData: newSystemData(c.CreatedAt, c.UpdatedAt),
	}
	if secrets && c.AuthType == "UsernamePassword" {
		out.Properties.Credentials = &connCreds{Username: c.Username, Password: c.Password}
	}
	return out
}

// registryHost returns the lower-case host[:port] of a registry target
// given as a URL (https://acme.jfrog.io) or a bare host (acme.jfrog.io).
func registryHost(target string) string {
	t := strings.TrimSpace(target)
	if t == "" {
		return ""
	}
	if !strings.Contains(t, "://") {
		t = "https://" + t
	}
	u, err := url.Parse(t)
	if err != nil || u.Host == "" || u.User != nil || strings.ContainsAny(u.Host, " @") {
		return ""
	}
	return strings.ToLower(u.Host)
}

// imageRegistry returns the registry host of an image reference, docker.io
// when the first path component is not a host (as docker resolves it).
func imageRegistry(image string) string {
	first, _, found := strings.Cut(image, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		return "docker.io"
	}
	return strings.ToLower(first)
}

// connectionFor returns the registry connection matching the image's
// registry host, or nil. The caller holds s.mu.
func connectionFor(ws *workspace, image string) *connection {
	host := imageRegistry(image)
	var found *connection
	for _, c := range ws.Connections {
		if registryHost(c.Target) == host && (found == nil || c.UpdatedAt.After(found.UpdatedAt)) {
			found = c
		}
	}
	return found
}
