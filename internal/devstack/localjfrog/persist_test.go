package localjfrog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
)

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	is := newTestIssuer(t)
	first := newStack(t, dir)
	admin := first.s.AdminToken()
	user := first.userToken(t, is)
	revoked, jti, err := first.s.issueToken("rotator", scopeUser, "*@*", 600, "")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, first.do(t, "DELETE", "/access/api/v1/tokens/"+jti, admin, nil, nil), 200)
	first.createRepo(t, "generic-local", "generic")
	content := []byte("persisted bytes")
	wantStatus(t, first.do(t, "PUT", "/artifactory/generic-local/keep/me.txt;tag=v1", user, bytes.NewReader(content), nil), 201)
	first.srv.Close()

	second := newStack(t, dir)
	if second.s.AdminToken() != admin {
		t.Fatal("generated admin token changed across restarts")
	}
	if second.s.issuer() != first.s.issuer() {
		t.Fatal("service id changed across restarts")
	}
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"user token still valid", "GET", "/access/api/v1/tokens/me", user, 200},
		{"revoked token still revoked", "GET", "/access/api/v1/tokens/me", revoked, 401},
		{"provider kept", "GET", "/access/api/v1/oidc/azure-oidc", admin, 200},
		{"mapping kept", "GET", "/access/api/v1/oidc/azure-oidc/identity_mappings/function-app", admin, 200},
		{"repository kept", "GET", "/artifactory/api/repositories/generic-local", admin, 200},
		{"properties kept", "GET", "/artifactory/api/storage/generic-local/keep/me.txt?properties=tag", admin, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, second.do(t, tc.method, tc.path, tc.token, nil, nil), tc.status)
		})
	}
	g := second.do(t, "GET", "/artifactory/generic-local/keep/me.txt", user, nil, nil)
	if !bytes.Equal(g.Body, content) {
		t.Fatalf("artifact after restart: %q", g.Body)
	}
	// Exchange still works with the persisted provider and mapping.
	wantStatus(t, second.exchange(t, is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"})), 200)
}

func TestStartCleansCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	st := newStack(t, dir)
	st.createRepo(t, "generic-local", "generic")
	wantStatus(t, st.do(t, "PUT", "/artifactory/generic-local/f", st.s.AdminToken(), strings.NewReader("kept"), nil), 201)
	st.srv.Close()
	blobs := filepath.Join(dir, "artifactory", "blobs")
	// A crash mid-upload leaves a temporary file; one between blob commit and
	// metadata write leaves an unreferenced blob.
	orphan := sums([]byte("orphan")).Sha256
	for _, name := range []string{".tmp-123", orphan} {
		if err := os.WriteFile(filepath.Join(blobs, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(Options{DataDir: dir, BaseURL: "https://127.0.0.1:1", Logger: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(blobs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != sums([]byte("kept")).Sha256 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("blobs after restart %v, want only the referenced one", names)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no data dir", Options{BaseURL: "https://127.0.0.1:8443"}},
		{"relative base", Options{DataDir: t.TempDir(), BaseURL: "127.0.0.1:8443"}},
		{"ftp base", Options{DataDir: t.TempDir(), BaseURL: "ftp://127.0.0.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
	t.Run("configured admin token", func(t *testing.T) {
		s, err := New(Options{DataDir: t.TempDir(), BaseURL: "https://127.0.0.1:8443", AdminToken: "configured-admin-token-value", Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		if s.AdminToken() != "configured-admin-token-value" {
			t.Fatal("AdminToken ignored Options.AdminToken")
		}
		req, _ := http.NewRequest("GET", "/access/api/v1/oidc", nil)
		req.Header.Set("Authorization", "Bearer configured-admin-token-value")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("configured admin token refused: %d %s", rec.Code, rec.Body)
		}
	})
}
