package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

// arm sends an ARM request below the stack's workspace as the compute
// identity and returns the status and body.
func (s *stack) arm(t testing.TB, method, path string, body any) (int, string) {
	t.Helper()
	t.Setenv("IDENTITY_ENDPOINT", "")
	t.Setenv("IDENTITY_HEADER", "")
	t.Setenv("MSI_ENDPOINT", s.env["DEVSTACK_COMPUTE_MSI_ENDPOINT"])
	t.Setenv("MSI_SECRET", s.env["DEVSTACK_COMPUTE_MSI_SECRET"])
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	u := s.env["AZURE_RESOURCE_MANAGER_ENDPOINT"] + "/subscriptions/" + s.env["AZURE_SUBSCRIPTION_ID"] + "/resourceGroups/" + s.env["AZURE_RESOURCE_GROUP"] +
		"/providers/Microsoft.MachineLearningServices/workspaces/" + s.env["AZUREML_WORKSPACE_NAME"] + path + "?api-version=2025-09-01"
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.tlsClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// putBlob uploads data to Azurite (the stack's storage account).
func (s *stack) putBlob(t testing.TB, container, name string, data []byte) {
	t.Helper()
	c, err := azblob.NewClientFromConnectionString(s.env["AzureWebJobsStorage"], &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: s.tlsClient(t)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, container, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatal(err)
	}
	if _, err := c.UploadBuffer(ctx, container, name, data, nil); err != nil {
		t.Fatal(err)
	}
}

// irisCSV returns the repository's Iris CSV.
func irisCSV(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testbin.RepoRoot(t), "internal", "ml", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// e2eDatastore creates datastore e2e_training on the stack's storage
// account, container e2e-training, as ARM does, once per stack.
var e2eDatastoreOnce sync.Map

func (s *stack) e2eDatastore(t testing.TB) string {
	t.Helper()
	const name = "e2e_training"
	if _, done := e2eDatastoreOnce.Load(s); done {
		return name
	}
	status, body := s.arm(t, http.MethodPut, "/datastores/"+name, map[string]any{"properties": map[string]any{
		"datastoreType": "AzureBlob", "accountName": "devstoreaccount1", "containerName": "e2e-training",
		"endpoint": "core.windows.net", "protocol": "https",
		"credentials": map[string]any{"credentialsType": "None"},
	}})
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("put datastore: %d %s", status, body)
	}
	e2eDatastoreOnce.Store(s, true)
	return name
}

// dataJobStatus is jobStatus plus the data fields.
type dataJobStatus struct {
	jobStatus
	Data *struct {
		Type string `json:"type"`
		URI  string `json:"uri"`
	} `json:"data"`
	TrainingData *struct {
		DataSource *struct {
			Kind           string `json:"kind"`
			Ref            string `json:"ref"`
			Dataset        string `json:"dataset"`
			DatasetVersion string `json:"dataset_version"`
			Format         string `json:"format"`
			Files          int    `json:"files"`
			Rows           int    `json:"rows"`
			SHA256         string `json:"sha256"`
		} `json:"data_source"`
	} `json:"training"`
}

// followData follows a job and returns its status with the data fields.
func followData(t *testing.T, h *host, name string) dataJobStatus {
	t.Helper()
	follow(t, h, name)
	status, body := h.call(t, http.MethodGet, "/api/jobs/"+name, "", "function")
	if status != http.StatusOK {
		t.Fatalf("job status = %d %s", status, body)
	}
	var st dataJobStatus
	decode(t, body, &st)
	decode(t, body, &st.jobStatus)
	return st
}

// TestTrainOnDatastoreData trains from a CSV in a datastore, by URI and as
// a data asset, and fails a job whose path or asset is missing.
func TestTrainOnDatastoreData(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	ds := s.e2eDatastore(t)
	s.putBlob(t, "e2e-training", "iris/iris.csv", irisCSV(t))
	uri := "azureml://datastores/" + ds + "/paths/iris/iris.csv"
	if status, body := s.arm(t, http.MethodPut, "/data/e2e-iris/versions/1", map[string]any{"properties": map[string]any{
		"dataType": "uri_file", "dataUri": uri,
	}}); status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("put data asset: %d %s", status, body)
	}
	for _, tt := range []struct{ name, data, ref string }{
		{"datastore uri", `{"uri": "` + uri + `", "label": "label", "split_column": "split"}`, uri},
		{"data asset", `{"asset": "azureml:e2e-iris:1", "label": "label", "split_column": "split"}`, "azureml:e2e-iris:1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 10}, "data": `+tt.data+`}`)
			st := followData(t, h, sub.JobName)
			if st.Status != "Completed" || st.Training == nil || st.Training.Accuracy < 0.8 {
				t.Fatalf("job = %+v, error %q", st.jobStatus, st.Error)
			}
			if st.Data == nil || st.Data.URI != tt.ref || st.Data.Type != "uri_file" {
				t.Errorf("status names data %+v, want %s", st.Data, tt.ref)
			}
			if d := st.TrainingData.DataSource; d == nil || d.Ref != tt.ref || d.Rows != 150 || len(d.SHA256) != 64 || d.Format != "csv" {
				t.Errorf("metadata data_source %+v, want %s, 150 csv rows and a sha256", d, tt.ref)
			}
		})
	}
	t.Run("datastore folder", func(t *testing.T) {
		// Two CSV files of one schema, read in name order as one table.
		lines := strings.SplitAfter(string(irisCSV(t)), "\n")
		header, rows := lines[0], lines[1:]
		s.putBlob(t, "e2e-training", "folder/part-0.csv", []byte(header+strings.Join(rows[:75], "")))
		s.putBlob(t, "e2e-training", "folder/part-1.csv", []byte(header+strings.Join(rows[75:], "")))
		ref := "azureml://datastores/" + ds + "/paths/folder/"
		sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 10}, "data": {"uri": "`+ref+`", "split_column": "split"}}`)
		st := followData(t, h, sub.JobName)
		if st.Status != "Completed" || st.Training == nil {
			t.Fatalf("job = %+v, error %q", st.jobStatus, st.Error)
		}
		if st.Data == nil || st.Data.Type != "uri_folder" {
			t.Errorf("status names data %+v, want a uri_folder", st.Data)
		}
		if d := st.TrainingData.DataSource; d == nil || d.Ref != ref || d.Rows != 150 || d.Files != 2 {
			t.Errorf("metadata data_source %+v, want %s, 2 files and 150 rows", d, ref)
		}
	})
	t.Run("parquet file", func(t *testing.T) {
		// testdata/iris.parquet is internal/ml/iris.csv written by
		// arrow-go v18.7.0's pqarrow (float64 features, int64 label,
		// string split column).
		pq, err := os.ReadFile(filepath.Join("testdata", "iris.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		s.putBlob(t, "e2e-training", "parquet/iris.data", pq)
		ref := "azureml://datastores/" + ds + "/paths/parquet/iris.data"
		sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 10}, "data": {"uri": "`+ref+`", "split_column": "split"}}`)
		st := followData(t, h, sub.JobName)
		if st.Status != "Completed" || st.Training == nil || st.Training.Accuracy < 0.8 {
			t.Fatalf("job = %+v, error %q", st.jobStatus, st.Error)
		}
		if d := st.TrainingData.DataSource; d == nil || d.Ref != ref || d.Format != "parquet" || d.Rows != 150 {
			t.Errorf("metadata data_source %+v, want %s, 150 parquet rows", d, ref)
		}
	})
	t.Run("refused at submission", func(t *testing.T) {
		for _, tt := range []struct{ data, field string }{
			{`{"uri": "https://evil.example/x.csv"}`, "data.uri"},
			{`{"uri": "azureml://datastores/` + ds + `/paths/../secrets/x.csv"}`, "data.uri"},
			{`{"asset": "azureml:iris"}`, "data.asset"},
			{`{"dataset": {"name": "x;id"}}`, "data.dataset.name"},
			{`{"artifactory": "generic/a", "uri": "azureml://datastores/d/paths/a.csv"}`, "data"},
			{`{"dataset": {"name": "d"}, "features": ["a b"]}`, "data.features"},
			{`{"dataset": {"name": "d"}, "colour": 1}`, "data.colour"},
		} {
			status, body := h.call(t, http.MethodPost, "/api/jobs/training", `{"data": `+tt.data+`}`, "function")
			var e struct{ Error, Details string }
			decode(t, body, &e)
			if status != http.StatusBadRequest || !strings.Contains(e.Details, tt.field+":") {
				t.Errorf("data %s = %d %s, want 400 naming %s", tt.data, status, body, tt.field)
			}
		}
	})
	for _, tt := range []struct{ name, data, want string }{
		{"missing path", `{"uri": "azureml://datastores/` + ds + `/paths/iris/missing.csv"}`, "iris/missing.csv does not exist"},
		{"missing datastore", `{"uri": "azureml://datastores/no_such_store/paths/iris/iris.csv"}`, "datastore 'no_such_store' was not found"},
		{"missing asset", `{"asset": "azureml:e2e-iris:99"}`, "data asset e2e-iris version 99 was not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := submit(t, h, "/api/jobs/training", `{"model_name": "e2e-missing-data", "data": `+tt.data+`}`)
			st := follow(t, h, sub.JobName)
			if st.Status != "Failed" || !strings.Contains(st.Error, tt.want) || st.Training != nil {
				t.Fatalf("job = %+v, want Failed with %q", st, tt.want)
			}
		})
	}
}

// TestStatusSendsNoTokenToAForeignDatastore replaces workspaceblobstore
// with one whose blob service is a TLS listener of the test's own on a
// non-loopback address, trusted through the stack's CA: the status call
// must answer 502 naming the datastore, and the listener must see no
// request carrying an Authorization header.
func TestStatusSendsNoTokenToAForeignDatastore(t *testing.T) {
	s := sharedStack(t)
	listenIP, urlIP := foreignAddress(t)
	var mu sync.Mutex
	var authorized, requests int
	ln, err := net.Listen("tcp", net.JoinHostPort(listenIP.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		if r.Header.Get("Authorization") != "" {
			authorized++
		}
		mu.Unlock()
		http.Error(w, "no", http.StatusNotFound)
	}))
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{s.issueCert(t, urlIP)}}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	foreignURL := "https://" + net.JoinHostPort(urlIP.String(), port)

	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 5}}`)
	if st := follow(t, h, sub.JobName); st.Status != "Completed" || st.Training == nil {
		t.Fatalf("job = %+v", st)
	}
	status, orig := s.arm(t, http.MethodGet, "/datastores/workspaceblobstore", nil)
	if status != http.StatusOK {
		t.Fatalf("get workspaceblobstore: %d %s", status, orig)
	}
	var original struct {
		Properties map[string]any `json:"properties"`
	}
	decode(t, orig, &original)
	t.Cleanup(func() {
		if status, body := s.arm(t, http.MethodPut, "/datastores/workspaceblobstore", original); status != http.StatusOK {
			t.Errorf("restore workspaceblobstore: %d %s", status, body)
		}
	})
	evil := map[string]any{}
	for k, v := range original.Properties {
		evil[k] = v
	}
	evil["blobServiceUrl"] = foreignURL + "/devstoreaccount1"
	if status, body := s.arm(t, http.MethodPut, "/datastores/workspaceblobstore", map[string]any{"properties": evil}); status != http.StatusOK {
		t.Fatalf("replace workspaceblobstore: %d %s", status, body)
	}
	status, body := h.call(t, http.MethodGet, "/api/jobs/"+sub.JobName, "", "function")
	mu.Lock()
	defer mu.Unlock()
	if authorized != 0 {
		t.Fatalf("the listener got %d requests with an Authorization header (of %d): the storage token left for a datastore's host", authorized, requests)
	}
	if status != http.StatusBadGateway || !strings.Contains(body, "workspaceblobstore") || !strings.Contains(body, "loopback") {
		t.Fatalf("status = %d %s, want 502 naming the datastore and the rule", status, body)
	}
}

// foreignAddress returns where the test's listener listens and the
// address the datastore names: a non-loopback IPv4 address of this machine
// for both, or, without one, 127.0.0.1 named as 0.0.0.0 (which the kernel
// routes to the local host, and which is not a loopback address either).
func foreignAddress(t testing.TB) (listen, url net.IP) {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.To4(), n.IP.To4()
		}
	}
	return net.IPv4(127, 0, 0, 1), net.IPv4zero
}

// issueCert issues a server certificate for ip signed by the stack's CA,
// which the handler trusts through SSL_CERT_FILE.
func (s *stack) issueCert(t testing.TB, ip net.IP) tls.Certificate {
	t.Helper()
	dir := filepath.Join(s.env["DEVSTACK_DATA"], "tls")
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		t.Fatal("no PEM in the stack's CA files")
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: ip.String()},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{ip},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestTrainOnMLRepositoryDataset pushes a dataset version with `trainer
// dataset push` (JF_URL/JF_ACCESS_TOKEN, as frogml reads them), trains on
// it, and fails a job that names a dataset the repository does not hold.
func TestTrainOnMLRepositoryDataset(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("rotation: %s", body)
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "iris.csv")
	if err := os.WriteFile(csvPath, irisCSV(t), 0o600); err != nil {
		t.Fatal(err)
	}
	version := "v" + time.Now().UTC().Format("20060102150405")
	push := exec.Command(testbin.Path(t, "trainer"), "dataset", "push", "--name", "e2e-iris-ds", "--version", version, csvPath)
	push.Env = append(os.Environ(), "JF_URL="+s.env["ARTIFACTORY_URL"], "JF_ACCESS_TOKEN="+s.env["JFROG_ADMIN_TOKEN"],
		"ARTIFACTORY_ML_REPO="+s.env["ARTIFACTORY_ML_REPO"], "SSL_CERT_FILE="+s.env["SSL_CERT_FILE"])
	if b, err := push.CombinedOutput(); err != nil {
		t.Fatalf("trainer dataset push: %v\n%s", err, b)
	}
	sub := submit(t, h, "/api/jobs/training", `{"upload": false, "hyperparameters": {"n_estimators": 10}, "data": {"dataset": {"name": "e2e-iris-ds", "version": "`+version+`"}, "split_column": "split"}}`)
	st := followData(t, h, sub.JobName)
	if st.Status != "Completed" || st.Training == nil || st.Training.Accuracy < 0.8 {
		t.Fatalf("job = %+v, error %q", st.jobStatus, st.Error)
	}
	if d := st.TrainingData.DataSource; d == nil || d.Kind != "dataset" || d.Dataset != "e2e-iris-ds" || d.DatasetVersion != version || len(d.SHA256) != 64 {
		t.Errorf("metadata data_source %+v, want dataset e2e-iris-ds %s and a sha256", d, version)
	}
	sub = submit(t, h, "/api/jobs/training", `{"model_name": "e2e-missing-data", "data": {"dataset": {"name": "e2e-no-such-dataset"}}}`)
	if st := follow(t, h, sub.JobName); st.Status != "Failed" || !strings.Contains(st.Error, "e2e-no-such-dataset") || st.Training != nil {
		t.Fatalf("job on a missing dataset = %+v, want Failed naming it", st)
	}
}
