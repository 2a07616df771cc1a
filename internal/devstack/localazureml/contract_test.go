package localazureml

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

func TestAPIVersion(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		name, query, code string
	}{
		{"missing", "", "MissingApiVersionParameter"},
		{"unknown", "?api-version=2019-01-01", "InvalidApiVersionParameter"},
		{"empty", "?api-version=", "MissingApiVersionParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, body := ts.raw(t, http.MethodGet, wsPath()+"/datastores"+tt.query, nil)
			if st != http.StatusBadRequest || errCode(body) != tt.code {
				t.Fatalf("got %d %v, want 400 %s", st, body, tt.code)
			}
		})
	}
	t.Run("newer version accepted", func(t *testing.T) {
		st, _, body := ts.raw(t, http.MethodGet, wsPath()+"/datastores?api-version=2025-12-01", nil)
		if st != http.StatusOK {
			t.Fatalf("got %d %v", st, body)
		}
	})
}

func TestEnvironmentVersions(t *testing.T) {
	ts := newTestServer(t, nil)
	path := wsPath() + "/environments/trainer/versions/1.4.2"
	body := map[string]any{"properties": map[string]any{"image": "registry.example.com/team/trainer:1.4.2", "description": "d1", "tags": map[string]string{"a": "b"}}}
	st, _, out := ts.do(t, http.MethodPut, path, body)
	if st != http.StatusCreated {
		t.Fatalf("first put: %d %v", st, out)
	}
	wantID := wsPath() + "/environments/trainer/versions/1.4.2"
	if out["id"] != wantID || out["name"] != "1.4.2" || props(out)["environmentType"] != "UserCreated" || props(out)["osType"] != "Linux" {
		t.Fatalf("reply %v", out)
	}
	body["properties"].(map[string]any)["description"] = "d2"
	if st, _, out = ts.do(t, http.MethodPut, path, body); st != http.StatusOK || props(out)["description"] != "d2" {
		t.Fatalf("second put: %d %v", st, out)
	}
	if st, _, out = ts.do(t, http.MethodGet, path, nil); st != http.StatusOK || props(out)["image"] != "registry.example.com/team/trainer:1.4.2" {
		t.Fatalf("get: %d %v", st, out)
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"image change", http.MethodPut, path, map[string]any{"properties": map[string]any{"image": "other:1"}}, 409, "UserError"},
		{"no image", http.MethodPut, wsPath() + "/environments/trainer/versions/2", map[string]any{"properties": map[string]any{}}, 400, "UserError"},
		{"build", http.MethodPut, wsPath() + "/environments/trainer/versions/2", map[string]any{"properties": map[string]any{"build": map[string]any{"contextUri": "x"}}}, 400, "UserError"},
		{"bad version", http.MethodPut, wsPath() + "/environments/trainer/versions/-x", map[string]any{"properties": map[string]any{"image": "a:1"}}, 400, "UserError"},
		{"not json", http.MethodPut, wsPath() + "/environments/trainer/versions/2", "nope", 400, "InvalidRequestContent"},
		{"missing", http.MethodGet, wsPath() + "/environments/trainer/versions/9", nil, 404, "ResourceNotFound"},
		{"delete", http.MethodDelete, path, nil, 405, "MethodNotAllowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, out := ts.do(t, tt.method, tt.path, tt.body)
			if st != tt.status || errCode(out) != tt.code {
				t.Fatalf("got %d %v, want %d %s", st, out, tt.status, tt.code)
			}
		})
	}
}

func TestConnections(t *testing.T) {
	ts := newTestServer(t, nil)
	path := wsPath() + "/connections/trainer-registry"
	put := map[string]any{"properties": map[string]any{
		"category": "GenericContainerRegistry", "target": "https://registry.example.com", "authType": "UsernamePassword",
		"credentials": map[string]any{"username": "puller", "password": "p4ss-w0rd"},
	}}
	st, _, out := ts.do(t, http.MethodPut, path, put)
	if st != http.StatusOK || out["type"] != typeConn || props(out)["target"] != "https://registry.example.com" {
		t.Fatalf("put: %d %v", st, out)
	}
	if _, ok := props(out)["credentials"]; ok {
		t.Fatalf("put reply carries credentials: %v", out)
	}
	st, _, out = ts.do(t, http.MethodGet, path, nil)
	if st != http.StatusOK || props(out)["credentials"] != nil {
		t.Fatalf("get: %d %v", st, out)
	}
	st, _, out = ts.do(t, http.MethodPost, path+"/listsecrets", nil)
	creds, _ := props(out)["credentials"].(map[string]any)
	if st != http.StatusOK || creds["username"] != "puller" || creds["password"] != "p4ss-w0rd" {
		t.Fatalf("listsecrets: %d %v", st, out)
	}
	bad := []struct {
		name  string
		props map[string]any
	}{
		{"category", map[string]any{"category": "AzureOpenAI", "target": "x.io", "authType": "None"}},
		{"auth type", map[string]any{"category": "GenericContainerRegistry", "target": "x.io", "authType": "OAuth2"}},
		{"no password", map[string]any{"category": "GenericContainerRegistry", "target": "x.io", "authType": "UsernamePassword", "credentials": map[string]any{"username": "u"}}},
		{"no target", map[string]any{"category": "GenericContainerRegistry", "target": "", "authType": "None"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			st, _, out := ts.do(t, http.MethodPut, path, map[string]any{"properties": tt.props})
			if st != http.StatusBadRequest || errCode(out) != "UserError" {
				t.Fatalf("got %d %v", st, out)
			}
		})
	}
	if st, _, out := ts.do(t, http.MethodGet, wsPath()+"/connections/nope", nil); st != 404 || errCode(out) != "ResourceNotFound" {
		t.Fatalf("missing: %d %v", st, out)
	}
}

func TestJobValidation(t *testing.T) {
	ts := newTestServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	cmd := "trainer train --metadata-dir ${{outputs.metadata}}"
	mutate := func(f func(p map[string]any)) map[string]any {
		b := commandJob(envID, cmd, "metadata")
		f(b["properties"].(map[string]any))
		return b
	}
	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"no job type", mutate(func(p map[string]any) { delete(p, "jobType") }), "jobType is required"},
		{"pipeline", mutate(func(p map[string]any) { p["jobType"] = "Pipeline" }), "not supported"},
		{"no command", mutate(func(p map[string]any) { p["command"] = " " }), "command is required"},
		{"no environment", mutate(func(p map[string]any) { delete(p, "environmentId") }), "environmentId is required"},
		{"unknown environment", mutate(func(p map[string]any) { p["environmentId"] = wsPath() + "/environments/trainer/versions/9" }), "was not found"},
		{"foreign environment", mutate(func(p map[string]any) { p["environmentId"] = "/subscriptions/x/environments/trainer/versions/1" }), "not the ARM id"},
		{"bad compute", mutate(func(p map[string]any) { p["computeId"] = "cpu-cluster" }), "computeId"},
		{"bad output type", mutate(func(p map[string]any) {
			p["outputs"] = map[string]any{"metadata": map[string]any{"jobOutputType": "folder"}}
		}), "jobOutputType"},
		{"foreign datastore", mutate(func(p map[string]any) {
			p["outputs"] = map[string]any{"metadata": map[string]any{"jobOutputType": "uri_folder", "uri": "azureml://datastores/other/paths/x/"}}
		}), "uri"},
		{"path escape", mutate(func(p map[string]any) {
			p["outputs"] = map[string]any{"metadata": map[string]any{"jobOutputType": "uri_folder", "uri": "azureml://datastores/workspaceblobstore/paths/../x/"}}
		}), "uri"},
		{"undefined output", mutate(func(p map[string]any) { p["command"] = "trainer train --x ${{outputs.model}}" }), "outputs.model"},
		{"undefined input", mutate(func(p map[string]any) { p["command"] = "trainer train --x ${{inputs.seed}}" }), "inputs.seed"},
		{"other expression", mutate(func(p map[string]any) { p["command"] = "trainer ${{name}}" }), "not supported"},
		{"shell operator", mutate(func(p map[string]any) { p["command"] = "trainer train && rm -rf /" }), "without a shell"},
		{"unterminated quote", mutate(func(p map[string]any) { p["command"] = "trainer 'x" }), "unterminated"},
		{"bad identity", mutate(func(p map[string]any) { p["identity"] = map[string]any{"identityType": "Root"} }), "identityType"},
		{"bad timeout", mutate(func(p map[string]any) {
			p["limits"] = map[string]any{"jobLimitsType": "Command", "timeout": "2 hours"}
		}), "timeout"},
		{"empty literal", mutate(func(p map[string]any) {
			p["inputs"] = map[string]any{"seed": map[string]any{"jobInputType": "literal", "value": "--"}}
		}), "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/job-bad", tt.body)
			if st != http.StatusBadRequest || errCode(out) != "UserError" || !strings.Contains(errMessage(out), tt.want) {
				t.Fatalf("got %d %v, want 400 UserError mentioning %q", st, out, tt.want)
			}
		})
	}
	t.Run("bad job name", func(t *testing.T) {
		st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/-x", commandJob(envID, cmd, "metadata"))
		if st != http.StatusBadRequest {
			t.Fatalf("got %d %v", st, out)
		}
	})
	t.Run("missing job", func(t *testing.T) {
		for _, p := range []string{"/jobs/nope", "/jobs/nope/cancel"} {
			method := http.MethodGet
			if strings.HasSuffix(p, "cancel") {
				method = http.MethodPost
			}
			st, _, out := ts.do(t, method, wsPath()+p, nil)
			if st != http.StatusNotFound || errCode(out) != "ResourceNotFound" {
				t.Fatalf("%s: got %d %v", p, st, out)
			}
		}
	})
}

func TestWorkspaceNotFound(t *testing.T) {
	ts := newTestServer(t, nil)
	path := "/subscriptions/" + testSub + "/resourceGroups/" + testRG + "/providers/Microsoft.MachineLearningServices/workspaces/other/jobs/x"
	st, _, out := ts.do(t, http.MethodGet, path, nil)
	if st != http.StatusNotFound || errCode(out) != "WorkspaceNotFound" {
		t.Fatalf("got %d %v", st, out)
	}
	st, _, out = ts.do(t, http.MethodGet, "/subscriptions/"+testSub+"/resourceGroups/"+testRG+"/providers/Microsoft.Compute/virtualMachines/x", nil)
	if st != http.StatusNotFound || errCode(out) != "InvalidResourceType" {
		t.Fatalf("foreign provider: got %d %v", st, out)
	}
	// ARM path literals are case-insensitive.
	st, _, _ = ts.do(t, http.MethodGet, strings.ToLower(wsPath())+"/datastores", nil)
	if st != http.StatusOK {
		t.Fatalf("lower-case path: %d", st)
	}
}

func TestDatastores(t *testing.T) {
	ts := newTestServer(t, func(o *Options) {
		o.Blob = BlobTarget{
			ConnectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
			ServiceURL:       "https://127.0.0.1:10000/devstoreaccount1",
		}
	})
	st, _, out := ts.do(t, http.MethodGet, wsPath()+"/datastores?isDefault=true", nil)
	list, _ := out["value"].([]any)
	if st != http.StatusOK || len(list) != 1 {
		t.Fatalf("list: %d %v", st, out)
	}
	ds := list[0].(map[string]any)
	p := props(ds)
	if ds["name"] != "workspaceblobstore" || p["isDefault"] != true || p["accountName"] != "devstoreaccount1" ||
		!strings.HasPrefix(p["containerName"].(string), "azureml-blobstore-") || p["endpoint"] != "core.windows.net" ||
		p["protocol"] != "https" || p["blobServiceUrl"] != "https://127.0.0.1:10000/devstoreaccount1" {
		t.Fatalf("datastore %v", ds)
	}
	if st, _, out = ts.do(t, http.MethodGet, wsPath()+"/datastores?isDefault=false", nil); st != 200 || len(out["value"].([]any)) != 0 {
		t.Fatalf("isDefault=false: %v", out)
	}
	if st, _, out = ts.do(t, http.MethodGet, wsPath()+"/datastores/workspaceblobstore", nil); st != 200 || props(out)["containerName"] != p["containerName"] {
		t.Fatalf("get: %d %v", st, out)
	}
	if st, _, out = ts.do(t, http.MethodPost, wsPath()+"/datastores/workspaceblobstore/listSecrets", nil); st != 200 || out["key"] != "a2V5" || out["secretsType"] != "AccountKey" {
		t.Fatalf("listSecrets: %d %v", st, out)
	}
	if st, _, out = ts.do(t, http.MethodGet, wsPath()+"/datastores/other", nil); st != 404 || errCode(out) != "ResourceNotFound" {
		t.Fatalf("other: %d %v", st, out)
	}
}

func TestVerify(t *testing.T) {
	ts := newTestServer(t, func(o *Options) {
		o.Verify = func(r *http.Request) (Principal, error) {
			switch r.Header.Get("Authorization") {
			case "Bearer good":
				return Principal{ObjectID: "oid", AppID: "app"}, nil
			case "Bearer reader":
				return Principal{ObjectID: "oid-r", AppID: "app-r"}, ErrForbidden
			}
			return Principal{}, errors.New("bad signature")
		}
	})
	tests := []struct {
		auth   string
		status int
		code   string
	}{
		{"", 401, "AuthenticationFailed"},
		{"Bearer bad", 401, "InvalidAuthenticationToken"},
		{"Bearer reader", 403, "AuthorizationFailed"},
		{"Bearer good", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.auth, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.url+wsPath()+"/datastores?api-version="+apiV, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := ts.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestRestartFailsUnfinishedJobs(t *testing.T) {
	dir := t.TempDir()
	ws := newWorkspace(testSub, testRG, testWS)
	ws.Jobs["running"] = &job{Name: "running", Status: statusRunning}
	ws.Jobs["done"] = &job{Name: "done", Status: statusCompleted}
	st := &state{Workspaces: map[string]*workspace{wsKey(testSub, testRG, testWS): ws}}
	if err := store.WriteJSON(dir+"/"+stateFile, st); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.st.Workspaces[wsKey(testSub, testRG, testWS)].Jobs
	if got["running"].Status != statusFailed || !strings.Contains(got["running"].ErrorMessage, "local stack restarted") {
		t.Fatalf("running job after restart: %+v", got["running"])
	}
	if got["done"].Status != statusCompleted {
		t.Fatalf("completed job after restart: %+v", got["done"])
	}
}

func TestStatePersists(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, func(o *Options) { o.DataDir = dir })
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	ts.do(t, http.MethodPut, wsPath()+"/connections/reg", map[string]any{"properties": map[string]any{
		"category": "GenericContainerRegistry", "target": "registry.example.com", "authType": "UsernamePassword",
		"credentials": map[string]any{"username": "u", "password": "p"},
	}})
	// A job that cannot start (no trainer) still leaves a record.
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/j1", commandJob(envID, "trainer train")); st != http.StatusCreated {
		t.Fatalf("put job: %d %v", st, out)
	}
	ts.waitStatus(t, "j1", 10*time.Second)
	ts.Close()

	again := newTestServer(t, func(o *Options) { o.DataDir = dir })
	for _, p := range []string{"/environments/trainer/versions/1", "/connections/reg", "/jobs/j1"} {
		if st, _, out := again.do(t, http.MethodGet, wsPath()+p, nil); st != http.StatusOK {
			t.Errorf("%s after restart: %d %v", p, st, out)
		}
	}
	st, _, out := again.do(t, http.MethodPost, wsPath()+"/connections/reg/listsecrets", nil)
	if creds, _ := props(out)["credentials"].(map[string]any); st != http.StatusOK || creds["password"] != "p" {
		t.Fatalf("listsecrets after restart: %d %v", st, out)
	}
}

func TestRunHistoryDiscovery(t *testing.T) {
	ts := newTestServer(t, nil)
	st, _, ws := ts.do(t, http.MethodGet, wsPath(), nil)
	disc, _ := props(ws)["discoveryUrl"].(string)
	if st != http.StatusOK || ws["id"] != wsPath() || disc != ts.url+discoveryPath {
		t.Fatalf("workspace: %d %v", st, ws)
	}
	st, _, doc := ts.raw(t, http.MethodGet, discoveryPath, nil)
	if st != http.StatusOK || doc["api"] != ts.url {
		t.Fatalf("discovery: %d %v", st, doc)
	}
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/rh-1", commandJob(envID, "trainer train")); st != http.StatusCreated {
		t.Fatalf("put: %d %v", st, out)
	}
	st, _, d := ts.raw(t, http.MethodGet, "/history/v1.0"+wsPath()+"/runs/rh-1/details", nil)
	if st != http.StatusOK || d["runId"] != "rh-1" || d["status"] == nil {
		t.Fatalf("details: %d %v", st, d)
	}
	if st, _, out := ts.raw(t, http.MethodGet, "/history/v1.0"+wsPath()+"/runs/nope/details", nil); st != http.StatusNotFound || out["error"] == nil {
		t.Fatalf("missing run: %d %v", st, out)
	}
}
