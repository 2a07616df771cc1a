package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/frogbridge/frogbridge/internal/devstack/localvault"
)

// provision applies the demo's default setup and describes it.
func (s *stack) provision(ctx context.Context) (string, error) {
	cfg := s.tenant.Config()
	fa, _ := cfg.Identity(entra.FunctionAppIdentity)
	compute, _ := cfg.Identity(entra.ComputeIdentity)
	for _, ra := range []localvault.RoleAssignment{
		{PrincipalID: fa.ObjectID, Role: localvault.RoleSecretsOfficer},
		{PrincipalID: compute.ObjectID, Role: localvault.RoleSecretsUser},
	} {
		if err := s.vault.AssignRole(ra.PrincipalID, ra.Role); err != nil {
			return "", fmt.Errorf("assign %s: %w", ra.Role, err)
		}
	}
	done := []string{
		"Key Vault: function-app is " + localvault.RoleSecretsOfficer + ", compute is " + localvault.RoleSecretsUser,
	}
	var err error
	if s.ci, s.ciSecret, err = s.provisionEntra(); err != nil {
		return "", err
	}
	done = append(done, fmt.Sprintf("Entra ID: client %s with app roles %s on %s", ciClient, strings.Join(ciRoles, ", "), entra.APIApp))
	if s.jfrog != nil {
		if err := s.provisionJFrog(ctx); err != nil {
			return "", err
		}
		done = append(done, fmt.Sprintf("JFrog: OIDC provider %s, identity mapping %s (user %s), repository %s",
			oidcProviderName, rotationMapping, rotationUser, mlRepo))
	}
	return strings.Join(done, "; "), nil
}

// adminHandler serves DEVSTACK_ADMIN_URL:
//
//	/faults...                                  fault injection (see package faults)
//	GET    /keyvault/role-assignments           list
//	POST   /keyvault/role-assignments           {"principal_id","role"} assign
//	DELETE /keyvault/role-assignments           {"principal_id","role"} remove
//	GET    /entra/tenant                        tenant, identities and app registrations
//	POST   /entra/applications                  {"name"} register a client (or give it a new secret):
//	                                            {"name","client_id","object_id","client_secret"}
//	GET    /entra/applications                  registered clients (no secrets)
//	POST   /entra/applications/{name}/federated-credentials
//	                                            {"name","issuer","subject","audiences"} trust a workload issuer
//	POST   /entra/github-actions/token          {"subject","audience"}: {"value"}, a token of the local
//	                                            stand-in for GitHub Actions' OIDC issuer
//	GET    /entra/app-role-assignments          list
//	POST   /entra/app-role-assignments          {"principal_id","resource","role"} assign (principal:
//	DELETE /entra/app-role-assignments          client name or id; resource: app name or client id,
//	                                            default frogbridge-api) or remove
//	GET    /jfrog/token-thresholds              {"revocable_expiry_threshold","persistent_expiry_threshold"} (seconds)
//	PUT    /jfrog/token-thresholds              the same body: change them for tokens issued from now on (0: JFrog's default)
//	GET    /healthz                             200 when up
func (s *stack) adminHandler() http.Handler {
	mux := http.NewServeMux()
	fh := s.faults.AdminHandler()
	mux.Handle("/faults", fh)
	mux.Handle("/faults/", fh)
	mux.HandleFunc("GET /jfrog/token-thresholds", s.getThresholds)
	mux.HandleFunc("PUT /jfrog/token-thresholds", s.putThresholds)
	mux.HandleFunc("GET /keyvault/role-assignments", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, map[string]any{"value": s.vault.RoleAssignments()})
	})
	mux.HandleFunc("POST /keyvault/role-assignments", func(w http.ResponseWriter, r *http.Request) {
		ra, ok := decodeAssignment(w, r)
		if !ok {
			return
		}
		if err := s.vault.AssignRole(ra.PrincipalID, ra.Role); err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusCreated, ra)
	})
	mux.HandleFunc("DELETE /keyvault/role-assignments", func(w http.ResponseWriter, r *http.Request) {
		ra, ok := decodeAssignment(w, r)
		if !ok {
			return
		}
		found, err := s.vault.RemoveRole(ra.PrincipalID, ra.Role)
		switch {
		case err != nil:
			writeAdminJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		case !found:
			writeAdminJSON(w, http.StatusNotFound, map[string]string{"error": "no such role assignment"})
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("GET /entra/tenant", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, s.tenant.Config())
	})
	s.entraAdmin(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, map[string]string{"status": "up"})
	})
	return mux
}

func decodeAssignment(w http.ResponseWriter, r *http.Request) (localvault.RoleAssignment, bool) {
	var ra localvault.RoleAssignment
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ra); err != nil {
		writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"principal_id\",\"role\"}: " + err.Error()})
		return ra, false
	}
	return ra, true
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// tokenThresholds is the admin API's view of the local JFrog's token
// thresholds, in seconds.
type tokenThresholds struct {
	Revocable  *int64 `json:"revocable_expiry_threshold"`
	Persistent *int64 `json:"persistent_expiry_threshold"`
}

func (s *stack) getThresholds(w http.ResponseWriter, _ *http.Request) {
	if s.jfrog == nil {
		writeAdminJSON(w, http.StatusNotFound, map[string]string{"error": "the local JFrog is not running"})
		return
	}
	r, p := s.jfrog.Thresholds()
	rs, ps := int64(r/time.Second), int64(p/time.Second)
	writeAdminJSON(w, http.StatusOK, tokenThresholds{Revocable: &rs, Persistent: &ps})
}

func (s *stack) putThresholds(w http.ResponseWriter, r *http.Request) {
	if s.jfrog == nil {
		writeAdminJSON(w, http.StatusNotFound, map[string]string{"error": "the local JFrog is not running"})
		return
	}
	var t tokenThresholds
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil || t.Revocable == nil || t.Persistent == nil {
		writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"revocable_expiry_threshold": SECONDS, "persistent_expiry_threshold": SECONDS}`})
		return
	}
	s.jfrog.SetThresholds(time.Duration(*t.Revocable)*time.Second, time.Duration(*t.Persistent)*time.Second)
	s.getThresholds(w, r)
}
