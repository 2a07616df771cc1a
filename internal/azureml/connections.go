package azureml

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Connection categories and auth types of workspace connections: the
// ConnectionCategory values for registries and the ConnectionAuthType
// UsernamePassword of api-version 2025-09-01 (Azure/azure-rest-api-specs
// …/stable/2025-09-01/workspaceRP.json, as armmachinelearning's
// constants.go spells them). Microsoft documents GenericContainerRegistry
// for "an external registry, such as Nexus or Artifactory, for image
// builds" and ContainerRegistry for registries that jobs pull from
// (MicrosoftDocs/azure-ai-docs articles/machine-learning/how-to-connection.md).
const (
	CategoryGenericContainerRegistry = "GenericContainerRegistry"
	CategoryContainerRegistry        = "ContainerRegistry"
	AuthTypeUsernamePassword         = "UsernamePassword"
)

type connectionResource struct {
	Properties connectionProperties `json:"properties"`
}

type connectionProperties struct {
	Category      string         `json:"category"`
	Target        string         `json:"target"`
	AuthType      string         `json:"authType"`
	Credentials   connectionCred `json:"credentials"`
	IsSharedToAll bool           `json:"isSharedToAll"`
}

// connectionCred carries the password in clear only on the wire: the
// request body is built in memory for the PUT and never logged or kept in
// an error.
type connectionCred struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// RegistryConnection is a workspace connection to a private container
// registry with username and password.
type RegistryConnection struct {
	// Target is the registry URL or host, such as https://acme.jfrog.io.
	Target string
	// Username and Password are the registry credentials.
	Username string
	Password secret.Token
	// Category is the connection category, CategoryGenericContainerRegistry
	// (when empty) or CategoryContainerRegistry.
	Category string
}

// PutRegistryConnection creates or replaces the workspace connection name
// that lets AzureML pull images from the private container registry conn
// describes (auth type UsernamePassword; category conn.Category,
// GenericContainerRegistry by default). The password never appears in
// errors or logs.
func (c *Client) PutRegistryConnection(ctx context.Context, name string, conn RegistryConnection) error {
	if err := ValidateConnectionName(name); err != nil {
		return err
	}
	target, username, password := conn.Target, conn.Username, conn.Password
	category := conn.Category
	if category == "" {
		category = CategoryGenericContainerRegistry
	}
	switch {
	case category != CategoryGenericContainerRegistry && category != CategoryContainerRegistry:
		return fmt.Errorf("azureml: put connection %s: category %q is not a registry category: set AZUREML_CONNECTION_CATEGORY to %s or %s",
			name, category, CategoryGenericContainerRegistry, CategoryContainerRegistry)
	case strings.TrimSpace(target) == "":
		return fmt.Errorf("azureml: put connection %s: the registry target is empty: set %s", name, upstream.Setting(c.settings.RegistryHost, "the registry host"))
	case username == "" || password.IsZero():
		return fmt.Errorf("azureml: put connection %s: registry username or password is empty: run the token rotation so Key Vault holds JFrog credentials", name)
	}
	body := connectionResource{Properties: connectionProperties{
		Category: category,
		Target:   target,
		AuthType: AuthTypeUsernamePassword,
		Credentials: connectionCred{
			Username: username,
			Password: password.Reveal(),
		},
	}}
	_, err := c.do(ctx, "put connection "+name, http.MethodPut, c.url("/connections/"+url.PathEscape(name)), body, nil,
		http.StatusOK, http.StatusCreated)
	return err
}

// ConnectionInfo is a workspace connection as GET returns it: without
// credentials (they come only from listsecrets).
type ConnectionInfo struct {
	Category string
	Target   string
	AuthType string
}

// GetConnection reads the workspace connection name (GET
// …/connections/{name}, 200 with WorkspaceConnectionPropertiesV2 whose
// credentials are omitted: api-version 2025-09-01 of workspaceRP.json).
// A missing connection is an error matching upstream.ErrNotFound.
func (c *Client) GetConnection(ctx context.Context, name string) (ConnectionInfo, error) {
	if err := ValidateConnectionName(name); err != nil {
		return ConnectionInfo{}, err
	}
	var out struct {
		Properties struct {
			Category string `json:"category"`
			Target   string `json:"target"`
			AuthType string `json:"authType"`
		} `json:"properties"`
	}
	if _, err := c.do(ctx, "get connection "+name, http.MethodGet, c.url("/connections/"+url.PathEscape(name)), nil, &out, http.StatusOK); err != nil {
		return ConnectionInfo{}, err
	}
	p := out.Properties
	return ConnectionInfo{Category: p.Category, Target: p.Target, AuthType: p.AuthType}, nil
}

// CheckWorkspace reads the workspace resource (GET …/workspaces/{name}),
// which needs only read access: it proves the workspace exists and the
// identity may see it.
func (c *Client) CheckWorkspace(ctx context.Context) error {
	_, err := c.do(ctx, "get workspace", http.MethodGet, c.url(""), nil, nil, http.StatusOK)
	return err
}

// Compute is a compute target as GET …/computes/{name} reports it.
type Compute struct {
	// Type is properties.computeType, such as AmlCompute.
	Type string
	// ProvisioningState is properties.provisioningState, such as Succeeded.
	ProvisioningState string
}

// GetCompute reads compute target name of the workspace (Compute_Get,
// GET …/workspaces/{ws}/computes/{name}, api-version 2025-09-01). A
// missing compute matches upstream.ErrNotFound.
func (c *Client) GetCompute(ctx context.Context, name string) (Compute, error) {
	var out struct {
		Properties struct {
			ComputeType       string `json:"computeType"`
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	if _, err := c.do(ctx, "get compute "+name, http.MethodGet, c.url("/computes/"+url.PathEscape(name)), nil, &out, http.StatusOK); err != nil {
		return Compute{}, err
	}
	return Compute{Type: out.Properties.ComputeType, ProvisioningState: out.Properties.ProvisioningState}, nil
}

// ConnectionCredentials are a connection's credentials from listsecrets.
// Password is kept as a secret.Token so it is never printed.
type ConnectionCredentials struct {
	Username string
	Password secret.Token
}

// ListConnectionSecrets reads the credentials of the workspace connection
// name (POST …/connections/{name}/listsecrets, "List all the secrets of a
// machine learning workspaces connections.", 200 with the connection and
// properties.credentials: api-version 2025-09-01 of workspaceRP.json). A
// missing connection matches upstream.ErrNotFound.
func (c *Client) ListConnectionSecrets(ctx context.Context, name string) (ConnectionCredentials, error) {
	if err := ValidateConnectionName(name); err != nil {
		return ConnectionCredentials{}, err
	}
	var out struct {
		Properties struct {
			Credentials struct {
				Username string `json:"username"`
				Password string `json:"password"`
			} `json:"credentials"`
		} `json:"properties"`
	}
	if _, err := c.do(ctx, "list secrets of connection "+name, http.MethodPost, c.url("/connections/"+url.PathEscape(name)+"/listsecrets"), nil, &out, http.StatusOK); err != nil {
		return ConnectionCredentials{}, err
	}
	cr := out.Properties.Credentials
	return ConnectionCredentials{Username: cr.Username, Password: secret.Token(cr.Password)}, nil
}
