package localazureml

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// putBlob uploads data to container/name, creating the container.
func putBlob(t *testing.T, bc *azblob.Client, container, name string, data []byte) {
	t.Helper()
	if _, err := bc.CreateContainer(context.Background(), container, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatal(err)
	}
	if _, err := bc.UploadBuffer(context.Background(), container, name, data, nil); err != nil {
		t.Fatal(err)
	}
}

// inputJob is a training job whose data comes from input data.
func inputJob(envID, inputType, uri string) map[string]any {
	body := commandJob(envID, `trainer train --output-dir ${{outputs.model}} --data ${{inputs.data}} --split-column split`, "model")
	body["properties"].(map[string]any)["inputs"] = map[string]any{
		"data": map[string]any{"jobInputType": inputType, "uri": uri, "mode": "Download"},
	}
	return body
}

func TestJobInputs(t *testing.T) {
	ts, bc := runServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	iris, err := os.ReadFile(filepath.Join("..", "..", "ml", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// A datastore of the test's own on Azurite, created as ARM does.
	st, _, out := ts.do(t, http.MethodPut, wsPath()+"/datastores/training_data", map[string]any{"properties": map[string]any{
		"datastoreType": "AzureBlob", "accountName": "devstoreaccount1", "containerName": "training",
		"credentials": map[string]any{"credentialsType": "AccountKey", "secrets": map[string]any{"secretsType": "AccountKey", "key": "a2V5"}},
	}})
	if st != http.StatusCreated || props(out)["containerName"] != "training" || strings.Contains(toJSON(t, out), "a2V5") {
		t.Fatalf("put datastore: %d %v (the key must not be echoed)", st, out)
	}
	putBlob(t, bc, "training", "iris/iris.csv", iris)
	putBlob(t, bc, "training", "parts/a/iris.csv", iris)
	putBlob(t, bc, "training", "parts/b/iris.csv", iris)
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/data/iris-csv/versions/1", map[string]any{"properties": map[string]any{
		"dataType": "uri_file", "dataUri": "azureml://datastores/training_data/paths/iris/iris.csv", "description": "iris",
	}}); st != http.StatusCreated || props(out)["dataUri"] != "azureml://datastores/training_data/paths/iris/iris.csv" {
		t.Fatalf("put data: %d %v", st, out)
	}

	run := func(t *testing.T, name string, body map[string]any) (map[string]any, string) {
		t.Helper()
		if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/"+name, body); st != http.StatusCreated {
			t.Fatalf("put job: %d %v", st, out)
		}
		final, _ := ts.waitStatus(t, name, 60*time.Second)
		return final, ts.readLog(t, name)
	}
	ok := []struct{ name, typ, uri, local string }{
		{"in-file", "uri_file", "azureml://datastores/training_data/paths/iris/iris.csv", "inputs/data/iris.csv"},
		{"in-folder", "uri_folder", "azureml://datastores/training_data/paths/iris/", "inputs/data"},
		{"in-asset", "uri_file", "azureml:iris-csv:1", "inputs/data/iris.csv"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			if tt.typ == "uri_folder" {
				// The trainer on main reads one file; the folder's file is
				// checked by path below.
				body := inputJob(envID, tt.typ, tt.uri)
				body["properties"].(map[string]any)["command"] = `trainer train --output-dir ${{outputs.model}} --data ${{inputs.data}}/iris.csv --split-column split`
				final, log := run(t, tt.name, body)
				if props(final)["status"] != statusCompleted {
					t.Fatalf("job %v\n%s", ts.runError(t, tt.name), log)
				}
			} else if final, log := run(t, tt.name, inputJob(envID, tt.typ, tt.uri)); props(final)["status"] != statusCompleted {
				t.Fatalf("job %v\n%s", ts.runError(t, tt.name), log)
			}
			ts.mu.Lock()
			dir := ts.st.Workspaces[wsKey(testSub, testRG, testWS)].Jobs[tt.name].Dir
			ts.mu.Unlock()
			got, err := os.ReadFile(filepath.Join(dir, tt.local, map[bool]string{true: "iris.csv", false: ""}[tt.typ == "uri_folder"]))
			if err != nil || !bytes.Equal(got, iris) {
				t.Fatalf("downloaded input: %v", err)
			}
		})
	}
	t.Run("folder keeps relative paths", func(t *testing.T) {
		body := inputJob(envID, "uri_folder", "azureml://datastores/training_data/paths/parts/")
		body["properties"].(map[string]any)["command"] = `trainer train --output-dir ${{outputs.model}} --data ${{inputs.data}}/b/iris.csv --split-column split`
		if final, log := run(t, "in-parts", body); props(final)["status"] != statusCompleted {
			t.Fatalf("job %v\n%s", ts.runError(t, "in-parts"), log)
		}
	})
	bad := []struct{ name, typ, uri, want string }{
		{"no-blob", "uri_file", "azureml://datastores/training_data/paths/iris/missing.csv", "does not exist"},
		{"no-folder", "uri_folder", "azureml://datastores/training_data/paths/nothing/", "does not exist"},
		{"no-datastore", "uri_file", "azureml://datastores/nope/paths/iris/iris.csv", "datastore 'nope' was not found"},
		{"no-asset", "uri_file", "azureml:iris-csv:9", "data asset iris-csv version 9 was not found"},
		{"asset-type", "uri_folder", "azureml:iris-csv:1", "is a uri_file, but the input is a uri_folder"},
		{"outside", "uri_file", "azureml://datastores/training_data/paths/iris/../../x.csv", "outside datastore"},
		{"https", "uri_file", "https://example.com/x.csv", "not supported by the local stack"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			final, log := run(t, tt.name, inputJob(envID, tt.typ, tt.uri))
			msg, _ := ts.runError(t, tt.name)["message"].(string)
			if props(final)["status"] != statusFailed || !strings.Contains(msg, tt.want) || !strings.Contains(msg, "Input 'data'") {
				t.Fatalf("job = %v %q, want Failed naming the input and %q", props(final)["status"], msg, tt.want)
			}
			if strings.Contains(log, "trained") {
				t.Fatalf("the trainer ran:\n%s", log)
			}
			if names := blobs(t, bc, ts.container(ts.st.Workspaces[wsKey(testSub, testRG, testWS)]), "azureml/"+tt.name+"/"); len(names) != 0 {
				t.Fatalf("a failed job uploaded %v", names)
			}
		})
	}
}

func TestJobInputValidation(t *testing.T) {
	ts := newTestServer(t, nil)
	envID := ts.putEnv(t, "registry.example.com/trainer:1")
	for _, in := range []map[string]any{
		{"jobInputType": "mltable", "uri": "azureml:t:1"},
		{"jobInputType": "uri_file"},
		{"jobInputType": "uri_file", "uri": "azureml:t:1", "mode": "EvalMount"},
	} {
		body := commandJob(envID, `trainer train --data ${{inputs.data}}`)
		body["properties"].(map[string]any)["inputs"] = map[string]any{"data": in}
		if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/jobs/bad-input", body); st != http.StatusBadRequest || !strings.Contains(errMessage(out), "Input 'data'") {
			t.Errorf("input %v: %d %v, want 400 naming the input", in, st, out)
		}
	}
}

func TestDatastoreCreateOrReplace(t *testing.T) {
	ts := newTestServer(t, nil)
	blob := func(account string) map[string]any {
		return map[string]any{"properties": map[string]any{
			"datastoreType": "AzureBlob", "accountName": account, "containerName": "c1",
			"endpoint": "core.windows.net", "protocol": "https",
			"credentials": map[string]any{"credentialsType": "None"}, "description": "d",
		}}
	}
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/datastores/extra_store", blob("acct1")); st != http.StatusCreated || out["name"] != "extra_store" ||
		out["id"] != wsPath()+"/datastores/extra_store" || props(out)["isDefault"] != false {
		t.Fatalf("create: %d %v", st, out)
	}
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/datastores/extra_store", blob("acct2")); st != http.StatusOK || props(out)["accountName"] != "acct2" {
		t.Fatalf("replace: %d %v", st, out)
	}
	// Replacing workspaceblobstore keeps it the default.
	if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/datastores/workspaceblobstore", blob("acct3")); st != http.StatusOK || props(out)["isDefault"] != true {
		t.Fatalf("replace default: %d %v", st, out)
	}
	st, _, out := ts.do(t, http.MethodGet, wsPath()+"/datastores", nil)
	list, _ := out["value"].([]any)
	if st != 200 || len(list) != 2 || list[0].(map[string]any)["name"] != "extra_store" || list[1].(map[string]any)["name"] != "workspaceblobstore" {
		t.Fatalf("list: %d %v", st, out)
	}
	if st, _, out := ts.do(t, http.MethodGet, wsPath()+"/datastores?isDefault=true", nil); st != 200 || len(out["value"].([]any)) != 1 ||
		props(out["value"].([]any)[0].(map[string]any))["accountName"] != "acct3" {
		t.Fatalf("default: %d %v", st, out)
	}
	for _, body := range []map[string]any{
		{"properties": map[string]any{"datastoreType": "AzureFile", "accountName": "a", "containerName": "c", "credentials": map[string]any{"credentialsType": "None"}}},
		{"properties": map[string]any{"datastoreType": "AzureBlob", "containerName": "c", "credentials": map[string]any{"credentialsType": "None"}}},
		{"properties": map[string]any{"datastoreType": "AzureBlob", "accountName": "a", "containerName": "c"}},
	} {
		if st, _, out := ts.do(t, http.MethodPut, wsPath()+"/datastores/bad_store", body); st != http.StatusBadRequest {
			t.Errorf("put %v = %d %v, want 400", body, st, out)
		}
	}
	if st, _, _ := ts.do(t, http.MethodPut, wsPath()+"/datastores/bad-name!", blob("a")); st != http.StatusBadRequest {
		t.Errorf("bad name = %d, want 400", st)
	}
}

func TestDataVersions(t *testing.T) {
	ts := newTestServer(t, nil)
	put := func(typ, uri string) (int, map[string]any) {
		st, _, out := ts.do(t, http.MethodPut, wsPath()+"/data/iris/versions/2", map[string]any{"properties": map[string]any{"dataType": typ, "dataUri": uri, "tags": map[string]string{"k": "v"}}})
		return st, out
	}
	if st, out := put("uri_folder", "azureml://datastores/workspaceblobstore/paths/iris/"); st != http.StatusCreated || out["name"] != "2" ||
		out["id"] != wsPath()+"/data/iris/versions/2" || out["type"] != typeDataVer {
		t.Fatalf("create: %d %v", st, out)
	}
	if st, out := put("uri_folder", "azureml://datastores/workspaceblobstore/paths/iris/"); st != http.StatusOK {
		t.Fatalf("same again: %d %v", st, out)
	}
	if st, out := put("uri_folder", "azureml://datastores/workspaceblobstore/paths/other/"); st != http.StatusConflict || errCode(out) != "UserError" {
		t.Fatalf("changed uri: %d %v, want 409 UserError", st, out)
	}
	if st, _, out := ts.do(t, http.MethodGet, wsPath()+"/data/iris/versions/2", nil); st != 200 || props(out)["dataType"] != "uri_folder" || props(out)["tags"].(map[string]any)["k"] != "v" {
		t.Fatalf("get: %d %v", st, out)
	}
	if st, _, out := ts.do(t, http.MethodGet, wsPath()+"/data/iris/versions/3", nil); st != 404 || errCode(out) != "ResourceNotFound" {
		t.Fatalf("missing: %d %v", st, out)
	}
	for _, tt := range [][2]string{{"mltable", "azureml://datastores/d/paths/t/"}, {"", "x"}, {"uri_file", ""}} {
		st, _, out := ts.do(t, http.MethodPut, wsPath()+"/data/bad/versions/1", map[string]any{"properties": map[string]any{"dataType": tt[0], "dataUri": tt[1]}})
		if st != http.StatusBadRequest {
			t.Errorf("put %v = %d %v, want 400", tt, st, out)
		}
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzPlanInputs: whatever uri a job input carries, a plan to download is
// a clean relative path in a container of a known datastore.
func FuzzPlanInputs(f *testing.F) {
	f.Add("uri_file", "azureml://datastores/workspaceblobstore/paths/a/b.csv")
	f.Add("uri_folder", "azureml://datastores/workspaceblobstore/paths/a/../")
	f.Add("uri_file", "azureml:iris:1")
	s := &Server{opts: Options{Blob: BlobTarget{ConnectionString: "AccountName=devstoreaccount1;AccountKey=a2V5"}}}
	ws := newWorkspace("s", "r", "w")
	ws.Data[versionKey("iris", "1")] = &dataVersion{Name: "iris", Version: "1", Props: dataProps{DataType: "uri_file", DataURI: "azureml://datastores/workspaceblobstore/paths/x/../../y"}}
	f.Fuzz(func(t *testing.T, typ, uri string) {
		in := jobInput{JobInputType: typ, URI: uri, Mode: "Download"}
		if validateInput("data", in) != "" {
			return
		}
		plans, err := s.planInputsLocked(ws, jobProps{Inputs: map[string]jobInput{"data": in}})
		if err != nil {
			return
		}
		for _, p := range plans {
			if p.blob && (!cleanBlobPath(p.path) || p.container == "" || strings.ContainsRune(p.path, 0)) {
				t.Fatalf("plan %+v for %q", p, uri)
			}
		}
	})
}
