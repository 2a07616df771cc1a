package azureml_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

func TestRequestsCarryTokenAndAPIVersion(t *testing.T) {
	type seen struct {
		method, path, query, auth string
		body                      map[string]any
	}
	var got []seen
	srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization")}
		_ = json.Unmarshal(b, &s.body)
		got = append(got, s)
		switch {
		case strings.Contains(r.URL.Path, "/environments/"):
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"/env/id","name":"1.4.2","properties":{"image":"x"}}`)
		case strings.Contains(r.URL.Path, "/connections/"):
			io.WriteString(w, `{"name":"reg","properties":{}}`)
		case strings.Contains(r.URL.Path, "/jobs/"):
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"/jobs/run-42","name":"run-42","properties":{"jobType":"Command","status":"NotStarted"},"systemData":{"createdAt":"2026-01-02T03:04:05.5Z"}}`)
		}
	})
	cred := &fakeCred{}
	c := newClient(t, srv, cred)
	ctx := context.Background()
	id, err := c.PutEnvironmentVersion(ctx, "trainer", "1.4.2", azureml.EnvironmentVersion{Image: "acme.jfrog.io/docker/trainer:1.4.2", Tags: map[string]string{"sha": "abc"}})
	if err != nil || id != "/env/id" {
		t.Fatalf("env: %q %v", id, err)
	}
	if err := c.PutRegistryConnection(ctx, "reg", azureml.RegistryConnection{Target: "https://acme.jfrog.io", Username: "puller", Password: secret.Token("pw-123")}); err != nil {
		t.Fatal(err)
	}
	job, err := c.PutCommandJob(ctx, "run-42", azureml.CommandJob{
		DisplayName: "train", ExperimentName: "exp", ComputeID: c.ComputeID("cpu"), EnvironmentID: c.EnvironmentID("trainer", "1.4.2"),
		Command: "trainer train --metadata-dir ${{outputs.metadata}}", EnvironmentVariables: map[string]string{"A": "b"},
		Inputs: map[string]azureml.Input{"seed": {Value: "7"},
			"data": {Type: azureml.InputURIFolder, URI: "azureml://datastores/training/paths/iris/", Mode: azureml.ModeDownload}},
		Outputs:  map[string]azureml.Output{"metadata": {Mode: azureml.ModeUpload}},
		Identity: &azureml.ManagedIdentity{ClientID: "cid"}, Timeout: 90 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != azureml.StatusNotStarted || job.Name != "run-42" || !job.CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Fatalf("job %+v", job)
	}
	if len(got) != 3 {
		t.Fatalf("requests %d", len(got))
	}
	for _, s := range got {
		if s.method != http.MethodPut || s.query != "api-version=2025-09-01" || s.auth != "Bearer "+fakeToken || !strings.HasPrefix(s.path, wsPath()+"/") {
			t.Errorf("request %+v", s)
		}
	}
	envProps := got[0].body["properties"].(map[string]any)
	if envProps["image"] != "acme.jfrog.io/docker/trainer:1.4.2" || envProps["osType"] != "Linux" {
		t.Errorf("environment body %v", got[0].body)
	}
	cp := got[1].body["properties"].(map[string]any)
	creds := cp["credentials"].(map[string]any)
	if cp["category"] != "GenericContainerRegistry" || cp["authType"] != "UsernamePassword" || creds["username"] != "puller" || creds["password"] != "pw-123" {
		t.Errorf("connection body %v", got[1].body)
	}
	jp := got[2].body["properties"].(map[string]any)
	out := jp["outputs"].(map[string]any)["metadata"].(map[string]any)
	limits := jp["limits"].(map[string]any)
	ident := jp["identity"].(map[string]any)
	in := jp["inputs"].(map[string]any)["seed"].(map[string]any)
	if jp["jobType"] != "Command" || jp["computeId"] != wsPath()+"/computes/cpu" || jp["environmentId"] != wsPath()+"/environments/trainer/versions/1.4.2" ||
		out["jobOutputType"] != "uri_folder" || out["mode"] != "Upload" || limits["timeout"] != "PT1H30M" ||
		ident["identityType"] != "Managed" || ident["clientId"] != "cid" || in["jobInputType"] != "literal" || in["value"] != "7" {
		t.Errorf("job body %v", got[2].body)
	}
	data := jp["inputs"].(map[string]any)["data"].(map[string]any)
	if data["jobInputType"] != "uri_folder" || data["uri"] != "azureml://datastores/training/paths/iris/" || data["mode"] != "Download" || data["value"] != nil {
		t.Errorf("uri input %v", data)
	}
	if len(cred.scopes) == 0 || cred.scopes[0] != srv.URL+"/.default" {
		t.Errorf("scopes %v, want the endpoint's audience", cred.scopes)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		want     []string
	}{
		{"forbidden", 403, `{"error":{"code":"AuthorizationFailed","message":"no access"}}`, upstream.ErrForbidden,
			[]string{"403 AuthorizationFailed: no access", "assign the AzureML Data Scientist role", "workspace ws-1"}},
		{"workspace", 404, `{"error":{"code":"WorkspaceNotFound","message":"gone"}}`, upstream.ErrNotFound,
			[]string{"TEST_SUBSCRIPTION, TEST_GROUP and TEST_WORKSPACE"}},
		{"job missing", 404, `{"error":{"code":"ResourceNotFound","message":"nope"}}`, upstream.ErrNotFound, []string{"404 ResourceNotFound: nope"}},
		{"unauthorized", 401, `{"error":{"code":"InvalidAuthenticationToken","message":"bad"}}`, upstream.ErrUnauthorized, []string{"TEST_ARM_ENDPOINT"}},
		{"bad request", 400, `{"error":{"code":"UserError","message":"bad\ncommand"}}`, upstream.ErrBadRequest, []string{"UserError: bad command"}},
		{"not json", 409, `<html>`, upstream.ErrConflict, []string{"409 Conflict"}},
		{"server", 503, `{}`, upstream.ErrUnavailable, []string{"503"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c := newClient(t, srv, nil)
			err := c.PutRegistryConnection(context.Background(), "reg", azureml.RegistryConnection{Target: "https://acme.jfrog.io", Username: "u", Password: secret.Token("very-secret-pw")})
			var re *upstream.ResponseError
			if !errors.As(err, &re) || re.StatusCode != tt.status || !errors.Is(err, tt.sentinel) {
				t.Fatalf("got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "very-secret-pw") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
	t.Run("credential", func(t *testing.T) {
		srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent without a token") })
		c := newClient(t, srv, &fakeCred{err: errors.New("no identity")})
		_, err := c.GetJob(context.Background(), "j")
		if !errors.Is(err, upstream.ErrUnavailable) && !errors.Is(err, upstream.ErrUnauthorized) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestCancelFollowsLocation(t *testing.T) {
	var polls atomic.Int32
	srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/jobs/run-1/cancel"):
			w.Header().Set("Location", "https://"+r.Host+"/subscriptions/sub-1/providers/Microsoft.MachineLearningServices/locations/x/mfeOperationResults/op1?api-version=2025-09-01")
			w.WriteHeader(http.StatusAccepted)
		case strings.HasSuffix(r.URL.Path, "/mfeOperationResults/op1"):
			if r.Header.Get("Authorization") != "Bearer "+fakeToken {
				t.Error("poll without token")
			}
			if polls.Add(1) < 3 {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	c := newClient(t, srv, nil)
	if err := c.CancelJob(context.Background(), "run-1", &azureml.CancelJobOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if n := polls.Load(); n != 3 {
		t.Fatalf("polled %d times, want 3", n)
	}
	// Without Wait the call returns once AzureML accepted the cancel.
	polls.Store(0)
	if err := c.CancelJob(context.Background(), "run-1", nil); err != nil {
		t.Fatal(err)
	}
	if n := polls.Load(); n != 0 {
		t.Fatalf("polled %d times without Wait, want 0", n)
	}
}

func TestGetDefaultDatastore(t *testing.T) {
	srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("isDefault") != "true" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		io.WriteString(w, `{"value":[{"name":"other","properties":{"datastoreType":"AzureBlob","accountName":"a","containerName":"c","isDefault":false}},
			{"name":"workspaceblobstore","properties":{"datastoreType":"AzureBlob","accountName":"acct","containerName":"azureml-blobstore-1","endpoint":"core.windows.net","protocol":"https","isDefault":true}}]}`)
	})
	c := newClient(t, srv, nil)
	ds, err := c.GetDefaultDatastore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "workspaceblobstore" || ds.ContainerName != "azureml-blobstore-1" || ds.BlobServiceURL() != "https://acct.blob.core.windows.net/" {
		t.Fatalf("datastore %+v %s", ds, ds.BlobServiceURL())
	}
}

func TestBlobServiceURL(t *testing.T) {
	tests := []struct {
		ds   azureml.Datastore
		want string
	}{
		{azureml.Datastore{AccountName: "a", Endpoint: "core.chinacloudapi.cn", Protocol: "https"}, "https://a.blob.core.chinacloudapi.cn/"},
		{azureml.Datastore{AccountName: "a"}, "https://a.blob.core.windows.net/"},
		{azureml.Datastore{AccountName: "devstoreaccount1", ServiceURL: "https://127.0.0.1:10000/devstoreaccount1"}, "https://127.0.0.1:10000/devstoreaccount1/"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.ds.BlobServiceURL(); got != tt.want {
				t.Fatalf("got %s", got)
			}
		})
	}
}

func TestNewClientOptions(t *testing.T) {
	cred := &fakeCred{}
	tests := []struct {
		name    string
		ws      azureml.Workspace
		opts    *azureml.ClientOptions
		wantEP  string
		wantErr string
	}{
		{"default", testWS, nil, "https://management.azure.com", ""},
		{"china", testWS, withCloud(cloud.AzureChina), "https://management.chinacloudapi.cn", ""},
		{"government", testWS, withCloud(cloud.AzureGovernment), "https://management.usgovcloudapi.net", ""},
		{"trailing slash", testWS, withCloud(cloudFor("https://arm.example/", "https://management.azure.com")), "https://arm.example", ""},
		{"bad endpoint", testWS, withCloud(cloudFor("management.azure.com", "a")), "", "invalid ARM endpoint"},
		{"missing", azureml.Workspace{Name: "w"}, nil, "", "set the subscription ID, the resource group"},
		{"missing, named", azureml.Workspace{Name: "w"}, &azureml.ClientOptions{SettingNames: azureml.SettingNames{SubscriptionID: "SUB", ResourceGroup: "RG"}}, "", "set SUB, RG"},
		{"slash", azureml.Workspace{SubscriptionID: "s", ResourceGroup: "r/../x", Name: "w"}, nil, "", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := azureml.NewClient(tt.ws, cred, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Endpoint() != tt.wantEP {
				t.Fatalf("got %v %v", c, err)
			}
		})
	}
}

func TestStudioURL(t *testing.T) {
	c, err := azureml.NewClient(testWS, &fakeCred{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.StudioURL(azureml.Job{Name: "run-1"}); got != "https://ml.azure.com/runs/run-1?wsid=%2Fsubscriptions%2Fsub-1%2Fresourcegroups%2Frg-1%2Fworkspaces%2Fws-1" {
		t.Fatalf("built: %s", got)
	}
	j := azureml.Job{Name: "run-1", Services: map[string]azureml.JobService{"Studio": {Endpoint: "https://studio/x"}}}
	if got := c.StudioURL(j); got != "https://studio/x" {
		t.Fatalf("from services: %s", got)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		2 * time.Hour: "PT2H", 90 * time.Minute: "PT1H30M", 45 * time.Second: "PT45S",
		1500 * time.Millisecond: "PT2S", 0: "PT0S", time.Hour + time.Second: "PT1H1S",
	}
	for d, want := range tests {
		t.Run(want, func(t *testing.T) {
			if got := azureml.FormatDuration(d); got != want {
				t.Fatalf("%v: got %s", d, got)
			}
		})
	}
}

func TestValidateNames(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) error
		ok   []string
		bad  []string
	}{
		{"job", azureml.ValidateJobName, []string{"run-42", "a", "train_20261128"}, []string{"", "-a", "a b", "a/b", "a.b", strings.Repeat("a", 256)}},
		{"environment", azureml.ValidateEnvironmentName, []string{"trainer", "my.env-1"}, []string{"", ".x", "a/b"}},
		{"version", azureml.ValidateEnvironmentVersion, []string{"1.4.2", "sha-abc123", "latest"}, []string{"", "-1", "1 2", "1:2"}},
		{"connection", azureml.ValidateConnectionName, []string{"trainer-registry", "ab"}, []string{"a", "a.b", "-ab"}},
		{"compute", azureml.ValidateComputeName, []string{"cpu-cluster"}, []string{"1cpu", "c", "cpu_cluster", strings.Repeat("c", 33)}},
		{"output", azureml.ValidateOutputName, []string{"metadata", "inference_results"}, []string{"1x", "a-b", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.ok {
				if err := tt.fn(s); err != nil {
					t.Errorf("%q: %v", s, err)
				}
			}
			for _, s := range tt.bad {
				if err := tt.fn(s); !errors.Is(err, azureml.ErrInvalidName) {
					t.Errorf("%q: got %v", s, err)
				}
			}
		})
	}
}

func TestOutputPrefix(t *testing.T) {
	j := azureml.Job{Name: "run-1", Outputs: map[string]azureml.Output{
		"metadata": {URI: "azureml://datastores/workspaceblobstore/paths/azureml/run-1/metadata/"},
		"custom":   {URI: "azureml://datastores/workspaceblobstore/paths/x/${{name}}/${{output_name}}"},
	}}
	tests := map[string]string{"metadata": "azureml/run-1/metadata/", "custom": "x/run-1/custom/", "other": "azureml/run-1/other/"}
	for out, want := range tests {
		if got := azureml.OutputPrefix(j, out); got != want {
			t.Errorf("%s: got %s, want %s", out, got, want)
		}
	}
}

func TestCancelOperationFailure(t *testing.T) {
	srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "https://"+r.Host+"/subscriptions/sub-1/providers/Microsoft.MachineLearningServices/locations/x/mfeOperationResults/op2?api-version=2025-09-01")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"code":"OperationNotFound","message":"gone"}}`)
	})
	c := newClient(t, srv, nil)
	err := c.CancelJob(context.Background(), "run-1", &azureml.CancelJobOptions{Wait: true})
	var re *upstream.ResponseError
	if !errors.As(err, &re) || re.Code != "OperationNotFound" || !errors.Is(err, upstream.ErrNotFound) {
		t.Fatalf("got %v", err)
	}
}

func TestPutRegistryConnectionRequiresCredentials(t *testing.T) {
	srv := fakeARM(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	c := newClient(t, srv, nil)
	tests := []struct{ name, target, user, pass, want string }{
		{"target", "", "u", "p", "TEST_REGISTRY_HOST"},
		{"user", "acme.jfrog.io", "", "p", "rotation"},
		{"password", "acme.jfrog.io", "u", "", "rotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.PutRegistryConnection(context.Background(), "reg", azureml.RegistryConnection{Target: tt.target, Username: tt.user, Password: secret.Token(tt.pass)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("category", func(t *testing.T) {
		err := c.PutRegistryConnection(context.Background(), "reg", azureml.RegistryConnection{Target: "acme.jfrog.io", Username: "u", Password: secret.Token("p"), Category: "AzureBlob"})
		if err == nil || !strings.Contains(err.Error(), "AZUREML_CONNECTION_CATEGORY") {
			t.Fatalf("got %v", err)
		}
	})
}
