package jfrog_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

func TestDownloadArtifact(t *testing.T) {
	s := newMLServer(t, "")
	req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/artifactory/api/repositories/files-local", strings.NewReader(`{"rclass":"local","packageType":"generic"}`))
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	req.Header.Set("Content-Type", "application/json")
	if resp, err := s.srv.Client().Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("create repository: %v %v", resp, err)
	}
	content := []byte("a,label\n1,x\n")
	req, _ = http.NewRequest(http.MethodPut, s.srv.URL+"/artifactory/files-local/data/train.csv", bytes.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	if resp, err := s.srv.Client().Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("deploy: %v %v", resp, err)
	}
	c := s.client(t)
	ctx := context.Background()
	dir := t.TempDir()
	dest := filepath.Join(dir, "train.csv")
	info, err := c.DownloadArtifact(ctx, s.admin, "files-local", "data/train.csv", dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, content) || info.Size != int64(len(content)) || len(info.Sha256) != 64 {
		t.Fatalf("%q %+v", got, info)
	}
	if _, err := c.DownloadArtifact(ctx, s.admin, "files-local", "data/train.csv", dest, nil); !errors.Is(err, jfrog.ErrInvalidInput) {
		t.Errorf("existing destination: %v", err)
	}
	if _, err := c.GetItemInfo(ctx, s.admin, "files-local", "data"); !errors.Is(err, jfrog.ErrInvalidInput) {
		t.Errorf("a folder: %v", err)
	}
	if _, err := c.GetItemInfo(ctx, s.admin, "files-local", "data/missing.csv"); !errors.Is(err, upstream.ErrNotFound) || !strings.Contains(err.Error(), "no file data/missing.csv in repository files-local") {
		t.Errorf("missing: %v", err)
	}
	t.Run("bytes that do not match the reported checksum are not kept", func(t *testing.T) {
		s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.Method == http.MethodGet && kind(r.URL.Path) == "artifact" {
				w.Write([]byte("a,label\n9,x\n"))
				return true
			}
			return false
		})
		defer s.setFault(nil)
		other := filepath.Join(dir, "tampered.csv")
		if _, err := c.DownloadArtifact(ctx, s.admin, "files-local", "data/train.csv", other, nil); !errors.Is(err, jfrog.ErrChecksumMismatch) {
			t.Fatalf("err = %v, want ErrChecksumMismatch", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("left %v", entries)
		}
	})
}

func FuzzParseFileInfo(f *testing.F) {
	f.Add([]byte(`{"repo":"r","path":"/a","size":"12","checksums":{"sha256":"` + strings.Repeat("ab", 32) + `"}}`))
	f.Add([]byte(`{"children":[]}`))
	f.Add([]byte(`{"size":12,"checksums":{"sha256":""}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		size, sha, err := jfrog.ParseFileInfo(body)
		if err == nil && (size < 0 || len(sha) != 64 || strings.ToLower(sha) != sha) {
			t.Fatalf("size %d sha %q", size, sha)
		}
	})
}

func FuzzParseDatasetManifest(f *testing.F) {
	f.Add([]byte(`{"created_date":"2025-01-01T00:00:00.00","dataset_artifacts":[{"artifact_path":"a/b.csv","size":3,"checksums":{"sha2":"` + strings.Repeat("0", 64) + `"}}]}`))
	f.Add([]byte(`{"dataset_artifacts":[{"artifact_path":"x","size":1,"checksums":{"sha2":"` + strings.Repeat("0", 64) + `"}},{"artifact_path":"x/y","size":1,"checksums":{"sha2":"` + strings.Repeat("0", 64) + `"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := jfrog.ParseDatasetManifest(body)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, a := range m.DatasetArtifacts {
			seen[a.ArtifactPath] = true
		}
		for _, a := range m.DatasetArtifacts {
			if i := strings.LastIndexByte(a.ArtifactPath, '/'); i >= 0 && seen[a.ArtifactPath[:i]] {
				t.Fatalf("nested paths accepted: %q", a.ArtifactPath)
			}
		}
	})
}
