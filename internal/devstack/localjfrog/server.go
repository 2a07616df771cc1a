package localjfrog

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Options configures a Server. Zero values mean defaults where noted.
type Options struct {
	// DataDir is the state folder; everything is persisted there atomically.
	DataDir string
	// BaseURL is the platform URL clients use, e.g. https://127.0.0.1:8443.
	// It appears in download URLs and in the issuer of access tokens.
	BaseURL string
	// HTTPClient fetches OIDC discovery documents and JWKS from the issuers
	// of configured providers; it must trust their TLS certificates. Nil
	// means a client with a 30 s timeout and the system roots.
	HTTPClient *http.Client
	// AdminToken is a bearer token with admin rights. Empty means one is
	// generated on first start and persisted in DataDir.
	AdminToken string
	// Logger receives request failures and provisioning events.
	Logger zerolog.Logger
	// RevocableExpiryThreshold is Access's revocable-expiry-threshold: a
	// token whose lifetime (exp − iat) is below it cannot be revoked and
	// lapses at its expiry. Zero means JFrog's default, 6 h; negative
	// means every expiring token is non-revocable (JFrog: "tokens with an
	// expiration date might become non-revocable"; the local JFrog takes
	// the strict reading). See thresholds.go.
	RevocableExpiryThreshold time.Duration
	// PersistentExpiryThreshold is Access's persistent-expiry-threshold: a
	// token whose lifetime is below it is not stored, so it cannot be
	// listed, described or revoked. Zero means JFrog's default, 3 h;
	// negative means every token is stored. Above the revocable threshold
	// it is lowered to it, as Access does at start.
	PersistentExpiryThreshold time.Duration
}

// Server is the local JFrog Platform (Access and Artifactory). It is safe
// for concurrent use.
type Server struct {
	opts       Options
	log        zerolog.Logger
	base       string
	signer     *signer
	access     *persisted[accessState]
	art        *persisted[artState]
	blobs      *blobStore
	jwks       *jwksCache
	adminToken string
	handler    http.Handler
	// skew shifts the server clock (nanoseconds); tests use it to expire tokens.
	skew atomic.Int64
	// revocableThreshold and persistentThreshold are the token thresholds
	// (nanoseconds; 0 means JFrog's default), see thresholds.go.
	revocableThreshold, persistentThreshold atomic.Int64
}

// now is the server clock.
func (s *Server) now() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) }

// New opens (or creates) the state in opts.DataDir and returns a Server.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("jfrog: DataDir is required; pass the devstack data folder")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("jfrog: BaseURL %q must be an absolute http(s) URL such as https://127.0.0.1:8443", opts.BaseURL)
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	s := &Server{
		opts: opts,
		log:  opts.Logger.With().Str("service", "jfrog").Logger(),
		base: strings.TrimRight(opts.BaseURL, "/"),
		jwks: newJWKSCache(client),
	}
	accessDir := filepath.Join(opts.DataDir, "access")
	artDir := filepath.Join(opts.DataDir, "artifactory")
	for _, d := range []string{accessDir, artDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("jfrog: create state folder %s: %w", d, err)
		}
		if err := removeTemps(d); err != nil {
			return nil, fmt.Errorf("jfrog: %w", err)
		}
	}
	if s.signer, err = loadSigner(accessDir); err != nil {
		return nil, fmt.Errorf("jfrog: %w", err)
	}
	s.access, err = loadPersisted(filepath.Join(accessDir, "state.json"), func() (*accessState, error) {
		id, err := newServiceID()
		return &accessState{ServiceID: id, Created: time.Now().UTC()}, err
	}, normalizeAccess)
	if err != nil {
		return nil, fmt.Errorf("jfrog: access state: %w", err)
	}
	s.SetThresholds(opts.RevocableExpiryThreshold, opts.PersistentExpiryThreshold)
	if err := s.initAdminToken(); err != nil {
		return nil, fmt.Errorf("jfrog: %w", err)
	}
	s.art, err = loadPersisted(filepath.Join(artDir, "state.json"), func() (*artState, error) {
		return &artState{}, nil
	}, normalizeArt)
	if err != nil {
		return nil, fmt.Errorf("jfrog: artifactory state: %w", err)
	}
	if s.blobs, err = openBlobStore(filepath.Join(artDir, "blobs")); err != nil {
		return nil, fmt.Errorf("jfrog: %w", err)
	}
	if err := s.collectGarbage(); err != nil {
		return nil, fmt.Errorf("jfrog: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler serving /access/... and /artifactory/....
func (s *Server) Handler() http.Handler { return s.handler }

// AdminToken returns the bearer token with admin rights.
func (s *Server) AdminToken() string { return s.adminToken }

// issuer is the Access service identity used in token iss and sub claims.
func (s *Server) issuer() string {
	var id string
	s.access.view(func(a *accessState) { id = a.ServiceID })
	return "jfac@" + id
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	anon := func(h http.HandlerFunc) http.Handler { return h }

	// Health.
	mux.Handle("GET /artifactory/api/system/ping", anon(s.handlePing))
	mux.Handle("GET /access/api/v1/system/ping", anon(s.handlePing))
	mux.Handle("GET /artifactory/api/system/version", anon(s.handleVersion))
	mux.Handle("GET /artifactory/api/v1/system/readiness", anon(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, "application/json", map[string]string{"code": "OK"})
	}))

	// Access: OIDC configuration (admin).
	mux.Handle("POST /access/api/v1/oidc", s.admin(s.handleCreateProvider))
	mux.Handle("GET /access/api/v1/oidc", s.admin(s.handleListProviders))
	mux.Handle("GET /access/api/v1/oidc/{name}", s.admin(s.handleGetProvider))
	mux.Handle("PUT /access/api/v1/oidc/{name}", s.admin(s.handleUpdateProvider))
	mux.Handle("DELETE /access/api/v1/oidc/{name}", s.admin(s.handleDeleteProvider))
	mux.Handle("POST /access/api/v1/oidc/{name}/identity_mappings", s.admin(s.handleCreateMapping))
	mux.Handle("GET /access/api/v1/oidc/{name}/identity_mappings", s.admin(s.handleListMappings))
	mux.Handle("GET /access/api/v1/oidc/{name}/identity_mappings/{mapping}", s.admin(s.handleGetMapping))
	mux.Handle("PUT /access/api/v1/oidc/{name}/identity_mappings/{mapping}", s.admin(s.handleUpdateMapping))
	mux.Handle("DELETE /access/api/v1/oidc/{name}/identity_mappings/{mapping}", s.admin(s.handleDeleteMapping))

	// Access: token exchange (the subject token is the credential) and tokens.
	mux.Handle("POST /access/api/v1/oidc/token", anon(s.handleExchange))
	mux.Handle("POST /access/api/v1/tokens", s.user(s.handleCreateToken))
	mux.Handle("GET /access/api/v1/tokens", s.user(s.handleListTokens))
	mux.Handle("GET /access/api/v1/tokens/{id}", s.user(s.handleGetToken))
	mux.Handle("DELETE /access/api/v1/tokens/{id}", s.user(s.handleRevokeToken))
	mux.Handle("DELETE /access/api/v1/tokens/revoke", s.admin(s.handleRevokeByValue))
	mux.Handle("GET /access/api/v1/cert/root", anon(s.handleRootCert))

	// Artifactory: repositories.
	mux.Handle("GET /artifactory/api/repositories", s.user(s.handleListRepos))
	mux.Handle("GET /artifactory/api/repositories/{key}", s.user(s.handleGetRepo))
	mux.Handle("PUT /artifactory/api/repositories/{key}", s.admin(s.handleCreateRepo))
	mux.Handle("DELETE /artifactory/api/repositories/{key}", s.admin(s.handleDeleteRepo))

	// Artifactory: storage API.
	mux.Handle("GET /artifactory/api/storage/{repo}", s.user(s.handleStorageGet))
	mux.Handle("GET /artifactory/api/storage/{repo}/{path...}", s.user(s.handleStorageGet))
	mux.Handle("PUT /artifactory/api/storage/{repo}/{path...}", s.user(s.handleSetProperties))
	mux.Handle("DELETE /artifactory/api/storage/{repo}/{path...}", s.user(s.handleDeleteProperties))

	// Artifactory: Machine Learning repository API.
	for _, k := range []mlKind{modelEntity, datasetEntity} {
		mux.Handle("POST /artifactory/api/machinelearning/{repo}/"+k.api+"/{rest...}", s.user(s.handleStartTransaction(k)))
		mux.Handle("PUT /artifactory/api/machinelearning/{repo}/"+k.api+"/entity-manifest/{rest...}", s.user(s.handlePutManifest(k)))
		mux.Handle("GET /artifactory/api/machinelearning/{repo}/"+k.api+"/entity-manifest/{rest...}", s.user(s.handleGetManifest(k)))
	}

	// Artifactory: deploy, download, delete.
	mux.Handle("HEAD /v2/{repo}/{path...}", s.user(s.handleDockerManifest))
	mux.Handle("GET /v2/{repo}/{path...}", s.user(s.handleDockerManifest))
	mux.Handle("PUT /artifactory/{repo}/{path...}", s.user(s.handleDeploy))
	mux.Handle("GET /artifactory/{repo}/{path...}", s.user(s.handleDownload))
	mux.Handle("DELETE /artifactory/{repo}/{path...}", s.user(s.handleDelete))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, "Not Found")
	})
	return mux
}

func (s *Server) handlePing(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("OK"))
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"version":  "7.104.0",
		"revision": "devstack",
		"addons":   []string{"machinelearning"},
	})
}

// removeTemps deletes temporary files a crash left in dir; the state they
// were meant to replace is still whole under its final name.
func removeTemps(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if err != nil {
		return fmt.Errorf("list temporary files in %s: %w", dir, err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove temporary file %s: %w", m, err)
		}
	}
	return nil
}
