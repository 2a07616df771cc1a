package entra

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// API versions of the managed-identity protocols.
const (
	AppServiceAPIVersion = "2019-08-01"
	AzureMLAPIVersion    = "2017-09-01"
)

// miToken is the managed-identity endpoints' token response; expires_on is
// Unix seconds as a string, as both protocols send it.
type miToken struct {
	AccessToken string `json:"access_token"`
	ExpiresOn   string `json:"expires_on"`
	Resource    string `json:"resource"`
	TokenType   string `json:"token_type"`
	ClientID    string `json:"client_id"`
}

// IdentityHandler serves the managed-identity endpoints over plain http on
// loopback, like the platform's local endpoints:
//
//	GET /msi/token?api-version=2019-08-01&resource=R[&client_id|object_id|principal_id|mi_res_id]
//	    with X-IDENTITY-HEADER (App Service / Functions, IDENTITY_ENDPOINT)
//	GET /MSI/auth?api-version=2017-09-01&resource=R[&clientid]
//	    with secret (AzureML compute, MSI_ENDPOINT)
func (s *Server) IdentityHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AppServicePath, s.serveAppService)
	mux.HandleFunc("GET "+AzureMLPath, s.serveAzureML)
	return mux
}

func (s *Server) serveAppService(w http.ResponseWriter, r *http.Request) {
	if !secretEqual(r.Header.Get("X-IDENTITY-HEADER"), s.idHeader) {
		s.refuse(w, r, http.StatusUnauthorized, "invalid_request",
			"the X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER (it changes on every devstack start; reload the env file)")
		return
	}
	q := r.URL.Query()
	if v := q.Get("api-version"); v != AppServiceAPIVersion {
		s.refuse(w, r, http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("api-version %q is not supported by this endpoint; use %s", v, AppServiceAPIVersion))
		return
	}
	sel := selector{}
	for _, k := range []string{"client_id", "object_id", "principal_id", "mi_res_id"} {
		if v := q.Get(k); v != "" {
			if sel.kind != "" {
				s.refuse(w, r, http.StatusBadRequest, "invalid_request", "only one of client_id, object_id, principal_id, mi_res_id may be given")
				return
			}
			sel = selector{kind: k, value: v}
		}
	}
	s.serveToken(w, r, HostAppService, sel, q.Get("resource"))
}

func (s *Server) serveAzureML(w http.ResponseWriter, r *http.Request) {
	if !secretEqual(r.Header.Get("secret"), s.msiSecret) {
		s.refuse(w, r, http.StatusUnauthorized, "invalid_request",
			"Invalid secret token header: the secret header is missing or does not match MSI_SECRET (it changes on every devstack start)")
		return
	}
	q := r.URL.Query()
	if v := q.Get("api-version"); v != AzureMLAPIVersion {
		s.refuse(w, r, http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("api-version %q is not supported by this endpoint; use %s", v, AzureMLAPIVersion))
		return
	}
	sel := selector{}
	if v := q.Get("clientid"); v != "" {
		sel = selector{kind: "client_id", value: v}
	}
	s.serveToken(w, r, HostAzureML, sel, q.Get("resource"))
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, host string, sel selector, resource string) {
	if resource == "" {
		s.refuse(w, r, http.StatusBadRequest, "invalid_request", "the resource query parameter is required")
		return
	}
	id, err := s.pick(host, sel)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	tok, exp, err := s.Issue(id, resource)
	if errors.Is(err, ErrUnknownResource) {
		s.refuse(w, r, http.StatusBadRequest, "invalid_resource", "AADSTS500011: "+err.Error())
		return
	}
	if err != nil {
		s.refuse(w, r, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	s.log.Info().Str("host", host).Str("identity", id.Name).Str("resource", resource).Msg("issued managed identity token")
	writeJSON(w, http.StatusOK, miToken{
		AccessToken: tok,
		ExpiresOn:   strconv.FormatInt(exp.Unix(), 10),
		Resource:    resource,
		TokenType:   "Bearer",
		ClientID:    id.ClientID,
	})
}

type selector struct{ kind, value string }

// pick returns the host's identity named by sel, or its system-assigned one
// when sel is empty.
func (s *Server) pick(host string, sel selector) (Identity, error) {
	for _, id := range s.cfg.Identities {
		if id.Host != host {
			continue
		}
		var match bool
		switch sel.kind {
		case "":
			match = id.Kind == SystemAssigned
		case "client_id":
			match = strings.EqualFold(id.ClientID, sel.value)
		case "object_id", "principal_id":
			match = strings.EqualFold(id.ObjectID, sel.value)
		case "mi_res_id":
			match = id.ResourceID != "" && strings.EqualFold(id.ResourceID, sel.value)
		}
		if match {
			return id, nil
		}
	}
	if sel.kind == "" {
		return Identity{}, fmt.Errorf("%w: no system-assigned identity is enabled on %s (add one to %s)", ErrUnknownIdentity, host, configFile)
	}
	return Identity{}, fmt.Errorf("%w: no identity with %s %s is assigned to %s (assign it in %s)", ErrUnknownIdentity, sel.kind, sel.value, host, configFile)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	s.log.Warn().Str("path", r.URL.Path).Int("status", status).Str("reason", msg).Msg("refused managed identity token request")
	writeJSON(w, status, oauthError{Error: code, Description: msg})
}

func secretEqual(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
