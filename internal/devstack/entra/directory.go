package entra

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// APIApp names the app registration of the function app's HTTP API: the
// audience of the tokens CI presents, exposing APIRoles as app roles.
const APIApp = "frogbridge-api"

// APIRoles are the app roles of the APIApp registration (the values the
// handler checks; see package callerauth).
var APIRoles = []string{"Jobs.Submit", "Jobs.Read", "Rotation.Run", "Diagnostics.Read"}

// directoryFile holds the registered client applications and their app
// role assignments.
const directoryFile = "directory.json"

// Client is a registered application that gets tokens with the client
// credentials grant: with a client secret (only its SHA-256 is kept) or a
// federated assertion (see federation.go).
type Client struct {
	Name         string                `json:"name"`
	ClientID     string                `json:"client_id"`
	ObjectID     string                `json:"object_id"`
	SecretSHA256 string                `json:"secret_sha256,omitempty"`
	Federated    []FederatedCredential `json:"federated_credentials,omitempty"`
}

// AppRoleAssignment grants the client (service principal) Role of the
// resource app registration Resource (its client id).
type AppRoleAssignment struct {
	PrincipalID string `json:"principal_id"`
	Resource    string `json:"resource"`
	Role        string `json:"role"`
}

// directory is the mutable part of the tenant, guarded by mu.
type directory struct {
	mu          sync.Mutex
	path        string
	Clients     []Client            `json:"clients"`
	Assignments []AppRoleAssignment `json:"app_role_assignments"`
}

func loadDirectory(dir string) (*directory, error) {
	d := &directory{path: filepath.Join(dir, directoryFile)}
	if err := store.ReadJSON(d.path, d); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s (fix or delete it): %w", d.path, err)
	}
	return d, nil
}

func (d *directory) saveLocked() error {
	if err := store.WriteJSON(d.path, d); err != nil {
		return fmt.Errorf("store the directory: %w", err)
	}
	return nil
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// RegisterClient registers the client application name, or gives the
// existing one a new secret, and returns it with the secret (shown once,
// as Entra's addPassword does).
func (s *Server) RegisterClient(name string) (Client, string, error) {
	if name == "" || len(name) > 120 {
		return Client{}, "", errors.New("a client needs a name of 1-120 characters")
	}
	secret := randomOpaque(40)
	d := s.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.clientIndexLocked(name)
	if i < 0 {
		d.Clients = append(d.Clients, Client{Name: name, ClientID: NewUUID(), ObjectID: NewUUID()})
		i = len(d.Clients) - 1
	}
	d.Clients[i].SecretSHA256 = hashSecret(secret)
	if err := d.saveLocked(); err != nil {
		return Client{}, "", err
	}
	return d.Clients[i], secret, nil
}

func (d *directory) clientIndexLocked(nameOrID string) int {
	for i, c := range d.Clients {
		if c.Name == nameOrID || strings.EqualFold(c.ClientID, nameOrID) || strings.EqualFold(c.ObjectID, nameOrID) {
			return i
		}
	}
	return -1
}

// Clients returns the registered client applications (without secrets).
func (s *Server) Clients() []Client {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	out := make([]Client, len(s.dir.Clients))
	for i, c := range s.dir.Clients {
		c.SecretSHA256 = ""
		out[i] = c
	}
	return out
}

// AppRoleAssignments returns the app role assignments.
func (s *Server) AppRoleAssignments() []AppRoleAssignment {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	return append([]AppRoleAssignment(nil), s.dir.Assignments...)
}

// resolveAssignment checks a and returns it in canonical form: the
// client's object id, the resource app's client id.
func (s *Server) resolveAssignment(a AppRoleAssignment) (AppRoleAssignment, error) {
	i := s.dir.clientIndexLocked(a.PrincipalID)
	if i < 0 {
		return a, fmt.Errorf("no client application %q (register it first)", a.PrincipalID)
	}
	a.PrincipalID = s.dir.Clients[i].ObjectID
	if a.Resource == "" {
		a.Resource = APIApp
	}
	var app *App
	for k := range s.cfg.Apps {
		if s.cfg.Apps[k].Name == a.Resource || strings.EqualFold(s.cfg.Apps[k].ClientID, a.Resource) {
			app = &s.cfg.Apps[k]
		}
	}
	if app == nil {
		return a, fmt.Errorf("no app registration %q", a.Resource)
	}
	a.Resource = app.ClientID
	found := false
	for _, r := range app.AppRoles {
		found = found || r == a.Role
	}
	if !found {
		return a, fmt.Errorf("app %s exposes no app role %q (it has %s)", app.Name, a.Role, strings.Join(app.AppRoles, ", "))
	}
	return a, nil
}

// AssignAppRole grants a client (by name, client id or object id) an app
// role of a resource app (by name or client id; default APIApp).
func (s *Server) AssignAppRole(a AppRoleAssignment) (AppRoleAssignment, error) {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	a, err := s.resolveAssignment(a)
	if err != nil {
		return a, err
	}
	for _, have := range s.dir.Assignments {
		if have == a {
			return a, nil
		}
	}
	s.dir.Assignments = append(s.dir.Assignments, a)
	return a, s.dir.saveLocked()
}

// RemoveAppRole removes an assignment and reports whether it existed.
func (s *Server) RemoveAppRole(a AppRoleAssignment) (bool, error) {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	a, err := s.resolveAssignment(a)
	if err != nil {
		return false, err
	}
	for i, have := range s.dir.Assignments {
		if have == a {
			s.dir.Assignments = append(s.dir.Assignments[:i], s.dir.Assignments[i+1:]...)
			return true, s.dir.saveLocked()
		}
	}
	return false, nil
}

// authenticateSecret returns the client whose id and secret match.
func (s *Server) authenticateSecret(clientID, secret string) (Client, bool, bool) {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	for _, c := range s.dir.Clients {
		if strings.EqualFold(c.ClientID, clientID) {
			ok := c.SecretSHA256 != "" && subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(c.SecretSHA256)) == 1
			return c, true, ok
		}
	}
	return Client{}, false, false
}

// client returns the client with the id.
func (s *Server) client(clientID string) (Client, bool) {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	for _, c := range s.dir.Clients {
		if strings.EqualFold(c.ClientID, clientID) {
			return c, true
		}
	}
	return Client{}, false
}

// rolesOf returns the roles the principal holds on the resource app.
func (s *Server) rolesOf(principal, resource string) []string {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	var out []string
	for _, a := range s.dir.Assignments {
		if a.PrincipalID == principal && strings.EqualFold(a.Resource, resource) {
			out = append(out, a.Role)
		}
	}
	sort.Strings(out)
	return out
}

// ensureAPIApp adds the APIApp registration to a tenant stored before it
// existed.
func ensureAPIApp(dir string, cfg Config) (Config, error) {
	if _, ok := cfg.App(APIApp); ok {
		return cfg, nil
	}
	cfg.Apps = append(cfg.Apps, apiApp())
	if err := store.WriteJSON(filepath.Join(dir, configFile), cfg); err != nil {
		return cfg, fmt.Errorf("store tenant configuration: %w", err)
	}
	return cfg, nil
}
