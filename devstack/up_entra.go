package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
)

// ciClient is the client application provisioned for the demo: CI's
// stand-in, holding every app role of the API but Diagnostics.Read.
const ciClient = "frogbridge-ci"

// ciRoles are the app roles the provisioned CI client gets.
var ciRoles = []string{"Jobs.Submit", "Jobs.Read", "Rotation.Run"}

// provisionEntra registers the CI client with a new secret and its app
// roles, and returns the client and the secret for the env file.
func (s *stack) provisionEntra() (entra.Client, string, error) {
	c, secret, err := s.tenant.RegisterClient(ciClient)
	if err != nil {
		return c, "", err
	}
	for _, role := range ciRoles {
		if _, err := s.tenant.AssignAppRole(entra.AppRoleAssignment{PrincipalID: c.ObjectID, Role: role}); err != nil {
			return c, "", fmt.Errorf("assign %s to %s: %w", role, ciClient, err)
		}
	}
	return c, secret, nil
}

// entraAdmin adds the client-application and app-role-assignment routes of
// the admin API.
func (s *stack) entraAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /entra/applications", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, map[string]any{"value": s.tenant.Clients()})
	})
	mux.HandleFunc("POST /entra/applications", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name string `json:"name"`
		}
		if !decodeAdmin(w, r, &req, `{"name"}`) {
			return
		}
		c, secret, err := s.tenant.RegisterClient(req.Name)
		if err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusCreated, map[string]string{
			"name": c.Name, "client_id": c.ClientID, "object_id": c.ObjectID, "client_secret": secret,
		})
	})
	mux.HandleFunc("POST /entra/applications/{name}/federated-credentials", func(w http.ResponseWriter, r *http.Request) {
		var fc entra.FederatedCredential
		if !decodeAdmin(w, r, &fc, `{"name","issuer","subject","audiences"}`) {
			return
		}
		got, err := s.tenant.AddFederatedCredential(r.PathValue("name"), fc)
		if err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusCreated, got)
	})
	// The local stand-in for GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL:
	// {"subject","audience"} → {"value": <token of the local workload issuer>}.
	mux.HandleFunc("POST /entra/github-actions/token", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Subject  string `json:"subject"`
			Audience string `json:"audience"`
		}
		if !decodeAdmin(w, r, &req, `{"subject","audience"}`) {
			return
		}
		tok, err := s.tenant.IssueWorkloadToken(req.Subject, req.Audience)
		if err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusOK, map[string]string{"value": tok})
	})
	mux.HandleFunc("GET /entra/app-role-assignments", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, map[string]any{"value": s.tenant.AppRoleAssignments()})
	})
	mux.HandleFunc("POST /entra/app-role-assignments", func(w http.ResponseWriter, r *http.Request) {
		var a entra.AppRoleAssignment
		if !decodeAdmin(w, r, &a, `{"principal_id","resource","role"}`) {
			return
		}
		got, err := s.tenant.AssignAppRole(a)
		if err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusCreated, got)
	})
	mux.HandleFunc("DELETE /entra/app-role-assignments", func(w http.ResponseWriter, r *http.Request) {
		var a entra.AppRoleAssignment
		if !decodeAdmin(w, r, &a, `{"principal_id","resource","role"}`) {
			return
		}
		found, err := s.tenant.RemoveAppRole(a)
		switch {
		case err != nil:
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case !found:
			writeAdminJSON(w, http.StatusNotFound, map[string]string{"error": "no such app role assignment"})
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "want " + shape + ": " + err.Error()})
		return false
	}
	return true
}

// entraEnv returns the caller-authentication settings of the env file: the
// handler's AUTH_* settings for the local tenant (AUTH_MODE stays unset,
// so keys), and the CI client's credentials for the demo and the tests.
func (s *stack) entraEnv() map[string]string {
	cfg := s.tenant.Config()
	api, _ := cfg.App(entra.APIApp)
	env := map[string]string{
		"AUTH_TENANT_ID":             s.tenant.TenantID(),
		"AUTH_AUDIENCE":              api.ClientID,
		"AUTH_AUTHORITY_HOST":        s.url(slotEntra, "https"),
		"DEVSTACK_API_APP_CLIENT_ID": api.ClientID,
		"DEVSTACK_GITHUB_ISSUER":     s.tenant.GitHubIssuer(),
	}
	if s.ciSecret != "" {
		env["DEVSTACK_CI_CLIENT_ID"] = s.ci.ClientID
		env["DEVSTACK_CI_CLIENT_SECRET"] = s.ciSecret
	}
	return env
}
