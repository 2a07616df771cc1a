package jfrog

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

func TestValidateNames(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) error
		in   string
		ok   bool
	}{
		{"model plain", ValidateModelName, "iris-classifier", true},
		{"model dots", ValidateModelName, "iris.v2_final", true},
		{"model 60", ValidateModelName, strings.Repeat("a", 60), true},
		{"model 61", ValidateModelName, strings.Repeat("a", 61), false},
		{"model empty", ValidateModelName, "", false},
		{"model leading dot", ValidateModelName, ".hidden", false},
		{"model double dot", ValidateModelName, "a..b", false},
		{"model traversal", ValidateModelName, "../a", false},
		{"model slash", ValidateModelName, "a/b", false},
		{"model space", ValidateModelName, "a b", false},
		{"model unicode", ValidateModelName, "modèle", false},
		{"version semver", ValidateModelVersion, "1.2.3", true},
		{"version frogml default", ValidateModelVersion, "2025-06-01-12-30-05-123", true},
		{"version latest", ValidateModelVersion, "latest", false},
		{"version tmp", ValidateModelVersion, "tmp", false},
		{"version dotdot", ValidateModelVersion, "..", false},
		{"version trailing dot", ValidateModelVersion, "1.", false},
		{"repo", ValidateRepoKey, "ml-local", true},
		{"repo traversal", ValidateRepoKey, "..", false},
		{"repo slash", ValidateRepoKey, "a/b", false},
		{"path simple", ValidateArtifactPath, "model.json", true},
		{"path nested", ValidateArtifactPath, "sub/dir/w.bin", true},
		{"path traversal", ValidateArtifactPath, "a/../../b", false},
		{"path absolute", ValidateArtifactPath, "/etc/passwd", false},
		{"path backslash", ValidateArtifactPath, `a\b`, false},
		{"path drive", ValidateArtifactPath, "C:x", false},
		{"path empty segment", ValidateArtifactPath, "a//b", false},
		{"path dot", ValidateArtifactPath, "./a", false},
		{"path git", ValidateArtifactPath, "a/.git/config", false},
		{"path manifest", ValidateArtifactPath, "model-manifest.json", false},
		{"path control", ValidateArtifactPath, "a\nb", false},
		{"path matrix", ValidateArtifactPath, "a;k=v", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fn(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("%q: err = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("%v does not match ErrInvalidInput", err)
			}
		})
	}
}

func TestValidateProperty(t *testing.T) {
	cases := []struct {
		key, value string
		ok         bool
	}{
		{"accuracy", "0.9666666666666667", true},
		{"model_type", "random_forest", true},
		{"path", "a/b/c", true},
		{"list", "[1,2.0]", true},
		{"k", "[1, 2.0, -3]", true},
		{"k", "[[1,2],[3]]", true},
		{"k", "models/v1.2/x", true},
		{"k", strings.Repeat("a", 60), true},
		// frogml 1.2.46 refuses values over 60 characters, such as a
		// SHA-256 digest in hex (64).
		{"k", strings.Repeat("ab", 32), false},
		{"k", strings.Repeat("a", 61), false},
		{"empty.list", "[]", false},
		{"k", "[a,b]", false},
		{"k", "a/.b", false},
		{"k", "a/", false},
		{"k", "a\n", false},
		{"neg", "-1.5", true},
		{"sci", "1e-05", true},
		{"bad key", "1", false},
		{"k", "", false},
		{"k", "a b", false},
		{"k", "x;y=z", false},
		{"k", "2026-01-01T00:00:00Z", false},
		{"k", "[1,,2]", true}, // frogml's list pattern is a character class
		{strings.Repeat("k", 61), "1", false},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			if err := ValidateProperty(tc.key, tc.value); (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestValidateFrameworkVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"": true, "1.2.3": true, "v1.26.8": true, "2.0rc1": true, "1.0.post2.dev3": true, "1!2.0+local.7": true,
		"go1.26": false, "1.2.3-beta-x": false, "latest": false, "1..2": false,
	} {
		if err := ValidateFrameworkVersion(v); (err == nil) != ok {
			t.Errorf("ValidateFrameworkVersion(%q) = %v, want ok=%v", v, err, ok)
		}
	}
}

func TestCreatedDate(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct{ id, want string }{
		{"1748781005123", "2025-06-01T12:30:05.12"},
		{"1748781005000", "2025-06-01T12:30:05.00"},
		{"not-a-number", "2030-01-02T03:04:05.00"},
		{"", "2030-01-02T03:04:05.00"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if got := createdDate(tc.id, now); got != tc.want {
				t.Fatalf("createdDate(%q) = %q, want %q", tc.id, got, tc.want)
			}
		})
	}
}

func TestBuildAndParseManifest(t *testing.T) {
	files := []ModelFile{{Name: "model.json"}, {Name: "sub/w.bin"}}
	ds := []digest{{Size: 3, Sha256: strings.Repeat("a", 64)}, {Size: 0, Sha256: strings.Repeat("b", 64)}}
	m := buildManifest(files, ds, "1748781005123", time.Now(), &UploadOptions{})
	b, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"created_date":"2025-06-01T12:30:05.12"`, `"model_artifacts":[`, `"artifact_path":"model.json"`,
		`"checksums":{"sha2":"` + ds[0].Sha256 + `"}`, `"framework":"files"`, `"framework_version":""`, `"serialization_format":"json"`,
		`"runtime":"go"`, `"runtime_version":"`} {
		if !bytes.Contains(b, []byte(field)) {
			t.Errorf("manifest lacks %s: %s", field, b)
		}
	}
	for _, absent := range []string{`"id"`, `"version"`, `"download_url"`, `"dependency_artifacts"`, `"code_artifacts"`} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("manifest has %s: %s", absent, b)
		}
	}
	back, err := ParseModelManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameArtifacts(back.ModelArtifacts, m.ModelArtifacts) || *back.ModelFormat != *m.ModelFormat {
		t.Fatalf("round trip: %+v", back)
	}
}

func TestParseModelManifestRejects(t *testing.T) {
	sha := strings.Repeat("c", 64)
	cases := map[string]string{
		"not json":      `nope`,
		"array":         `[]`,
		"no artifacts":  `{"model_artifacts":[]}`,
		"traversal":     `{"model_artifacts":[{"artifact_path":"../x","size":1,"checksums":{"sha2":"` + sha + `"}}]}`,
		"absolute":      `{"model_artifacts":[{"artifact_path":"/x","size":1,"checksums":{"sha2":"` + sha + `"}}]}`,
		"drive":         `{"model_artifacts":[{"artifact_path":"C:/x","size":1,"checksums":{"sha2":"` + sha + `"}}]}`,
		"duplicate":     `{"model_artifacts":[{"artifact_path":"x","size":1,"checksums":{"sha2":"` + sha + `"}},{"artifact_path":"x","size":1,"checksums":{"sha2":"` + sha + `"}}]}`,
		"negative size": `{"model_artifacts":[{"artifact_path":"x","size":-1,"checksums":{"sha2":"` + sha + `"}}]}`,
		"short sha":     `{"model_artifacts":[{"artifact_path":"x","size":1,"checksums":{"sha2":"abc"}}]}`,
		"string size":   `{"model_artifacts":[{"artifact_path":"x","size":"1","checksums":{"sha2":"` + sha + `"}}]}`,
		"bad dep":       `{"model_artifacts":[{"artifact_path":"x","size":1,"checksums":{"sha2":"` + sha + `"}}],"dependency_artifacts":[{"artifact_path":"..","size":1,"checksums":{"sha2":"` + sha + `"}}]}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseModelManifest([]byte(body)); !errors.Is(err, upstream.ErrUnavailable) {
				t.Fatalf("err = %v, want upstream.ErrUnavailable", err)
			}
		})
	}
	t.Run("upper-case sha accepted and lowered", func(t *testing.T) {
		m, err := ParseModelManifest([]byte(`{"model_artifacts":[{"artifact_path":"x","size":1,"checksums":{"sha2":"` + strings.ToUpper(strings.Repeat("ab", 32)) + `"}}]}`))
		if err != nil || m.ModelArtifacts[0].Checksums.Sha2 != strings.Repeat("ab", 32) {
			t.Fatalf("%+v %v", m, err)
		}
	})
}

func TestParseVersionList(t *testing.T) {
	body := `{"uri":"x","created":"2025-01-01T00:00:00.000Z","files":[
	 {"uri":"/v1/model-manifest.json","size":"120","lastModified":"2025-01-01T00:00:01.000Z","folder":"false"},
	 {"uri":"/v2/model-manifest.json","size":120,"lastModified":"2025-01-02T00:00:01.000+01:00","folder":false},
	 {"uri":"/v3","size":-1,"lastModified":"2025-03-01T00:00:00.000Z","folder":true},
	 {"uri":"/v3/model/model.json","size":1,"lastModified":"2025-03-01T00:00:00.000Z","folder":false},
	 {"uri":"/tmp/model-manifest.json","size":1,"lastModified":"2025-03-01T00:00:00.000Z","folder":false},
	 {"uri":"/a..b/model-manifest.json","size":1,"lastModified":"2025-03-01T00:00:00.000Z","folder":false},
	 {"uri":"/v0/model-manifest.json","size":1,"lastModified":"garbage","folder":false}]}`
	got, err := ParseVersionList([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range got {
		names = append(names, v.Version)
	}
	if strings.Join(names, ",") != "v2,v1,v0" {
		t.Fatalf("versions %v", names)
	}
	if _, err := ParseVersionList([]byte(`{"files":7}`)); err == nil {
		t.Fatal("bad list accepted")
	}
}

func TestParallelHash(t *testing.T) {
	for _, n := range []int{0, 1, transferBufSize - 1, transferBufSize, 2*transferBufSize + 5, 5*transferBufSize + 3} {
		data := bytes.Repeat([]byte{byte(n), 7, 9}, n/3+1)[:n]
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := hashFile(p, true)
		if err != nil {
			t.Fatal(err)
		}
		want := func(h hash.Hash) string { h.Write(data); return hex.EncodeToString(h.Sum(nil)) }
		if d.Size != int64(n) || d.Sha256 != want(sha256.New()) || d.Sha1 != want(sha1.New()) || d.Md5 != want(md5.New()) {
			t.Fatalf("size %d: digest %+v", n, d)
		}
	}
	if _, err := hashFile(t.TempDir(), false); err == nil {
		t.Fatal("a folder was hashed")
	}
}

func FuzzParseModelManifest(f *testing.F) {
	sha := strings.Repeat("d", 64)
	for _, s := range []string{
		`{"created_date":"2025-06-01T12:30:05.12","model_artifacts":[{"artifact_path":"model.pkl","size":1234,"checksums":{"sha2":"` + sha + `"},"download_url":"https://h/artifactory/r/models/m/1/model/model.pkl"}],"model_format":{"framework":"files","framework_version":"","serialization_format":"pkl","runtime":"python","runtime_version":"3.11.9"},"code_artifacts":{"artifact_path":"code.zip","size":9,"checksums":{"sha2":"` + sha + `"}}}`,
		`{"model_artifacts":[{"artifact_path":"a/../b","size":1,"checksums":{"sha2":"` + sha + `"}}]}`,
		`{}`, `null`, `{"model_artifacts":null}`, `{"model_artifacts":[{"size":1e400}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseModelManifest(body)
		if err != nil {
			if !errors.Is(err, upstream.ErrUnavailable) {
				t.Fatalf("error %v does not match upstream.ErrUnavailable", err)
			}
			return
		}
		if len(m.ModelArtifacts) == 0 {
			t.Fatal("accepted a manifest without artifacts")
		}
		for _, a := range m.ModelArtifacts {
			local := filepath.Join("dest", filepath.FromSlash(a.ArtifactPath))
			rel, err := filepath.Rel("dest", local)
			if err != nil || !filepath.IsLocal(rel) || a.Size < 0 || !isHexDigest(a.Checksums.Sha2, 64) {
				t.Fatalf("accepted unsafe artifact %+v", a)
			}
		}
	})
}

func FuzzParseVersionList(f *testing.F) {
	for _, s := range []string{
		`{"files":[{"uri":"/v1/model-manifest.json","lastModified":"2025-01-01T00:00:01.000Z","folder":"false"}]}`,
		`{"files":[{"uri":"/../model-manifest.json"}]}`, `{"files":null}`, `[]`, `x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		vs, err := ParseVersionList(body)
		if err != nil {
			return
		}
		for i, v := range vs {
			if ValidateModelVersion(v.Version) != nil {
				t.Fatalf("invalid version %q returned", v.Version)
			}
			if i > 0 && vs[i-1].Stored.Before(v.Stored) {
				t.Fatal("not newest first")
			}
		}
	})
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.after -= len(b); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

func TestFanOutStopsOnWriteError(t *testing.T) {
	data := bytes.NewReader(make([]byte, 4*transferSlots*transferBufSize))
	h := sha256.New()
	n, err := fanOut(data, []io.Writer{h, &failingWriter{after: 2 * transferBufSize}})
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v", err)
	}
	// the reader may be at most the buffers in flight ahead of the failure
	if limit := int64(transferSlots+3) * transferBufSize; n > limit {
		t.Fatalf("kept reading after the failure: %d bytes, more than %d", n, limit)
	}
	d, err := hashFile(writeTemp(t, []byte("abc")), false)
	if err != nil || d.Sha1 != "" || d.Md5 != "" || d.Sha256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("sha256-only digest %+v, %v", d, err)
	}
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
