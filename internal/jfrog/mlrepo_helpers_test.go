package jfrog_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/rs/zerolog"

	devjfrog "github.com/frogbridge/frogbridge/internal/devstack/localjfrog"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// mlServer is the local JFrog Platform behind httptest TLS, with a
// wrapping handler that counts requests and deployed content bytes and
// can inject faults.
type mlServer struct {
	srv     *httptest.Server
	jf      *devjfrog.Server
	dataDir string
	admin   secret.Token

	// deployedBytes counts request body bytes of artifact PUTs
	// (/artifactory/{repo}/..., not the API).
	deployedBytes atomic.Int64
	// requests counts every request.
	requests atomic.Int64

	mu    sync.Mutex
	fault func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
	calls map[string]int // "METHOD kind" -> count
}

// newMLServer starts the server with one Machine Learning repository, repo.
func newMLServer(t testing.TB, repo string) *mlServer {
	t.Helper()
	s := &mlServer{dataDir: t.TempDir(), calls: map[string]int{}}
	var inner atomic.Pointer[http.Handler]
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		s.calls[r.Method+" "+kind(r.URL.Path)]++
		fault := s.fault
		s.mu.Unlock()
		if r.Method == http.MethodPut && kind(r.URL.Path) == "artifact" {
			r.Body = countingBody{r.Body, &s.deployedBytes}
		}
		next := *inner.Load()
		if fault != nil && fault(w, r, next) {
			return
		}
		next.ServeHTTP(w, r)
	}))
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	jf, err := devjfrog.New(devjfrog.Options{DataDir: s.dataDir, BaseURL: s.srv.URL, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h := jf.Handler()
	inner.Store(&h)
	s.jf, s.admin = jf, secret.Token(jf.AdminToken())
	if repo != "" {
		s.createRepo(t, repo)
	}
	return s
}

// kind classifies a request path for the call counters.
func kind(p string) string {
	switch {
	case strings.Contains(p, "/start-transaction"):
		return "start"
	case strings.Contains(p, "/model/entity-manifest/"), strings.Contains(p, "/dataset/entity-manifest/"):
		return "manifest"
	case strings.HasPrefix(p, "/artifactory/api/storage/"):
		return "storage"
	case strings.HasPrefix(p, "/artifactory/api/"):
		return "api"
	case strings.HasPrefix(p, "/artifactory/"):
		return "artifact"
	}
	return "other"
}

func (s *mlServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func (s *mlServer) setFault(f func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) {
	s.mu.Lock()
	s.fault = f
	s.calls = map[string]int{}
	s.mu.Unlock()
}

func (s *mlServer) createRepo(t testing.TB, key string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/artifactory/api/repositories/"+key,
		strings.NewReader(`{"rclass":"local","packageType":"machinelearning"}`))
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("create repository %s: %d %s", key, resp.StatusCode, b)
	}
}

// get performs an admin GET on the server and returns status and body.
func (s *mlServer) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// blobPath is where the server keeps the content with this SHA-256.
func (s *mlServer) blobPath(sha string) string {
	return filepath.Join(s.dataDir, "artifactory", "blobs", sha)
}

// client returns a client trusting the server's certificate, with fast
// retries.
func (s *mlServer) client(t testing.TB) *jfrog.Client {
	t.Helper()
	c, err := jfrog.NewClient(s.srv.URL, &jfrog.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: s.srv.Client(),
		Retry:     fastRetry(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fastRetry() policy.RetryOptions {
	return policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// writeFiles writes name → content under dir and returns ModelFiles.
func writeFiles(t testing.TB, dir string, files map[string][]byte) []jfrog.ModelFile {
	t.Helper()
	var out []jfrog.ModelFile
	for _, name := range sortedKeys(files) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, jfrog.ModelFile{Name: name, Path: p})
	}
	return out
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pseudoRandom returns n deterministic bytes that do not compress.
func pseudoRandom(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// listDir returns the names in dir, recursively, slash-separated.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}
