package localjfrog

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sums(b []byte) checksums {
	a, c, d := sha256.Sum256(b), sha1.Sum(b), md5.Sum(b)
	return checksums{Sha256: hex.EncodeToString(a[:]), Sha1: hex.EncodeToString(c[:]), Md5: hex.EncodeToString(d[:])}
}

func (st *stack) blobCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(st.dir, "artifactory", "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestDeployAndDownload(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.createRepo(t, "generic-local", "generic")
	user := st.userToken(t, is)
	content := []byte(strings.Repeat("frogbridge artifact\n", 1000))
	cs := sums(content)
	wrong := sums([]byte("other"))

	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"no checksums", nil, 201},
		{"all three right", map[string]string{"X-Checksum-Sha256": cs.Sha256, "X-Checksum-Sha1": cs.Sha1, "X-Checksum-Md5": cs.Md5}, 201},
		{"X-Checksum as sha256 (jfrog-client-go)", map[string]string{"X-Checksum": cs.Sha256, "X-Checksum-Sha1": strings.ToUpper(cs.Sha1)}, 201},
		{"wrong sha256", map[string]string{"X-Checksum-Sha256": wrong.Sha256}, 409},
		{"wrong sha1", map[string]string{"X-Checksum-Sha1": wrong.Sha1}, 409},
		{"wrong md5 via X-Checksum", map[string]string{"X-Checksum": wrong.Md5}, 409},
		{"malformed checksum", map[string]string{"X-Checksum-Sha256": "xyz"}, 400},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "/artifactory/generic-local/dir/sub/file" + string(rune('a'+i)) + ".txt"
			r := st.do(t, "PUT", path, user, bytes.NewReader(content), tc.hdr)
			if tc.status != 201 {
				msg := wantError(t, r, tc.status)
				if tc.status == 409 && !strings.Contains(msg, "rejected the artifact") {
					t.Fatalf("message %q", msg)
				}
				wantError(t, st.do(t, "GET", path, user, nil, nil), http.StatusNotFound)
				return
			}
			wantStatus(t, r, 201)
			var created itemCreated
			r.json(t, &created)
			if *created.Checksums != cs || created.Size != "20000" || created.Repo != "generic-local" || created.CreatedBy != "rotator" ||
				created.DownloadURI != st.base+path || r.Header.Get("Content-Type") != contentTypeItemCreated {
				t.Fatalf("created %+v (content type %s)", created, r.Header.Get("Content-Type"))
			}
			g := st.do(t, "GET", path, user, nil, nil)
			wantStatus(t, g, 200)
			if !bytes.Equal(g.Body, content) || g.Header.Get("X-Checksum-Sha256") != cs.Sha256 || g.Header.Get("X-Checksum-Sha1") != cs.Sha1 ||
				g.Header.Get("X-Checksum-Md5") != cs.Md5 || g.Header.Get("ETag") == "" || g.Header.Get("Accept-Ranges") != "bytes" {
				t.Fatalf("download headers %v, %d bytes", g.Header, len(g.Body))
			}
		})
	}
	if n := st.blobCount(t); n != 1 {
		t.Fatalf("%d blob files for one content, want 1 (content-addressed, rejected uploads removed)", n)
	}

	t.Run("HEAD", func(t *testing.T) {
		r := st.do(t, "HEAD", "/artifactory/generic-local/dir/sub/filea.txt", user, nil, nil)
		wantStatus(t, r, 200)
		if r.Header.Get("Content-Length") != "20000" || r.Header.Get("X-Checksum-Sha256") != cs.Sha256 || len(r.Body) != 0 {
			t.Fatalf("HEAD headers %v", r.Header)
		}
		wantStatus(t, st.do(t, "HEAD", "/artifactory/generic-local/missing", user, nil, nil), 404)
	})
	t.Run("Range", func(t *testing.T) {
		r := st.do(t, "GET", "/artifactory/generic-local/dir/sub/filea.txt", user, nil, map[string]string{"Range": "bytes=100-199"})
		wantStatus(t, r, http.StatusPartialContent)
		if !bytes.Equal(r.Body, content[100:200]) || r.Header.Get("Content-Range") != "bytes 100-199/20000" {
			t.Fatalf("range body %q, Content-Range %q", r.Body, r.Header.Get("Content-Range"))
		}
	})
	t.Run("checksum deploy", func(t *testing.T) {
		tests := []struct {
			name   string
			hdr    map[string]string
			status int
		}{
			{"known sha256", map[string]string{"X-Checksum-Sha256": cs.Sha256}, 201},
			{"known sha1 only", map[string]string{"X-Checksum-Sha1": cs.Sha1}, 201},
			{"known sha256 in X-Checksum", map[string]string{"X-Checksum": cs.Sha256}, 201},
			{"unknown sha256", map[string]string{"X-Checksum-Sha256": wrong.Sha256}, 404},
			{"known sha256, wrong sha1", map[string]string{"X-Checksum-Sha256": cs.Sha256, "X-Checksum-Sha1": wrong.Sha1}, 404},
			{"no checksum", nil, 400},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				hdr := map[string]string{"X-Checksum-Deploy": "true"}
				for k, v := range tc.hdr {
					hdr[k] = v
				}
				path := "/artifactory/generic-local/copies/c" + string(rune('a'+i))
				r := st.do(t, "PUT", path, user, nil, hdr)
				wantStatus(t, r, tc.status)
				switch tc.status {
				case 404:
					if len(r.Body) != 0 {
						t.Fatalf("404 body %q, want none", r.Body)
					}
				case 201:
					g := st.do(t, "GET", path, user, nil, nil)
					wantStatus(t, g, 200)
					if !bytes.Equal(g.Body, content) {
						t.Fatal("checksum-deployed copy differs")
					}
				}
			})
		}
	})
	t.Run("errors", func(t *testing.T) {
		wantError(t, st.do(t, "PUT", "/artifactory/no-such-repo/a", user, strings.NewReader("x"), nil), 404)
		wantError(t, st.do(t, "PUT", "/artifactory/generic-local/dir/sub/filea.txt/below", user, strings.NewReader("x"), nil), 409)
		wantError(t, st.do(t, "PUT", "/artifactory/generic-local/dir", user, strings.NewReader("x"), nil), 409)
		wantError(t, st.do(t, "GET", "/artifactory/generic-local/nothing/here", user, nil, nil), 404)
	})
	t.Run("delete", func(t *testing.T) {
		wantStatus(t, st.do(t, "DELETE", "/artifactory/generic-local/dir", user, nil, nil), http.StatusNoContent)
		wantError(t, st.do(t, "GET", "/artifactory/generic-local/dir/sub/filea.txt", user, nil, nil), 404)
		wantError(t, st.do(t, "DELETE", "/artifactory/generic-local/dir", user, nil, nil), 404)
		if n := st.blobCount(t); n != 1 {
			t.Fatalf("%d blobs, want 1 (copies still refer to it)", n)
		}
		wantStatus(t, st.do(t, "DELETE", "/artifactory/generic-local/copies", user, nil, nil), http.StatusNoContent)
		if n := st.blobCount(t); n != 0 {
			t.Fatalf("%d blobs after deleting every reference, want 0", n)
		}
	})
}

func TestRepositoriesAPI(t *testing.T) {
	st := newStack(t, t.TempDir())
	admin := st.s.AdminToken()
	st.createRepo(t, "models", "machinelearning")
	st.createRepo(t, "generic-local", "generic")
	bad := []struct {
		name string
		key  string
		body map[string]any
	}{
		{"duplicate", "MODELS", map[string]any{"rclass": "local", "packageType": "generic"}},
		{"remote", "r", map[string]any{"rclass": "remote", "packageType": "generic"}},
		{"maven", "m", map[string]any{"rclass": "local", "packageType": "maven"}},
		{"key mismatch", "k", map[string]any{"key": "other", "rclass": "local", "packageType": "generic"}},
		{"reserved key", "api", map[string]any{"rclass": "local", "packageType": "generic"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, st.doJSON(t, "PUT", "/artifactory/api/repositories/"+tc.key, admin, tc.body), 400)
		})
	}
	var list []repoSummary
	st.do(t, "GET", "/artifactory/api/repositories", admin, nil, nil).json(t, &list)
	if len(list) != 2 || list[0].Key != "generic-local" || list[1].PackageType != "MachineLearning" || list[1].Type != "LOCAL" {
		t.Fatalf("list %+v", list)
	}
	st.do(t, "GET", "/artifactory/api/repositories?packageType=machinelearning", admin, nil, nil).json(t, &list)
	if len(list) != 1 || list[0].Key != "models" {
		t.Fatalf("filtered list %+v", list)
	}
	var cfg repoConfig
	st.do(t, "GET", "/artifactory/api/repositories/models", admin, nil, nil).json(t, &cfg)
	if cfg.RClass != "local" || cfg.PackageType != "machinelearning" {
		t.Fatalf("config %+v", cfg)
	}
	wantStatus(t, st.do(t, "DELETE", "/artifactory/api/repositories/generic-local", admin, nil, nil), 200)
	wantError(t, st.do(t, "GET", "/artifactory/api/repositories/generic-local", admin, nil, nil), 400)
}
