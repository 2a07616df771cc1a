package localjfrog

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestDockerManifestHead follows the OCI distribution spec's existence
// check: HEAD /v2/<name>/manifests/<tag> is 200 with Docker-Content-Digest
// when the tag exists, 404 otherwise (GET gives MANIFEST_UNKNOWN /
// NAME_UNKNOWN in the errors body); no token is 401.
func TestDockerManifestHead(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.createRepo(t, "docker-local", "docker")
	st.createRepo(t, "generic-local", "generic")
	user := st.userToken(t, is)
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[]}`
	for _, repo := range []string{"docker-local", "generic-local"} {
		wantStatus(t, st.do(t, "PUT", "/artifactory/"+repo+"/team/trainer/1.0/manifest.json", user, strings.NewReader(manifest), nil), 201)
	}

	r := st.do(t, http.MethodHead, "/v2/docker-local/team/trainer/manifests/1.0", user, nil, nil)
	wantStatus(t, r, 200)
	if d := r.Header.Get("Docker-Content-Digest"); !strings.HasPrefix(d, "sha256:") || len(d) != 71 {
		t.Errorf("Docker-Content-Digest = %q", d)
	}
	if r := st.do(t, http.MethodGet, "/v2/docker-local/team/trainer/manifests/1.0", user, nil, nil); r.Status != 200 || string(r.Body) != manifest {
		t.Errorf("GET manifest = %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct{ path, code string }{
		{"/v2/docker-local/team/trainer/manifests/2.0", "MANIFEST_UNKNOWN"},
		{"/v2/generic-local/team/trainer/manifests/1.0", "NAME_UNKNOWN"},
		{"/v2/nope/team/trainer/manifests/1.0", "NAME_UNKNOWN"},
		{"/v2/docker-local/team/trainer/tags/list", "NAME_UNKNOWN"},
	} {
		wantStatus(t, st.do(t, http.MethodHead, tc.path, user, nil, nil), 404)
		r := st.do(t, http.MethodGet, tc.path, user, nil, nil)
		var body struct{ Errors []struct{ Code string } }
		json.Unmarshal(r.Body, &body)
		if r.Status != 404 || len(body.Errors) != 1 || body.Errors[0].Code != tc.code {
			t.Errorf("GET %s = %d %s, want 404 %s", tc.path, r.Status, r.Body, tc.code)
		}
	}
	wantStatus(t, st.do(t, http.MethodHead, "/v2/docker-local/team/trainer/manifests/1.0", "", nil, nil), 401)
}
