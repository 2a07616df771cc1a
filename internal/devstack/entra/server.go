package entra

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Paths of the managed-identity endpoints on the identity listener.
const (
	AppServicePath = "/msi/token" // IDENTITY_ENDPOINT
	AzureMLPath    = "/MSI/auth"  // MSI_ENDPOINT
)

// Options configure a Server. Zero values mean the defaults.
type Options struct {
	// DataDir holds the tenant configuration and the signing key.
	DataDir string
	// BaseURL is the https URL the issuer handler is served at, such as
	// https://127.0.0.1:8443; the v2 issuer is BaseURL/<tenant>/v2.0.
	BaseURL string
	// Initial is the tenant stored on first start (DefaultConfig when nil).
	Initial *Config
	// TokenLifetime is how long issued tokens live (default 24h, like
	// managed-identity tokens).
	TokenLifetime time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Logger receives one line per token request (never the token).
	Logger zerolog.Logger
}

// Server is the local Entra ID tenant. It is safe for concurrent use.
type Server struct {
	cfg       Config
	key       *signingKey
	base      string
	lifetime  time.Duration
	now       func() time.Time
	log       zerolog.Logger
	idHeader  string
	msiSecret string
	dir       *directory
}

// New loads (or creates) the tenant kept in opts.DataDir.
func New(opts Options) (*Server, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("entra base URL %q must be an https URL", opts.BaseURL)
	}
	cfg, err := LoadConfig(opts.DataDir, opts.Initial)
	if err != nil {
		return nil, err
	}
	key, err := loadOrCreateKey(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg, err = ensureAPIApp(opts.DataDir, cfg); err != nil {
		return nil, err
	}
	dir, err := loadDirectory(opts.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, key: key, base: strings.TrimSuffix(opts.BaseURL, "/"),
		lifetime: opts.TokenLifetime, now: opts.Now, log: opts.Logger,
		idHeader: randomHex(16), msiSecret: randomHex(16), dir: dir,
	}
	if s.lifetime <= 0 {
		s.lifetime = 24 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Config returns the tenant's configuration.
func (s *Server) Config() Config { return s.cfg }

// TenantID returns the tenant's id.
func (s *Server) TenantID() string { return s.cfg.TenantID }

// IssuerV2 returns the v2 issuer, BaseURL/<tenant>/v2.0.
func (s *Server) IssuerV2() string { return s.base + "/" + s.cfg.TenantID + "/v2.0" }

// Authority returns the authority a resource names in its challenge,
// BaseURL/<tenant>.
func (s *Server) Authority() string { return s.base + "/" + s.cfg.TenantID }

// IdentityHeader returns the secret App Service clients send in
// X-IDENTITY-HEADER (IDENTITY_HEADER); it changes on every start.
func (s *Server) IdentityHeader() string { return s.idHeader }

// MSISecret returns the secret AzureML compute clients send in the secret
// header (MSI_SECRET); it changes on every start.
func (s *Server) MSISecret() string { return s.msiSecret }

// IssuerHandler serves OpenID discovery and the JWKS (to be served over TLS
// at BaseURL):
//
//	GET /{tenant}/v2.0/.well-known/openid-configuration   v2 issuer
//	GET /{tenant}/.well-known/openid-configuration        v1 issuer (sts.windows.net)
//	GET /{tenant}/discovery/v2.0/keys, /{tenant}/discovery/keys,
//	    /common/discovery/v2.0/keys, /common/discovery/keys  JWKS
//	POST /{tenant}/oauth2/v2.0/token                       client credentials
//	GET  /github-actions/.well-known/openid-configuration, /github-actions/.well-known/jwks
//	                                                       local workload issuer
func (s *Server) IssuerHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.tenantOnly(s.serveDiscoveryV2))
	mux.HandleFunc("GET /{tenant}/.well-known/openid-configuration", s.tenantOnly(s.serveDiscoveryV1))
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.tenantOnly(s.serveKeys))
	mux.HandleFunc("GET /{tenant}/discovery/keys", s.tenantOnly(s.serveKeys))
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.tenantOnly(s.serveClientCredentials))
	mux.HandleFunc("GET "+GitHubIssuerPath+"/.well-known/openid-configuration", s.serveWorkloadDiscovery)
	mux.HandleFunc("GET "+GitHubIssuerPath+"/.well-known/jwks", s.serveWorkloadKeys)
	return mux
}

func (s *Server) tenantOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if t := r.PathValue("tenant"); t != s.cfg.TenantID && t != "common" && t != "organizations" {
			writeJSON(w, http.StatusBadRequest, oauthError{
				Error:       "invalid_tenant",
				Description: fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID.", t),
			})
			return
		}
		h(w, r)
	}
}

func (s *Server) serveDiscoveryV2(w http.ResponseWriter, r *http.Request) {
	t := s.base + "/" + s.cfg.TenantID
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.IssuerV2(),
		"jwks_uri":                              t + "/discovery/v2.0/keys",
		"token_endpoint":                        t + "/oauth2/v2.0/token",
		"authorization_endpoint":                t + "/oauth2/v2.0/authorize",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "azp", "ver"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "devstack.local",
	})
}

func (s *Server) serveDiscoveryV1(w http.ResponseWriter, r *http.Request) {
	t := s.base + "/" + s.cfg.TenantID
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                V1Issuer(s.cfg.TenantID),
		"jwks_uri":                              t + "/discovery/keys",
		"token_endpoint":                        t + "/oauth2/token",
		"authorization_endpoint":                t + "/oauth2/authorize",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "token id_token", "token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "devstack.local",
	})
}

func (s *Server) serveKeys(w http.ResponseWriter, r *http.Request) {
	issuer := ""
	if strings.Contains(r.URL.Path, "/v2.0/") && r.PathValue("tenant") == s.cfg.TenantID {
		issuer = s.IssuerV2()
	}
	writeJSON(w, http.StatusOK, map[string][]jwk{"keys": {s.key.jwk(issuer)}})
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("entra: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}
