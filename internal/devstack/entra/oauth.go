package entra

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clientTokenLifetime is the lifetime of client-credentials tokens; Entra
// answers expires_in 3599 for them.
const clientTokenLifetime = time.Hour

// tokenResponse is the v2 token endpoint's answer to a client-credentials
// request (Microsoft identity platform, "OAuth 2.0 client credentials
// flow": token_type, expires_in, ext_expires_in, access_token).
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// tokenError is Entra's OAuth error body: error, error_description
// (starting with the AADSTS code), error_codes, timestamp, trace_id and
// correlation_id.
type tokenError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}

// serveClientCredentials is POST /{tenant}/oauth2/v2.0/token for the client
// credentials grant with client_secret_post or client_secret_basic, the
// way MSAL (azidentity's ClientSecretCredential) calls it: form fields
// grant_type=client_credentials, client_id, client_secret and
// scope=<resource>/.default. The token's roles are the client's app role
// assignments on the resource.
func (s *Server) serveClientCredentials(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.tokenError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		s.tokenError(w, r, http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'; this local tenant issues client_credentials tokens only.", gt))
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		clientID, secret = id, sec
	}
	if clientID == "" {
		s.tokenError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	if at := r.PostForm.Get("client_assertion_type"); at != "" || r.PostForm.Get("client_assertion") != "" {
		if at != assertionType {
			s.tokenError(w, r, http.StatusBadRequest, "invalid_request", 50026,
				fmt.Sprintf("client_assertion_type must be %s.", assertionType))
			return
		}
		client, code, msg := s.authenticateAssertion(clientID, r.PostForm.Get("client_assertion"))
		if code != 0 {
			status := http.StatusUnauthorized
			if code == 700016 {
				status = http.StatusBadRequest
			}
			s.tokenError(w, r, status, map[bool]string{true: "unauthorized_client", false: "invalid_client"}[code == 700016], code, msg)
			return
		}
		s.answerToken(w, r, client, "2")
		return
	}
	client, found, ok := s.authenticateSecret(clientID, secret)
	switch {
	case !found:
		s.tokenError(w, r, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, s.cfg.TenantID))
		return
	case secret == "":
		s.tokenError(w, r, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case !ok:
		s.tokenError(w, r, http.StatusUnauthorized, "invalid_client", 7000215,
			fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", client.ClientID))
		return
	}
	s.answerToken(w, r, client, "1")
}

// answerToken issues the token for the request's scope to an authenticated
// client; acr is its azpacr/appidacr ("1" secret, "2" certificate or
// assertion).
func (s *Server) answerToken(w http.ResponseWriter, r *http.Request, client Client, acr string) {
	// MSAL adds the OIDC scopes openid, offline_access and profile to
	// every request; Entra ignores them in this flow.
	scope := strings.TrimSpace(r.PostForm.Get("scope"))
	var resources []string
	for _, sc := range strings.Fields(scope) {
		if sc != "openid" && sc != "offline_access" && sc != "profile" {
			resources = append(resources, sc)
		}
	}
	resource, ok := "", false
	if len(resources) == 1 {
		resource, ok = strings.CutSuffix(resources[0], "/.default")
	}
	if !ok {
		s.tokenError(w, r, http.StatusBadRequest, "invalid_scope", 1002012,
			fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	app, found := s.appFor(resource)
	if !found {
		s.tokenError(w, r, http.StatusBadRequest, "invalid_resource", 500011,
			fmt.Sprintf("The resource principal named %s was not found in the tenant named %s.", resource, s.cfg.TenantID))
		return
	}
	if app.AssignmentRequired && len(s.rolesOf(client.ObjectID, app.ClientID)) == 0 {
		// Wording after Entra's AADSTS501051 (not checked against a live tenant).
		s.tokenError(w, r, http.StatusBadRequest, "invalid_grant", 501051,
			fmt.Sprintf("Application '%s'(%s) is not assigned to a role for the application '%s'(%s).", client.ClientID, client.Name, app.ClientID, app.Name))
		return
	}
	tok, err := s.issueForClient(client, app, resource, acr)
	if err != nil {
		s.tokenError(w, r, http.StatusInternalServerError, "server_error", 0, err.Error())
		return
	}
	s.log.Info().Str("client_id", client.ClientID).Str("resource", resource).Msg("issued client credentials token")
	writeJSON(w, http.StatusOK, tokenResponse{TokenType: "Bearer", ExpiresIn: int(clientTokenLifetime.Seconds()) - 1,
		ExtExpiresIn: int(clientTokenLifetime.Seconds()) - 1, AccessToken: tok})
}

// appFor returns the app registration named by resource (its client id or
// one of its identifier URIs).
func (s *Server) appFor(resource string) (App, bool) {
	trimmed := strings.TrimSuffix(resource, "/")
	for _, a := range s.cfg.Apps {
		if strings.EqualFold(trimmed, a.ClientID) {
			return a, true
		}
		for _, u := range a.IdentifierURIs {
			if strings.EqualFold(trimmed, strings.TrimSuffix(u, "/")) {
				return a, true
			}
		}
	}
	return App{}, false
}

// issueForClient signs an app-only token for client to call app, with the
// client's app roles on it. The version follows the app's
// access_token_version, as for managed identities.
func (s *Server) issueForClient(client Client, app App, resource, acr string) (string, error) {
	now := s.now()
	c := tokenClaims{
		Aud:   resource,
		Iat:   now.Add(-5 * time.Minute).Unix(),
		Nbf:   now.Add(-5 * time.Minute).Unix(),
		Exp:   now.Add(clientTokenLifetime).Unix(),
		Aio:   randomOpaque(40),
		Idtyp: "app",
		Oid:   client.ObjectID,
		Rh:    "0." + randomOpaque(60) + ".",
		Sub:   client.ObjectID,
		Tid:   s.cfg.TenantID,
		Uti:   randomOpaque(16),
		Roles: s.rolesOf(client.ObjectID, app.ClientID),
	}
	if app.AccessTokenVersion == 2 {
		c.Aud = app.ClientID
		c.Iss = s.IssuerV2()
		c.Azp, c.AzpAC, c.Ver = client.ClientID, acr, "2.0"
	} else {
		c.Iss = V1Issuer(s.cfg.TenantID)
		c.Idp = c.Iss
		c.AppID, c.AppIDAC, c.Ver = client.ClientID, acr, "1.0"
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = s.key.kid
	t.Header["x5t"] = s.key.kid
	signed, err := t.SignedString(s.key.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

func (s *Server) tokenError(w http.ResponseWriter, r *http.Request, status int, code string, aadsts int, msg string) {
	trace := NewUUID()
	desc := msg
	if aadsts != 0 {
		desc = fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, msg, trace, trace, s.now().UTC().Format("2006-01-02 15:04:05Z"))
	}
	s.log.Warn().Str("path", r.URL.Path).Int("status", status).Str("reason", msg).Msg("refused token request")
	codes := []int{}
	if aadsts != 0 {
		codes = []int{aadsts}
	}
	writeJSON(w, status, tokenError{Error: code, Description: desc, ErrorCodes: codes,
		Timestamp: s.now().UTC().Format("2006-01-02 15:04:05Z"), TraceID: trace, CorrelationID: trace})
}
