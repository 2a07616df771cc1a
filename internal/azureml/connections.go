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
