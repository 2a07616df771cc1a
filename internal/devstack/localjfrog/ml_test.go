package localjfrog

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// manifestBody builds frogml's multipart end-of-transaction body.
func manifestBody(t *testing.T, manifest any, additional string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mb, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []struct{ name, body string }{{"modelManifest", string(mb)}, {"additionalData", additional}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+part.name+`"; filename="`+part.name+`"`)
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(part.body))
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestMLRepositoryFlow(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.createRepo(t, "ml-local", "machinelearning")
	st.createRepo(t, "generic-local", "generic")
	tok := st.userToken(t, is)
	const api = "/artifactory/api/machinelearning/ml-local/model/"
	model := []byte(strings.Repeat("forest", 5000))
	reqs := []byte("gonum\n")
	code := []byte("PK zip")
	ms, rs, cs := sums(model), sums(reqs), sums(code)

	// Start with an explicit version and a namespace.
	r := st.do(t, "POST", api+"team/iris/start-transaction/1.0.0", tok, nil, nil)
	wantStatus(t, r, 200)
	var tx startResponse
	r.json(t, &tx)
	if !strings.HasPrefix(tx.FilesUploadPath, "models/team/iris/tmp/1.0.0/") || tx.TransactionID == "" ||
		tx.DependenciesUploadPath == tx.FilesUploadPath || !strings.HasPrefix(tx.CodeUploadPath, tx.LeadUploadPath) {
		t.Fatalf("start-transaction %+v", tx)
	}
	// frogml: checksum deploy first (404: unknown), then the bytes.
	put := func(dir, name string, body []byte, sha string) {
		path := "/artifactory/ml-local/" + dir + "/" + name
		r := st.do(t, "PUT", path, tok, nil, map[string]string{"X-Checksum-Sha256": sha, "X-Checksum-Deploy": "true"})
		if r.Status == 404 {
			r = st.do(t, "PUT", path, tok, bytes.NewReader(body), nil)
		}
		wantStatus(t, r, 201)
	}
	put(tx.FilesUploadPath, "model.pkl", model, ms.Sha256)
	put(tx.DependenciesUploadPath, "requirements.txt", reqs, rs.Sha256)
	put(tx.CodeUploadPath, "code.zip", code, cs.Sha256)
	manifest := entityManifest{
		CreatedDate:         "2026-11-28T09:00:00.12",
		ModelArtifacts:      []artifactEntry{{ArtifactPath: "model.pkl", Size: int64(len(model)), Checksums: artifactChecksums{ms.Sha256}}},
		ModelFormat:         &modelFormat{Framework: "files", SerializationFormat: "pkl", Runtime: "go", RuntimeVersion: "1.26"},
		DependencyArtifacts: []artifactEntry{{ArtifactPath: "requirements.txt", Size: int64(len(reqs)), Checksums: artifactChecksums{rs.Sha256}}},
		CodeArtifacts:       &artifactEntry{ArtifactPath: "code.zip", Size: int64(len(code)), Checksums: artifactChecksums{cs.Sha256}},
	}
	endTx := func(version, txID string, m entityManifest, additional string) response {
		body, ctype := manifestBody(t, m, additional)
		return st.do(t, "PUT", api+"entity-manifest/team/iris/"+version+"/"+txID, tok, body, map[string]string{"Content-Type": ctype})
	}
	t.Run("manifest naming a file not uploaded", func(t *testing.T) {
		bad := manifest
		bad.ModelArtifacts = append([]artifactEntry{}, manifest.ModelArtifacts...)
		bad.ModelArtifacts = append(bad.ModelArtifacts, artifactEntry{ArtifactPath: "extra.bin", Size: 1, Checksums: artifactChecksums{rs.Sha256}})
		wantError(t, endTx("1.0.0", tx.TransactionID, bad, "null"), 400)
	})
	t.Run("manifest with wrong size", func(t *testing.T) {
		bad := manifest
		bad.ModelArtifacts = []artifactEntry{{ArtifactPath: "model.pkl", Size: 1, Checksums: artifactChecksums{ms.Sha256}}}
		wantError(t, endTx("1.0.0", tx.TransactionID, bad, "null"), 400)
	})
	t.Run("properties frogml refuses", func(t *testing.T) {
		for _, additional := range []string{
			`{"model_sha256":"` + ms.Sha256 + `"}`, // 64 characters; frogml allows 60
			`{"bad key":"1"}`,
			`{"when":"2026-11-28T09:00:00Z"}`,
		} {
			wantError(t, endTx("1.0.0", tx.TransactionID, manifest, additional), 400)
		}
	})
	wantError(t, endTx("1.0.0", "12345", manifest, "null"), 404)
	wantStatus(t, endTx("1.0.0", tx.TransactionID, manifest, `{"accuracy":"0.97","trees":100}`), 200)
	wantError(t, endTx("1.0.0", tx.TransactionID, manifest, "null"), 404)

	// Read it back like load_model: manifest, HEAD with X-Checksum-Sha256, GET.
	r = st.do(t, "GET", api+"entity-manifest/team/iris/1.0.0", tok, nil, nil)
	wantStatus(t, r, 200)
	var got entityManifest
	r.json(t, &got)
	if got.Version != "1.0.0" || got.ID != "team/iris" || got.ModelFormat == nil || got.ModelFormat.Framework != "files" || got.CreatedDate != manifest.CreatedDate {
		t.Fatalf("manifest %+v", got)
	}
	checks := []struct {
		a    artifactEntry
		body []byte
	}{{got.ModelArtifacts[0], model}, {got.DependencyArtifacts[0], reqs}, {*got.CodeArtifacts, code}}
	for _, c := range checks {
		rel, ok := strings.CutPrefix(c.a.DownloadURL, st.base)
		if !ok || !strings.Contains(rel, "/ml-local/models/team/iris/1.0.0/") {
			t.Fatalf("download_url %q", c.a.DownloadURL)
		}
		h := st.do(t, "HEAD", rel, tok, nil, nil)
		wantStatus(t, h, 200)
		if h.Header.Get("X-Checksum-Sha256") != c.a.Checksums.Sha2 {
			t.Fatalf("HEAD %s sha256 %s, manifest %s", rel, h.Header.Get("X-Checksum-Sha256"), c.a.Checksums.Sha2)
		}
		g := st.do(t, "GET", rel, tok, nil, nil)
		if !bytes.Equal(g.Body, c.body) {
			t.Fatalf("GET %s returned different bytes", rel)
		}
	}
	// Properties from additionalData sit on the version folder.
	r = st.do(t, "GET", "/artifactory/api/storage/ml-local/models/team/iris/1.0.0?properties", tok, nil, nil)
	if !strings.Contains(string(r.Body), `"accuracy"`) || !strings.Contains(string(r.Body), `"100"`) {
		t.Fatalf("version properties %s", r.Body)
	}
	// The same version cannot start again.
	wantError(t, st.do(t, "POST", api+"team/iris/start-transaction/1.0.0", tok, nil, nil), 409)

	// Without a version the server picks one; the tmp folder disappears after.
	r = st.do(t, "POST", api+"team/iris/start-transaction", tok, nil, nil)
	wantStatus(t, r, 200)
	var tx2 startResponse
	r.json(t, &tx2)
	version := strings.SplitN(strings.TrimPrefix(tx2.FilesUploadPath, "models/team/iris/tmp/"), "/", 2)[0]
	if len(version) != len("2006-01-02-15-04-05") {
		t.Fatalf("server-chosen version %q", version)
	}
	put(tx2.FilesUploadPath, "model.pkl", model, ms.Sha256) // checksum deploy succeeds now
	m2 := manifest
	m2.DependencyArtifacts, m2.CodeArtifacts = nil, nil
	wantStatus(t, endTx(version, tx2.TransactionID, m2, "null"), 200)
	var versions folderInfo
	st.do(t, "GET", "/artifactory/api/storage/ml-local/models/team/iris", tok, nil, nil).json(t, &versions)
	want := []folderChild{{"/1.0.0", true}, {"/" + version, true}}
	if len(versions.Children) != 2 || versions.Children[0] != want[0] || versions.Children[1] != want[1] {
		t.Fatalf("versions %+v, want %+v (no tmp folder)", versions.Children, want)
	}

	// Versions are listed through the storage API; each complete version has
	// its model-manifest.json two levels below the model folder.
	var fl struct {
		Files []fileListEntry `json:"files"`
	}
	st.do(t, "GET", "/artifactory/api/storage/ml-local/models/team/iris?list&deep=1&depth=2", tok, nil, nil).json(t, &fl)
	var manifests []string
	for _, f := range fl.Files {
		if strings.HasSuffix(f.URI, "/"+manifestName) {
			manifests = append(manifests, f.URI)
		}
	}
	if len(manifests) != 2 || manifests[0] != "/1.0.0/"+manifestName {
		t.Fatalf("manifests in the depth-2 list: %v", manifests)
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, method, path string
			status             int
		}{
			{"generic repository", "POST", "/artifactory/api/machinelearning/generic-local/model/iris/start-transaction", 400},
			{"missing repository", "POST", "/artifactory/api/machinelearning/none/model/iris/start-transaction", 404},
			{"bad name", "POST", api + "bad..name/start-transaction", 400},
			{"too deep", "POST", api + "a/b/c/start-transaction", 400},
			{"no verb", "POST", api + "iris", 400},
			{"unknown version", "GET", api + "entity-manifest/team/iris/9.9.9", 404},
			{"not multipart", "PUT", api + "entity-manifest/team/iris/2.0/123", 400},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, st.do(t, tc.method, tc.path, tok, strings.NewReader("{}"), nil), tc.status)
			})
		}
	})
	if r := st.do(t, "GET", api+"entity-manifest/team/iris/1.0.0", "", nil, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous manifest read: status %d", r.Status)
	}
}
