package jfrog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const testRepo = "ml-local"

func TestModelVersionRoundTrip(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	content := map[string][]byte{
		"model.json":      []byte(`{"format":"frogbridge-model"}`),
		"weights/big.bin": pseudoRandom(3<<20+17, 1),
		"metrics.json":    []byte(`{"accuracy":0.97}`),
	}
	files := writeFiles(t, t.TempDir(), content)
	var total int64
	for _, b := range content {
		total += int64(len(b))
	}
	props := map[string]string{"accuracy": "0.97", "model_type": "random_forest", "dataset": "iris"}

	res, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v1"}, files, &jfrog.UploadOptions{Properties: props, Retry: fastRetry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("first upload sends every byte once", func(t *testing.T) {
		if res.BytesSent != total || res.ChecksumDeployed != 0 {
			t.Fatalf("BytesSent %d ChecksumDeployed %d, want %d and 0", res.BytesSent, res.ChecksumDeployed, total)
		}
		if got := s.deployedBytes.Load(); got != total {
			t.Fatalf("server received %d content bytes, want %d", got, total)
		}
		if !strings.HasSuffix(res.URL, "/artifactory/api/machinelearning/ml-local/model/entity-manifest/iris-classifier/v1") {
			t.Fatalf("URL %s", res.URL)
		}
	})
	t.Run("manifest as frogml writes it", func(t *testing.T) {
		m, err := c.GetModelManifest(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		if m.ModelFormat == nil || m.ModelFormat.Framework != "files" || m.ModelFormat.SerializationFormat != "json" || m.ModelFormat.Runtime != "go" {
			t.Fatalf("model_format %+v", m.ModelFormat)
		}
		if len(m.ModelArtifacts) != len(content) || len(m.CreatedDate) != len("2006-01-02T15:04:05.00") {
			t.Fatalf("manifest %+v", m)
		}
		for _, a := range m.ModelArtifacts {
			if a.Size != int64(len(content[a.ArtifactPath])) || a.DownloadURL == "" {
				t.Fatalf("artifact %+v", a)
			}
		}
	})
	t.Run("properties stored on the version", func(t *testing.T) {
		code, body := s.get(t, "/artifactory/api/storage/ml-local/models/iris-classifier/v1?properties")
		var got struct{ Properties map[string][]string }
		if code != http.StatusOK || json.Unmarshal(body, &got) != nil {
			t.Fatalf("%d %s", code, body)
		}
		for k, v := range props {
			if !slices.Equal(got.Properties[k], []string{v}) {
				t.Fatalf("property %s = %v, want %s", k, got.Properties[k], v)
			}
		}
	})
	t.Run("re-upload deploys by checksum and sends no content", func(t *testing.T) {
		before := s.deployedBytes.Load()
		res2, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v2"}, files, &jfrog.UploadOptions{Properties: props})
		if err != nil {
			t.Fatal(err)
		}
		if res2.BytesSent != 0 || res2.ChecksumDeployed != len(files) {
			t.Fatalf("BytesSent %d ChecksumDeployed %d", res2.BytesSent, res2.ChecksumDeployed)
		}
		if got := s.deployedBytes.Load() - before; got != 0 {
			t.Fatalf("server received %d content bytes on re-upload", got)
		}
	})
	t.Run("list and latest", func(t *testing.T) {
		vs, err := c.ListModelVersions(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier"})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].Version != "v2" || vs[1].Version != "v1" || vs[0].Stored.IsZero() {
			t.Fatalf("versions %+v", vs)
		}
		v, err := c.ResolveVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: jfrog.LatestVersion})
		if err != nil || v != "v2" {
			t.Fatalf("latest = %q, %v", v, err)
		}
		if v, err := c.ResolveVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v1"}); err != nil || v != "v1" {
			t.Fatalf("v1 = %q, %v", v, err)
		}
		_, err = c.ResolveVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "no-such-model", Version: jfrog.LatestVersion})
		if !errors.Is(err, upstream.ErrNotFound) || !strings.Contains(err.Error(), "no-such-model") {
			t.Fatalf("missing model: %v", err)
		}
	})
	t.Run("empty version gets frogml's default", func(t *testing.T) {
		res, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "dated", Version: ""}, files[:1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := regexp.MatchString(`^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{3}$`, res.Version); !ok {
			t.Fatalf("version %q", res.Version)
		}
		if _, err := c.GetModelManifest(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "dated", Version: res.Version}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("download verified, stale file replaced", func(t *testing.T) {
		dest := t.TempDir()
		stale := filepath.Join(dest, "model.json")
		if err := os.WriteFile(stale, []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v1"}, dest, nil); !errors.Is(err, jfrog.ErrInvalidInput) {
			t.Fatalf("download into a folder with a file: err = %v, want ErrInvalidInput", err)
		}
		if b, _ := os.ReadFile(stale); string(b) != "stale" {
			t.Fatal("a refused download touched the folder")
		}
		dl, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v1"}, dest, &jfrog.DownloadOptions{Replace: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(dl.Files) != len(content) {
			t.Fatalf("files %+v", dl.Files)
		}
		for name, want := range content {
			got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name)))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %d bytes, %v", name, len(got), err)
			}
		}
		if got := listDir(t, dest); len(got) != len(content) {
			t.Fatalf("left behind: %v", got)
		}
	})
	t.Run("download of selected artifacts", func(t *testing.T) {
		dest := t.TempDir()
		dl, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "iris-classifier", Version: "v1"}, dest, &jfrog.DownloadOptions{
			Only: func(p string) bool { return p == "model.json" },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(dl.Files) != 1 || dl.Files[0].ArtifactPath != "model.json" || len(dl.Manifest.ModelArtifacts) != len(content) {
			t.Fatalf("files %+v of manifest %+v", dl.Files, dl.Manifest.ModelArtifacts)
		}
		if got := listDir(t, dest); len(got) != 1 {
			t.Fatalf("downloaded %v, want model.json only", got)
		}
	})
}

func TestCorruptedBlobIsDetected(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	good := pseudoRandom(64<<10, 2)
	files := writeFiles(t, t.TempDir(), map[string][]byte{"a.json": []byte(`{"a":1}`), "model.bin": good})
	res, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1.0"}, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sha string
	for _, a := range res.Manifest.ModelArtifacts {
		if a.ArtifactPath == "model.bin" {
			sha = a.Checksums.Sha2
		}
	}
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(s.blobPath(sha), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	_, err = c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1.0"}, dest, nil)
	if !errors.Is(err, jfrog.ErrChecksumMismatch) {
		t.Fatalf("err = %v, want ErrChecksumMismatch", err)
	}
	if !strings.Contains(err.Error(), "ml-local:models/m/1.0/model/model.bin") {
		t.Fatalf("error does not name repository and path: %v", err)
	}
	if got := listDir(t, dest); len(got) != 0 {
		t.Fatalf("written despite the mismatch: %v", got)
	}
}

func TestUnauthorizedAndForbiddenInput(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	files := writeFiles(t, t.TempDir(), map[string][]byte{"model.json": []byte(`{}`)})

	t.Run("401", func(t *testing.T) {
		_, err := c.UploadModelVersion(ctx, secret.Token("revoked-token"), jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1"}, files, nil)
		var re *upstream.ResponseError
		if !errors.Is(err, upstream.ErrUnauthorized) || !errors.As(err, &re) || !strings.Contains(re.URL, "/ml-local/model/m/start-transaction/1") {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(re.Fix, "Key Vault") || strings.Contains(err.Error(), "revoked-token") {
			t.Fatalf("error %q", err)
		}
		_, err = c.DownloadModelVersion(ctx, secret.Token("revoked-token"), jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1"}, t.TempDir(), nil)
		if !errors.Is(err, upstream.ErrUnauthorized) {
			t.Fatalf("download err = %v", err)
		}
	})

	cases := []struct {
		name        string
		repo, model string
		version     string
		files       []jfrog.ModelFile
		props       map[string]string
	}{
		{"traversal in name", testRepo, "../etc", "1", files, nil},
		{"slash in version", testRepo, "m", "a/b", files, nil},
		{"dot-dot version", testRepo, "m", "..", files, nil},
		{"reserved version", testRepo, "m", "latest", files, nil},
		{"long name", testRepo, strings.Repeat("a", 61), "1", files, nil},
		{"bad repo", "../x", "m", "1", files, nil},
		{"no files", testRepo, "m", "1", nil, nil},
		{"traversal in artifact", testRepo, "m", "1", []jfrog.ModelFile{{Name: "../x", Path: files[0].Path}}, nil},
		{"manifest name", testRepo, "m", "1", []jfrog.ModelFile{{Name: "model-manifest.json", Path: files[0].Path}}, nil},
		{"bad property key", testRepo, "m", "1", files, map[string]string{"a b": "1"}},
		{"bad property value", testRepo, "m", "1", files, map[string]string{"a": "x;y=z"}},
		// frogml 1.2.46 refuses property values over 60 characters, such as
		// a SHA-256 in hex.
		{"sha256 property value", testRepo, "m", "1", files, map[string]string{"model_sha256": strings.Repeat("0123456789abcdef", 4)}},
		{"list of names", testRepo, "m", "1", files, map[string]string{"a": "[x,y]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.requests.Load()
			_, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: tc.repo, Name: tc.model, Version: tc.version}, tc.files, &jfrog.UploadOptions{Properties: tc.props})
			if !errors.Is(err, jfrog.ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
			if n := s.requests.Load() - before; n != 0 {
				t.Fatalf("%d requests made before validation failed", n)
			}
		})
	}
	t.Run("download validates too", func(t *testing.T) {
		before := s.requests.Load()
		_, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "../../x"}, t.TempDir(), nil)
		if !errors.Is(err, jfrog.ErrInvalidInput) || s.requests.Load() != before {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRetryRules(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	files := writeFiles(t, t.TempDir(), map[string][]byte{"model.json": []byte(`{"x":1}`)})
	opts := &jfrog.UploadOptions{Retry: fastRetry()}

	t.Run("start-transaction is not retried after a 500", func(t *testing.T) {
		s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if kind(r.URL.Path) == "start" {
				w.WriteHeader(http.StatusInternalServerError)
				return true
			}
			return false
		})
		defer s.setFault(nil)
		_, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "a"}, files, opts)
		if !errors.Is(err, upstream.ErrUnavailable) || s.count("POST start") != 1 {
			t.Fatalf("err = %v after %d POSTs", err, s.count("POST start"))
		}
	})
	t.Run("start-transaction is retried after a 503", func(t *testing.T) {
		n := 0
		s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if kind(r.URL.Path) == "start" {
				if n++; n == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
			}
			return false
		})
		defer s.setFault(nil)
		if _, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "b"}, files, opts); err != nil || s.count("POST start") != 2 {
			t.Fatalf("err = %v after %d POSTs", err, s.count("POST start"))
		}
	})
	// frogml 1.2.46 uploads the content whenever a checksum deploy answers
	// anything but 200/201; 500/502/503/504 are retried and then fail.
	for i, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusTooManyRequests} {
		t.Run(fmt.Sprintf("checksum deploy answered %d falls back to the content", status), func(t *testing.T) {
			s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				if kind(r.URL.Path) == "artifact" && r.Header.Get("X-Checksum-Deploy") == "true" {
					w.WriteHeader(status)
					return true
				}
				return false
			})
			defer s.setFault(nil)
			res, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: fmt.Sprintf("fallback%d", i)}, files, opts)
			if err != nil || res.BytesSent != 7 || res.ChecksumDeployed != 0 {
				t.Fatalf("err = %v, result %+v", err, res)
			}
		})
	}
	t.Run("checksum deploy answered 503 fails after the retries", func(t *testing.T) {
		s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if kind(r.URL.Path) == "artifact" && r.Header.Get("X-Checksum-Deploy") == "true" {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		defer s.setFault(nil)
		_, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "unavailable"}, files, opts)
		if !errors.Is(err, upstream.ErrUnavailable) || s.count("PUT artifact") < 2 {
			t.Fatalf("err = %v after %d PUTs", err, s.count("PUT artifact"))
		}
	})
	t.Run("content PUT retried, lost close reply reconciled", func(t *testing.T) {
		putFails, closeLost := 0, 0
		s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			switch {
			case kind(r.URL.Path) == "artifact" && r.Header.Get("X-Checksum-Deploy") == "" && putFails == 0:
				putFails++
				w.WriteHeader(http.StatusBadGateway)
				return true
			case kind(r.URL.Path) == "manifest" && r.Method == http.MethodPut && closeLost == 0:
				closeLost++
				next.ServeHTTP(discardWriter{h: http.Header{}}, r)
				w.WriteHeader(http.StatusGatewayTimeout)
				return true
			}
			return false
		})
		defer s.setFault(nil)
		res, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "c"}, writeFiles(t, t.TempDir(), map[string][]byte{"model.json": []byte(`{"c":3}`)}), opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.count("PUT manifest") != 2 || putFails != 1 || res.BytesSent != 7 {
			t.Fatalf("close PUTs %d, content failures %d, sent %d", s.count("PUT manifest"), putFails, res.BytesSent)
		}
	})
}

func TestDownloadRefetchesAfterDroppedBody(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	content := pseudoRandom(2<<20, 5)
	files := writeFiles(t, t.TempDir(), map[string][]byte{"model.bin": content})
	if _, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1"}, files, nil); err != nil {
		t.Fatal(err)
	}
	drops := 0
	s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == http.MethodGet && kind(r.URL.Path) == "artifact" && drops < 2 {
			drops++
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
			w.WriteHeader(http.StatusOK)
			w.Write(content[:len(content)/3])
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		return false
	})
	defer s.setFault(nil)
	dest := t.TempDir()
	if _, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1"}, dest, &jfrog.DownloadOptions{Retry: fastRetry()}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dest, "model.bin"))
	if err != nil || !bytes.Equal(got, content) || drops != 2 || s.count("GET artifact") != 3 {
		t.Fatalf("%d bytes, %v, drops %d, GETs %d", len(got), err, drops, s.count("GET artifact"))
	}
	s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == http.MethodGet && kind(r.URL.Path) == "artifact" {
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
			w.WriteHeader(http.StatusOK)
			w.Write(content[:10])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		return false
	})
	dest = t.TempDir()
	_, err = c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "m", Version: "1"}, dest, &jfrog.DownloadOptions{Attempts: 2, Retry: fastRetry()})
	if !errors.Is(err, upstream.ErrUnavailable) || s.count("GET artifact") != 2 || len(listDir(t, dest)) != 0 {
		t.Fatalf("err %v after %d GETs, left %v", err, s.count("GET artifact"), listDir(t, dest))
	}
}

// discardWriter swallows a reply, simulating one lost on the way back.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
