package jfrog_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

func TestDatasetVersionRoundTrip(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	content := map[string][]byte{
		"train/part-0.csv": []byte("a,label\n1,x\n"),
		"train/part-1.csv": []byte("a,label\n2,y\n"),
	}
	files := writeFiles(t, t.TempDir(), content)
	res, err := c.UploadDatasetVersion(ctx, s.admin, jfrog.DatasetRef{Repo: testRepo, Name: "flowers", Version: "1.0"}, files, &jfrog.UploadOptions{Retry: fastRetry(), Properties: map[string]string{"rows": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(res.URL, "/artifactory/api/machinelearning/ml-local/dataset/entity-manifest/flowers/1.0") || res.Manifest.ModelFormat != nil {
		t.Fatalf("URL %s, format %+v", res.URL, res.Manifest.ModelFormat)
	}
	t.Run("stored the way frogml stores datasets", func(t *testing.T) {
		code, body := s.get(t, "/artifactory/api/machinelearning/ml-local/dataset/entity-manifest/flowers/1.0")
		var raw map[string]json.RawMessage
		if code != http.StatusOK || json.Unmarshal(body, &raw) != nil {
			t.Fatalf("%d %s", code, body)
		}
		if _, ok := raw["dataset_artifacts"]; !ok || raw["model_artifacts"] != nil || raw["model_format"] != nil {
			t.Fatalf("manifest %s", body)
		}
		if code, _ := s.get(t, "/artifactory/ml-local/datasets/flowers/1.0/dataset-manifest.json"); code != http.StatusOK {
			t.Fatalf("datasets/flowers/1.0/dataset-manifest.json: %d", code)
		}
		if code, _ := s.get(t, "/artifactory/api/machinelearning/ml-local/model/entity-manifest/flowers/1.0"); code != http.StatusNotFound {
			t.Fatalf("a dataset is visible as a model: %d", code)
		}
	})
	t.Run("list and latest", func(t *testing.T) {
		vs, err := c.ListDatasetVersions(ctx, s.admin, jfrog.DatasetRef{Repo: testRepo, Name: "flowers"})
		if err != nil || len(vs) != 1 || vs[0].Version != "1.0" {
			t.Fatalf("%+v %v", vs, err)
		}
		v, err := c.ResolveDatasetVersion(ctx, s.admin, jfrog.DatasetRef{Repo: testRepo, Name: "flowers", Version: jfrog.LatestVersion})
		if err != nil || v != "1.0" {
			t.Fatalf("%q %v", v, err)
		}
		if _, err := c.ListModelVersions(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "flowers"}); !errors.Is(err, upstream.ErrNotFound) {
			t.Fatalf("models: %v", err)
		}
	})
	t.Run("download verified", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "data")
		dl, err := c.DownloadDatasetVersion(ctx, s.admin, jfrog.DatasetRef{Repo: testRepo, Name: "flowers", Version: "1.0"}, dest, nil)
		if err != nil || len(dl.Files) != 2 {
			t.Fatalf("%+v %v", dl, err)
		}
		for name, want := range content {
			if got, err := os.ReadFile(filepath.Join(dest, name)); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %q %v", name, got, err)
			}
		}
	})
}

// TestDownloadNestedManifestWritesNothing serves a manifest that lists
// "x/y" and then "x": the download must fail before writing anything.
func TestDownloadNestedManifestWritesNothing(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	files := writeFiles(t, t.TempDir(), map[string][]byte{"x/y": []byte("inner"), "z": []byte("file")})
	if _, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "nested", Version: "1"}, files, &jfrog.UploadOptions{Retry: fastRetry()}); err != nil {
		t.Fatal(err)
	}
	m, err := c.GetModelManifest(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "nested", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range m.ModelArtifacts {
		if a.ArtifactPath == "z" {
			// "x" points at z's content, so each artifact is downloadable
			m.ModelArtifacts[i].ArtifactPath = "x"
		}
	}
	if m.ModelArtifacts[0].ArtifactPath != "x/y" {
		m.ModelArtifacts[0], m.ModelArtifacts[1] = m.ModelArtifacts[1], m.ModelArtifacts[0]
	}
	body, _ := json.Marshal(m)
	s.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method == http.MethodGet && kind(r.URL.Path) == "manifest" {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
			return true
		}
		return false
	})
	defer s.setFault(nil)
	parent := t.TempDir()
	dest := filepath.Join(parent, "model")
	if _, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "nested", Version: "1"}, dest, nil); !errors.Is(err, upstream.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable (a manifest with one path inside another)", err)
	}
	if got, _ := os.ReadDir(parent); len(got) != 0 {
		t.Fatalf("a failed download left %v", got)
	}
}

// TestDownloadIgnoresPlantedSymlink plants a symbolic link to a folder
// outside the destination where an artifact's folder goes: nothing may be
// written through it.
func TestDownloadIgnoresPlantedSymlink(t *testing.T) {
	s := newMLServer(t, testRepo)
	c := s.client(t)
	ctx := context.Background()
	files := writeFiles(t, t.TempDir(), map[string][]byte{"model.json": []byte(`{}`), "sub/w.bin": []byte("weights")})
	if _, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "linked", Version: "1"}, files, &jfrog.UploadOptions{Retry: fastRetry()}); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	dest := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dest, "sub")); err != nil {
		t.Fatal(err)
	}
	_, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "linked", Version: "1"}, dest, &jfrog.DownloadOptions{Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, outside); len(got) != 0 {
		t.Fatalf("the download wrote through the symbolic link: %v", got)
	}
	if st, err := os.Lstat(filepath.Join(dest, "sub")); err != nil || !st.IsDir() {
		t.Fatalf("sub is not a real folder: %v %v", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "sub", "w.bin")); err != nil || string(b) != "weights" {
		t.Fatalf("%q %v", b, err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "linked", Version: "1"}, link, &jfrog.DownloadOptions{Replace: true}); !errors.Is(err, jfrog.ErrInvalidInput) {
		t.Fatalf("destination is a symbolic link: err = %v", err)
	}
	if got := listDir(t, outside); len(got) != 0 {
		t.Fatalf("wrote through a linked destination: %v", got)
	}
}

// TestDatasetUploadedAsFrogmlDoes sends the requests frogml's
// upload_dataset_version sends (start-transaction without a version,
// checksum deploy, a plain PUT of the content without checksum headers,
// the datasetManifest part and additionalData "null") and downloads the
// result with the client.
func TestDatasetUploadedAsFrogmlDoes(t *testing.T) {
	s := newMLServer(t, testRepo)
	ctx := context.Background()
	do := func(method, path, contentType string, body []byte, hdr map[string]string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, s.srv.URL+"/artifactory"+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	code, body := do(http.MethodPost, "/api/machinelearning/"+testRepo+"/dataset/frog-data/start-transaction", "", nil, nil)
	var start struct {
		FilesUploadPath string `json:"filesUploadPath"`
		TransactionID   string `json:"transactionId"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &start) != nil || !strings.HasPrefix(start.FilesUploadPath, "datasets/frog-data/tmp/") {
		t.Fatalf("start: %d %s", code, body)
	}
	// frogml takes the version from the upload path when it named none
	version := strings.Split(strings.TrimPrefix(start.FilesUploadPath, "datasets/frog-data/tmp/"), "/")[0]
	content := []byte("a,label\n1,x\n")
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	target := "/" + testRepo + "/" + start.FilesUploadPath + "/part-0.csv"
	if code, _ := do(http.MethodPut, target, "", nil, map[string]string{"X-Checksum-Sha256": sha, "X-Checksum-Deploy": "true"}); code == http.StatusOK || code == http.StatusCreated {
		t.Fatalf("checksum deploy of unknown content: %d", code)
	}
	if code, body := do(http.MethodPut, target, "", content, nil); code/100 != 2 {
		t.Fatalf("content: %d %s", code, body)
	}
	manifest := fmt.Sprintf(`{"created_date":"2025-06-01T12:30:05.12","dataset_artifacts":[{"artifact_path":"part-0.csv","size":%d,"checksums":{"sha2":"%s"}}]}`, len(content), sha)
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for _, part := range [][2]string{{"datasetManifest", manifest}, {"additionalData", "null"}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, part[0], part[0]))
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		w.Write([]byte(part[1]))
	}
	mw.Close()
	if code, body := do(http.MethodPut, "/api/machinelearning/"+testRepo+"/dataset/entity-manifest/frog-data/"+version+"/"+start.TransactionID, mw.FormDataContentType(), mp.Bytes(), nil); code/100 != 2 {
		t.Fatalf("end transaction: %d %s", code, body)
	}
	c := s.client(t)
	v, err := c.ResolveDatasetVersion(ctx, s.admin, jfrog.DatasetRef{Repo: testRepo, Name: "frog-data", Version: jfrog.LatestVersion})
	if err != nil || v != version {
		t.Fatalf("latest %q, want %q: %v", v, version, err)
	}
	dest := filepath.Join(t.TempDir(), "d")
	if _, err := c.DownloadDatasetVersion(ctx, s.admin, jfrog.DatasetRef{Repo: testRepo, Name: "frog-data", Version: v}, dest, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "part-0.csv")); !bytes.Equal(got, content) {
		t.Fatalf("%q", got)
	}
}
