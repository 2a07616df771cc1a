package localazureml

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/rs/zerolog"
)

// ErrForbidden, returned (wrapped) by Options.Verify, makes the server
// answer 403 AuthorizationFailed instead of 401.
var ErrForbidden = errors.New("azureml: principal not authorized on the workspace")

// Principal is the caller a bearer token identifies.
type Principal struct {
	// ObjectID is the token's oid.
	ObjectID string
	// AppID is the client id (appid or azp).
	AppID string
}

// Workspace names a workspace the server hosts.
type Workspace struct {
	SubscriptionID, ResourceGroup, Name string
	// Computes are the names of the workspace's compute clusters, which
	// GET …/computes/{name} reports (jobs may name any compute).
	Computes []string
}

// BlobTarget is the storage behind the workspace's default datastore.
type BlobTarget struct {
	// ServiceURL is the blob service URL reported by the datastore
	// (properties.blobServiceUrl), such as
	// https://127.0.0.1:10000/devstoreaccount1; empty means the
	// connection string's BlobEndpoint.
	ServiceURL string
	// ConnectionString is used to upload job outputs (azblob,
	// SharedKey); its AccountName is the datastore's accountName and its
	// AccountKey what datastores listSecrets returns. Empty means jobs
	// with outputs fail.
	ConnectionString string
	// Container is the datastore's container; empty means
	// azureml-blobstore-<workspace guid>.
	Container string
	// ClientOptions configure the azblob client (such as a transport that
	// trusts the local CA); nil means defaults.
	ClientOptions *azblob.ClientOptions
}

// Options configure New.
type Options struct {
	// DataDir holds state.json and the jobs' folders; required.
	DataDir string
	// BaseURL is the server's own URL, used in Location headers; empty
	// means the scheme and host of each request.
	BaseURL string
	// Verify checks a request's bearer token; nil accepts every request.
	// An error answers 401, or 403 when it matches ErrForbidden.
	Verify func(r *http.Request) (Principal, error)
	// TrainerPath is the executable run for commands whose program is
	// "trainer" (or ends in /trainer).
	TrainerPath string
	// Executables maps further program names to executables.
	Executables map[string]string
	// ComputeEnv is the environment of every job process, such as
	// MSI_ENDPOINT, MSI_SECRET, SSL_CERT_FILE, DEFAULT_IDENTITY_CLIENT_ID.
	ComputeEnv map[string]string
	// Blob is where outputs are uploaded.
	Blob BlobTarget
	// CheckRegistry, when non-nil, stands in for the image pull: it is
	// called with the target and credentials of the connection whose host
	// matches the image's registry (empty credentials when none does); an
	// error fails the job like a failed pull.
	CheckRegistry func(ctx context.Context, target, username, password string) error
	// Workspaces are the workspaces served; nil serves any workspace,
	// creating it on first use.
	Workspaces []Workspace
	// QueueDelay is how long a job stays NotStarted and then Queued
	// (default 100ms each), so that clients observe the statuses.
	QueueDelay time.Duration
	// Logger receives the server's log.
	Logger zerolog.Logger
}

// Server is the local AzureML. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	log  zerolog.Logger
	now  func() time.Time
	// computes holds "<wsKey>/<lower-case compute name>" of the computes
	// Options.Workspaces declare; it does not change after New.
	computes map[string]bool

	mu     sync.Mutex
	st     *state
	runs   map[string]*run // by runKey
	closed bool
	wg     sync.WaitGroup
}

// New loads the state in opts.DataDir and returns the server. Jobs that
// were not terminal are marked Failed ("local stack restarted").
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("azureml: Options.DataDir is required")
	}
	// Job folders and executables are used from processes whose working
	// folder is the job's, so every path must be absolute.
	var err error
	if opts.DataDir, err = filepath.Abs(opts.DataDir); err != nil {
		return nil, fmt.Errorf("azureml: data folder: %w", err)
	}
	if opts.TrainerPath != "" {
		if opts.TrainerPath, err = filepath.Abs(opts.TrainerPath); err != nil {
			return nil, fmt.Errorf("azureml: trainer path: %w", err)
		}
	}
	exes := make(map[string]string, len(opts.Executables))
	for k, v := range opts.Executables {
		if exes[k], err = filepath.Abs(v); err != nil {
			return nil, fmt.Errorf("azureml: executable %s: %w", k, err)
		}
	}
	opts.Executables = exes
	if opts.QueueDelay <= 0 {
		opts.QueueDelay = 100 * time.Millisecond
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	s := &Server{opts: opts, log: opts.Logger, now: time.Now, runs: map[string]*run{}}
	st, err := loadState(opts.DataDir, s.now().UTC())
	if err != nil {
		return nil, err
	}
	for _, w := range opts.Workspaces {
		if w.SubscriptionID == "" || w.ResourceGroup == "" || w.Name == "" {
			return nil, fmt.Errorf("azureml: workspace %+v: subscription, resource group and name are required", w)
		}
		k := wsKey(w.SubscriptionID, w.ResourceGroup, w.Name)
		for _, c := range w.Computes {
			if s.computes == nil {
				s.computes = map[string]bool{}
			}
			s.computes[k+"/"+strings.ToLower(c)] = true
		}
		if st.Workspaces[k] == nil {
			st.Workspaces[k] = newWorkspace(w.SubscriptionID, w.ResourceGroup, w.Name)
		}
	}
	s.st = st
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.saveLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops every running job (its process group is killed and the job
// marked Failed) and waits for them. The handler answers 503 afterwards.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, r := range s.runs {
		r.stop(stopClosing)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Handler returns the ARM handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// route is a parsed workspace route.
type route struct {
	sub, rg, ws string
	// rest are the segments after the workspace name.
	rest []string
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-request-id", newID(16))
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The local AzureML is shutting down.")
		return
	}
	if strings.HasPrefix(r.URL.Path, studioPath) {
		s.serveStudio(w, r)
		return
	}
	if r.URL.Path == discoveryPath {
		s.serveDiscovery(w, r)
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if !s.authorize(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, historyPrefix) {
		// The run history is a data-plane service: no api-version.
		s.serveRunHistory(w, r)
		return
	}
	if !checkAPIVersion(w, r) {
		return
	}
	// /subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{loc}/mfeOperationResults/{id}
	if len(segs) == 8 && eq(segs[0], "subscriptions") && eq(segs[2], "providers") && eq(segs[3], provider) &&
		eq(segs[4], "locations") && eq(segs[6], "mfeOperationResults") {
		s.serveOperation(w, r, segs[7])
		return
	}
	if len(segs) < 8 || !eq(segs[0], "subscriptions") || !eq(segs[2], "resourceGroups") || !eq(segs[4], "providers") ||
		!eq(segs[5], provider) || !eq(segs[6], "workspaces") {
		writeError(w, http.StatusNotFound, "InvalidResourceType", "The resource type could not be found in the namespace '%s' for api version '%s'.",
			provider, clip(r.URL.Query().Get("api-version"), 40))
		return
	}
	rt := route{sub: segs[1], rg: segs[3], ws: segs[7], rest: segs[8:]}
	s.serveWorkspace(w, r, rt)
}

// authorize runs Options.Verify and answers 401/403 when it fails.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Verify == nil {
		return true
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return false
	}
	p, err := s.opts.Verify(r)
	switch {
	case errors.Is(err, ErrForbidden):
		writeError(w, http.StatusForbidden, "AuthorizationFailed",
			"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid.",
			p.AppID, p.ObjectID, action(r), clip(r.URL.Path, 300))
		return false
	case err != nil:
		s.log.Info().Err(err).Str("path", r.URL.Path).Msg("rejected ARM token")
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		return false
	}
	return true
}

// action names the ARM action of a request, for 403 messages.
func action(r *http.Request) string {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	kind := "workspaces"
	if len(segs) > 8 {
		kind = "workspaces/" + segs[8]
	}
	verb := map[string]string{http.MethodGet: "read", http.MethodPut: "write", http.MethodPost: "action", http.MethodDelete: "delete"}[r.Method]
	return provider + "/" + kind + "/" + verb
}

// serveWorkspace dispatches a request below a workspace.
func (s *Server) serveWorkspace(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	k := wsKey(rt.sub, rt.rg, rt.ws)
	ws := s.st.Workspaces[k]
	if ws == nil && s.opts.Workspaces == nil {
		ws = newWorkspace(rt.sub, rt.rg, rt.ws)
		s.st.Workspaces[k] = ws
	}
	s.mu.Unlock()
	if ws == nil {
		writeError(w, http.StatusNotFound, "WorkspaceNotFound",
			"Workspace not found: the workspace '%s' does not exist in resource group '%s' of subscription '%s'.", clip(rt.ws, 100), clip(rt.rg, 100), clip(rt.sub, 60))
		return
	}
	n := len(rt.rest)
	switch {
	case n == 0:
		s.serveWorkspaceResource(w, r, ws)
	case n == 4 && eq(rt.rest[0], "environments") && eq(rt.rest[2], "versions"):
		s.serveEnvironment(w, r, ws, rt.rest[1], rt.rest[3])
	case n == 2 && eq(rt.rest[0], "connections"):
		s.serveConnection(w, r, ws, rt.rest[1])
	case n == 3 && eq(rt.rest[0], "connections") && eq(rt.rest[2], "listsecrets"):
		s.serveConnectionSecrets(w, r, ws, rt.rest[1])
	case n == 2 && eq(rt.rest[0], "computes"):
		s.serveCompute(w, r, ws, rt.rest[1])
	case n == 2 && eq(rt.rest[0], "jobs"):
		s.serveJob(w, r, ws, rt.rest[1])
	case n == 3 && eq(rt.rest[0], "jobs") && eq(rt.rest[2], "cancel"):
		s.serveCancel(w, r, ws, rt.rest[1])
	case n == 1 && eq(rt.rest[0], "datastores"):
		s.serveDatastores(w, r, ws)
	case n == 2 && eq(rt.rest[0], "datastores"):
		s.serveDatastore(w, r, ws, rt.rest[1])
	case n == 3 && eq(rt.rest[0], "datastores") && eq(rt.rest[2], "listSecrets"):
		s.serveDatastoreSecrets(w, r, ws, rt.rest[1])
	case n == 4 && eq(rt.rest[0], "data") && eq(rt.rest[2], "versions"):
		s.serveDataVersion(w, r, ws, rt.rest[1], rt.rest[3])
	default:
		writeError(w, http.StatusNotFound, "InvalidResourceType", "The resource type '%s' could not be found in the namespace '%s'.",
			clip(strings.Join(rt.rest, "/"), 100), provider)
	}
}

// methodNotAllowed answers ARM's 405.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The method '%s' is not allowed for this resource.", r.Method)
}

// baseURL returns the server's URL for Location headers.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// eq compares ARM path literals case-insensitively.
func eq(a, b string) bool { return strings.EqualFold(a, b) }
