package azureml

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// Connection categories and auth types of workspace connections.
const (
	CategoryGenericContainerRegistry = "GenericContainerRegistry"
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
}

// PutRegistryConnection creates or replaces the workspace connection name
// that lets AzureML pull images from the private container registry conn
// describes (category GenericContainerRegistry, auth type
// UsernamePassword). The password never appears in errors or logs.
func (c *Client) PutRegistryConnection(ctx context.Context, name string, conn RegistryConnection) error {
	if err := ValidateConnectionName(name); err != nil {
		return err
	}
	target, username, password := conn.Target, conn.Username, conn.Password
	switch {
	case strings.TrimSpace(target) == "":
		return fmt.Errorf("azureml: put connection %s: the registry target is empty: set ARTIFACTORY_HOST", name)
	case username == "" || password.IsZero():
		return fmt.Errorf("azureml: put connection %s: registry username or password is empty: run the token rotation so Key Vault holds JFrog credentials", name)
	}
	body := connectionResource{Properties: connectionProperties{
		Category: CategoryGenericContainerRegistry,
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
