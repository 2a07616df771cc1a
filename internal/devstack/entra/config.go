package entra

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// Managed-identity hosts: which endpoint serves an identity.
const (
	HostAppService = "app-service" // IDENTITY_ENDPOINT + IDENTITY_HEADER
	HostAzureML    = "azureml"     // MSI_ENDPOINT + MSI_SECRET
)

// Identity kinds.
const (
	SystemAssigned = "system"
	UserAssigned   = "user"
)

// Names of the identities and the app registration provisioned by default.
const (
	FunctionAppIdentity = "function-app"
	ComputeIdentity     = "compute"
	JFrogApp            = "jfrog-oidc"
)

// configFile is the tenant's configuration inside the data folder.
const configFile = "config.json"

// Identity is a managed identity: a service principal with a client (app)
// id and an object id, attached to one host as its system-assigned identity
// or as one of its user-assigned identities.
type Identity struct {
	Name       string `json:"name"`
	ClientID   string `json:"client_id"`
	ObjectID   string `json:"object_id"`
	ResourceID string `json:"resource_id,omitempty"`
	Host       string `json:"host"`
	Kind       string `json:"kind"`
}

// App is an app registration that managed identities can request tokens
// for. AccessTokenVersion 2 gives v2 tokens (aud = client id); 0 or 1 gives
// v1 tokens (aud = the requested resource), as Entra's
// accessTokenAcceptedVersion does.
type App struct {
	Name               string   `json:"name"`
	ClientID           string   `json:"client_id"`
	IdentifierURIs     []string `json:"identifier_uris,omitempty"`
	AccessTokenVersion int      `json:"access_token_version,omitempty"`
	// AppRoles are the values of the app roles the registration exposes.
	AppRoles []string `json:"app_roles,omitempty"`
	// AssignmentRequired refuses client-credentials tokens to clients
	// holding none of the app's roles, as the service principal's
	// appRoleAssignmentRequired does.
	AssignmentRequired bool `json:"assignment_required,omitempty"`
}

// Config is a tenant: its id, its managed identities and its app
// registrations. It is stored as JSON in the data folder.
type Config struct {
	TenantID   string     `json:"tenant_id"`
	Identities []Identity `json:"identities"`
	Apps       []App      `json:"apps"`
}

// DefaultConfig returns a new tenant with random ids holding the
// function-app identity (system-assigned, App Service), the compute
// identity (system-assigned, AzureML compute) and the JFrog OIDC app
// registration (v2 tokens, identifier URI api://<client id>).
func DefaultConfig() Config {
	tenant := NewUUID()
	app := NewUUID()
	return Config{
		TenantID: tenant,
		Identities: []Identity{
			{Name: FunctionAppIdentity, ClientID: NewUUID(), ObjectID: NewUUID(), Host: HostAppService, Kind: SystemAssigned},
			{Name: ComputeIdentity, ClientID: NewUUID(), ObjectID: NewUUID(), Host: HostAzureML, Kind: SystemAssigned},
		},
		Apps: []App{{Name: JFrogApp, ClientID: app, IdentifierURIs: []string{"api://" + app}, AccessTokenVersion: 2}, apiApp()},
	}
}

// apiApp returns a new registration of the function app's HTTP API (v2
// tokens, identifier URI api://<client id>, the APIRoles).
func apiApp() App {
	id := NewUUID()
	return App{Name: APIApp, ClientID: id, IdentifierURIs: []string{"api://" + id}, AccessTokenVersion: 2,
		AppRoles: append([]string(nil), APIRoles...), AssignmentRequired: true}
}

// Identity returns the identity with the given name.
func (c *Config) Identity(name string) (Identity, bool) {
	for _, id := range c.Identities {
		if id.Name == name {
			return id, true
		}
	}
	return Identity{}, false
}

// App returns the app registration with the given name.
func (c *Config) App(name string) (App, bool) {
	for _, a := range c.Apps {
		if a.Name == name {
			return a, true
		}
	}
	return App{}, false
}

// Validate reports every problem of the configuration together.
func (c *Config) Validate() error {
	var problems []string
	if !isUUID(c.TenantID) {
		problems = append(problems, fmt.Sprintf("tenant_id %q is not a GUID", c.TenantID))
	}
	system := map[string]bool{}
	seen := map[string]bool{}
	for i, id := range c.Identities {
		where := fmt.Sprintf("identities[%d] (%s)", i, id.Name)
		if id.Name == "" || seen[id.Name] {
			problems = append(problems, where+": name must be set and unique")
		}
		seen[id.Name] = true
		if !isUUID(id.ClientID) || !isUUID(id.ObjectID) {
			problems = append(problems, where+": client_id and object_id must be GUIDs")
		}
		if id.Host != HostAppService && id.Host != HostAzureML {
			problems = append(problems, fmt.Sprintf("%s: host %q is not %s or %s", where, id.Host, HostAppService, HostAzureML))
		}
		switch id.Kind {
		case SystemAssigned:
			if system[id.Host] {
				problems = append(problems, fmt.Sprintf("%s: host %s already has a system-assigned identity", where, id.Host))
			}
			system[id.Host] = true
		case UserAssigned:
		default:
			problems = append(problems, fmt.Sprintf("%s: kind %q is not %s or %s", where, id.Kind, SystemAssigned, UserAssigned))
		}
	}
	for i, a := range c.Apps {
		where := fmt.Sprintf("apps[%d] (%s)", i, a.Name)
		if !isUUID(a.ClientID) {
			problems = append(problems, where+": client_id must be a GUID")
		}
		if a.AccessTokenVersion < 0 || a.AccessTokenVersion > 2 {
			problems = append(problems, where+": access_token_version must be 1 or 2")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid tenant configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

// LoadConfig reads the tenant kept in dir; on first use it stores initial
// (or DefaultConfig when initial is nil) and returns it.
func LoadConfig(dir string, initial *Config) (Config, error) {
	path := filepath.Join(dir, configFile)
	var c Config
	err := store.ReadJSON(path, &c)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		if initial != nil {
			c = *initial
		} else {
			c = DefaultConfig()
		}
		if err := c.Validate(); err != nil {
			return Config{}, err
		}
		if err := store.WriteJSON(path, c); err != nil {
			return Config{}, fmt.Errorf("store tenant configuration: %w", err)
		}
		return c, nil
	default:
		return Config{}, fmt.Errorf("read tenant configuration (fix or delete %s): %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%w (fix %s)", err, path)
	}
	return c, nil
}

// NewUUID returns a random (version 4) GUID in its canonical lower-case form.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("entra: crypto/rand failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
