package keyvault

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/frogbridge/frogbridge/internal/secret"
)

// Shape is how a secret's value holds the token: the form its consumer reads.
type Shape string

// The stored shapes.
const (
	// ShapeJSON is {"access_token","username"} (the default).
	ShapeJSON Shape = "json"
	// ShapeDockerConfigJSON is a container runtime's config.json,
	// {"auths":{"<host>":{"auth":"base64(user:token)"}}} (the
	// kubernetes.io/dockerconfigjson layout).
	ShapeDockerConfigJSON Shape = "dockerconfigjson"
	// ShapeNetrc is one "machine <host> login <user> password <token>" line,
	// as curl, pip and Go read it.
	ShapeNetrc Shape = "netrc"
)

// Shapes lists the valid shapes.
var Shapes = []Shape{ShapeJSON, ShapeDockerConfigJSON, ShapeNetrc}

// contentType is the content type a value of shape sh is stored with.
func (sh Shape) contentType() string {
	if sh == ShapeNetrc {
		return "text/plain"
	}
	return ContentType
}

type dockerAuth struct {
	Auth string `json:"auth"`
}

type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

// Encode renders token and username in shape sh for host (the JFrog host
// name, needed by the dockerconfigjson and netrc shapes).
func (sh Shape) Encode(host string, token secret.Token, username string) (string, error) {
	if token.IsZero() || strings.TrimSpace(username) == "" {
		return "", errors.New("encode credentials: empty token or username")
	}
	switch sh {
	case ShapeJSON, "":
		return EncodeCredentials(token, username)
	case ShapeDockerConfigJSON:
		if host == "" {
			return "", errors.New("encode credentials: dockerconfigjson needs a host")
		}
		auth := base64.StdEncoding.EncodeToString([]byte(username + ":" + token.Reveal()))
		b, err := json.Marshal(dockerConfig{Auths: map[string]dockerAuth{host: {Auth: auth}}})
		if err != nil {
			return "", fmt.Errorf("encode credentials: %w", err)
		}
		return string(b), nil
	case ShapeNetrc:
		if host == "" || strings.ContainsAny(host+username+token.Reveal(), " \t\r\n") {
			return "", errors.New("encode credentials: netrc needs a host, and no field may contain white space")
		}
		return "machine " + host + " login " + username + " password " + token.Reveal() + "\n", nil
	default:
		return "", fmt.Errorf("encode credentials: unknown shape %q", string(sh))
	}
}

// Parse decodes value, a secret of shape sh named name. Errors match
// ErrMalformedSecret and never quote the value.
func (sh Shape) Parse(name, value string) (Credentials, error) {
	bad := func(what string) (Credentials, error) {
		return Credentials{}, fmt.Errorf("secret %q: %s: store shape %s (run the rotation with force=true to rewrite it): %w", name, what, sh, ErrMalformedSecret)
	}
	switch sh {
	case ShapeJSON, "":
		return ParseCredentials(name, value)
	case ShapeDockerConfigJSON:
		var dc dockerConfig
		if err := json.Unmarshal([]byte(value), &dc); err != nil {
			return bad("value is not valid JSON")
		}
		if len(dc.Auths) != 1 {
			return bad("auths must hold exactly one host")
		}
		for _, a := range dc.Auths {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return bad("auth is not base64")
			}
			user, tok, ok := strings.Cut(string(raw), ":")
			if !ok || strings.TrimSpace(user) == "" || strings.TrimSpace(tok) == "" {
				return bad("auth is not user:token")
			}
			return Credentials{AccessToken: secret.Token(tok), Username: user, Properties: Properties{Name: name}}, nil
		}
	case ShapeNetrc:
		f := strings.Fields(value)
		if len(f) != 6 || f[0] != "machine" || f[2] != "login" || f[4] != "password" {
			return bad("value is not one line 'machine <host> login <user> password <token>'")
		}
		return Credentials{AccessToken: secret.Token(f[5]), Username: f[3], Properties: Properties{Name: name}}, nil
	}
	return bad("unknown shape")
}
