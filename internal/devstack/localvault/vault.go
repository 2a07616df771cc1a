// Package localvault is the local stack's Azure Key Vault (secrets): the REST
// API azsecrets calls (set, get latest and by version, list, list versions,
// update attributes, soft delete, recover, purge) with Key Vault's challenge
// authentication, token verification against the local Entra tenant, RBAC
// role assignments per identity and Key Vault's error bodies. State lives in
// a data folder and every write is atomic, so it survives restarts and
// crashes.
package localvault

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/rs/zerolog"
)

// Resource is the audience of Key Vault tokens.
const Resource = "https://vault.azure.net"

// maxBody bounds request bodies.
const maxBody = 1 << 20

var namePattern = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// TokenVerifier verifies bearer tokens; *entra.Server implements it.
type TokenVerifier interface {
	VerifyAccessToken(raw string, audiences ...string) (entra.Claims, error)
}

// Options configure a Vault. DataDir, VaultURL, Authority and Verifier are
// required.
type Options struct {
	// DataDir holds the secrets and role assignments.
	DataDir string
	// VaultURL is the https URL the vault is served at; secret ids start
	// with it.
	VaultURL string
	// Authority is sent in the 401 challenge, such as
	// https://127.0.0.1:8443/<tenant>; azsecrets reads the tenant from it.
	Authority string
	// Verifier checks bearer tokens.
	Verifier TokenVerifier
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Logger receives one line per refused request (never a token or value).
	Logger zerolog.Logger
}

// Vault is the local Key Vault. It is safe for concurrent use.
type Vault struct {
	url       string
	authority string
	verifier  TokenVerifier
	store     *secretStore
	roles     *roles
	log       zerolog.Logger
}

// New opens (or creates) the vault kept in opts.DataDir.
func New(opts Options) (*Vault, error) {
	u, err := url.Parse(opts.VaultURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("vault URL %q must be an https URL", opts.VaultURL)
	}
	if opts.Verifier == nil || !strings.HasPrefix(opts.Authority, "https://") {
		return nil, errors.New("keyvault: a token verifier and an https authority are required")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	st, err := newSecretStore(opts.DataDir, now)
	if err != nil {
		return nil, err
	}
	rs, err := loadRoles(opts.DataDir)
	if err != nil {
		return nil, err
	}
	return &Vault{
		url: strings.TrimSuffix(opts.VaultURL, "/"), authority: opts.Authority,
		verifier: opts.Verifier, store: st, roles: rs, log: opts.Logger,
	}, nil
}

// URL returns the vault's URL.
func (v *Vault) URL() string { return v.url }

// AssignRole grants role on the vault to the principal (an identity's object
// id). Assigning an existing assignment does nothing.
func (v *Vault) AssignRole(principalID, role string) error {
	return v.roles.assign(RoleAssignment{PrincipalID: principalID, Role: role})
}

// RemoveRole removes a role assignment and reports whether it existed.
func (v *Vault) RemoveRole(principalID, role string) (bool, error) {
	return v.roles.remove(RoleAssignment{PrincipalID: principalID, Role: role})
}

// RoleAssignments returns the vault's role assignments.
func (v *Vault) RoleAssignments() []RoleAssignment { return v.roles.all() }

// Handler serves the Key Vault secrets REST API (to be served over TLS at
// VaultURL).
func (v *Vault) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /secrets/{name}", v.guard(accessWrite, "setSecret/action", v.setSecret))
	mux.HandleFunc("GET /secrets/{name}", v.guard(accessRead, "getSecret/action", v.getSecret))
	mux.HandleFunc("GET /secrets/{name}/{$}", v.guard(accessRead, "getSecret/action", v.getSecret))
	mux.HandleFunc("GET /secrets/{name}/{version}", v.guard(accessRead, "getSecret/action", v.getSecret))
	mux.HandleFunc("GET /secrets/{name}/versions", v.guard(accessRead, "readMetadata/action", v.listVersions))
	mux.HandleFunc("GET /secrets", v.guard(accessRead, "readMetadata/action", v.listSecrets))
	mux.HandleFunc("PATCH /secrets/{name}", v.guard(accessWrite, "update/action", v.updateSecret))
	mux.HandleFunc("PATCH /secrets/{name}/{$}", v.guard(accessWrite, "update/action", v.updateSecret))
	mux.HandleFunc("PATCH /secrets/{name}/{version}", v.guard(accessWrite, "update/action", v.updateSecret))
	mux.HandleFunc("DELETE /secrets/{name}", v.guard(accessWrite, "delete", v.deleteSecret))
	mux.HandleFunc("GET /deletedsecrets/{name}", v.guard(accessWrite, "readMetadata/action", v.getDeleted))
	mux.HandleFunc("DELETE /deletedsecrets/{name}", v.guard(accessWrite, "purge/action", v.purgeDeleted))
	mux.HandleFunc("POST /deletedsecrets/{name}/recover", v.guard(accessWrite, "recover/action", v.recoverDeleted))
	mux.HandleFunc("/", v.guard(accessRead, "", func(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
		writeError(w, http.StatusBadRequest, "BadParameter", "", fmt.Sprintf("The request URI %s is not a secrets operation this vault supports.", r.URL.Path))
	}))
	return mux
}

type authedHandler func(w http.ResponseWriter, r *http.Request, c entra.Claims)

// guard authenticates the request (401 with the challenge), checks the
// api-version and the secret name, and authorizes the caller (403).
func (v *Vault) guard(need access, action string, h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		scheme, raw, _ := strings.Cut(authz, " ")
		if authz == "" || !strings.EqualFold(scheme, "Bearer") || raw == "" {
			v.challenge(w, "AKV10000: Request is missing a Bearer or PoP token.")
			return
		}
		c, err := v.verifier.VerifyAccessToken(raw, Resource)
		if err != nil {
			v.log.Warn().Str("path", r.URL.Path).Err(err).Msg("refused token")
			switch {
			case errors.Is(err, entra.ErrAudience):
				v.challenge(w, "AKV10022: Invalid audience. "+trimSentinel(err, entra.ErrAudience))
			case errors.Is(err, entra.ErrTokenExpired):
				v.challenge(w, "AKV10032: Token expired or not yet valid.")
			default:
				v.challenge(w, "AKV10032: Invalid issuer or signature.")
			}
			return
		}
		if r.URL.Query().Get("api-version") == "" {
			writeError(w, http.StatusBadRequest, "BadParameter", "", "The request URI contains an invalid or missing api-version.")
			return
		}
		if name := r.PathValue("name"); name != "" && !namePattern.MatchString(name) {
			writeError(w, http.StatusBadRequest, "BadParameter", "",
				fmt.Sprintf("The request URI contains an invalid name: %s. Secret names may contain only 0-9, a-z, A-Z and -.", name))
			return
		}
		if action != "" && !v.roles.allowed(c.ObjectID, need) {
			v.forbid(w, r, c, need, action)
			return
		}
		h(w, r, c)
	}
}

func (v *Vault) challenge(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="%s", resource="%s"`, v.authority, Resource))
	writeError(w, http.StatusUnauthorized, "Unauthorized", "", msg)
}

func (v *Vault) forbid(w http.ResponseWriter, r *http.Request, c entra.Claims, need access, action string) {
	role := need.minimalRole()
	v.log.Warn().Str("path", r.URL.Path).Str("object_id", c.ObjectID).Str("missing_role", role).Msg("refused by RBAC")
	msg := fmt.Sprintf("Caller is not authorized to perform action on resource.\r\n"+
		"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n"+
		"Caller: appid=%s;oid=%s;iss=%s\r\n"+
		"Action: 'Microsoft.KeyVault/vaults/secrets/%s'\r\n"+
		"Resource: '%s%s'\r\n"+
		"Assignment: (not found)\r\n"+
		"Missing role: '%s' (assign it to object id %s on this vault)\r\n",
		c.AppID, c.ObjectID, c.Issuer, action, v.url, r.URL.Path, role, c.ObjectID)
	writeError(w, http.StatusForbidden, "Forbidden", "ForbiddenByRbac", msg)
}

func trimSentinel(err, sentinel error) string {
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), sentinel.Error()), ": ")
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadParameter", "", "The request body could not be read or is larger than 1 MiB.")
		return nil, false
	}
	return b, true
}
