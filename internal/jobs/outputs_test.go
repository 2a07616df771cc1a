package jobs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

func TestParseOutputs(t *testing.T) {
	md, err := ParseTrainingOutput([]byte(`{"model_name":"iris-classifier","version":"v1","model_type":"random_forest","accuracy":1,"features":["a"],"model_sha256":"ab12"}`))
	if err != nil || md.ModelName != "iris-classifier" || md.Version != "v1" || md.Accuracy != 1 || md.ModelSHA256 != "ab12" || md.DataSource != nil {
		t.Fatalf("training output = %+v, %v", md, err)
	}
	md, err = ParseTrainingOutput([]byte(`{"model_name":"m","version":"v1","dataset":"iris.csv","dataset_sha256":"ab",
		"data_source":{"kind":"path","path":"/mnt/x","ref":"azureml:iris:1","format":"csv","files":1,"rows":150,"sha256":"ab"}}`))
	if err != nil || md.DataSource == nil || md.DataSource.Ref != "azureml:iris:1" || md.DataSource.Rows != 150 || md.Dataset != "iris.csv" {
		t.Fatalf("training output with a data source = %+v, %v", md, err)
	}
	if _, err := ParseTrainingOutput([]byte(`{"accuracy":1}`)); err == nil {
		t.Error("metadata without a version accepted")
	}
	out, err := ParseDeploymentOutput([]byte(`{"accuracy":0.9,"test_samples":30,"predictions":[2,0,1,1,0,2,2],"target_names":["setosa","versicolor","virginica"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"virginica", "setosa", "versicolor", "versicolor", "setosa"}
	if !reflect.DeepEqual(out.SamplePredictions, want) || out.TestSamples != 30 {
		t.Errorf("deployment output = %+v", out)
	}
	for _, bad := range []string{`{"predictions":[3],"target_names":["a"]}`, `{"predictions":[-1],"target_names":["a"]}`, `[`, `{"predictions":"x"}`} {
		if _, err := ParseDeploymentOutput([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzParseDeploymentOutput(f *testing.F) {
	f.Add([]byte(`{"accuracy":1,"test_samples":2,"predictions":[0,1],"target_names":["a","b"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := ParseDeploymentOutput(b)
		if err != nil {
			return
		}
		if len(out.SamplePredictions) > 5 {
			t.Fatalf("%d sample predictions", len(out.SamplePredictions))
		}
	})
}

func FuzzParseTrainingOutput(f *testing.F) {
	f.Add([]byte(`{"model_name":"m","version":"v1","accuracy":0.5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := ParseTrainingOutput(b)
		if err == nil && (md.ModelName == "" || md.Version == "") {
			t.Fatalf("accepted %+v", md)
		}
	})
}

func TestTrustedServiceURL(t *testing.T) {
	public := NewBlobOutputs(nil, nil)
	china := NewBlobOutputs(nil, &BlobOutputsOptions{StorageSuffix: "core.chinacloudapi.cn"})
	named := NewBlobOutputs(nil, &BlobOutputsOptions{TrustedServiceURLs: []string{"https://ws.privatelink.example/"}})
	tests := []struct {
		name string
		b    *BlobOutputs
		ds   azureml.Datastore
		want string // "" means refused
	}{
		{"account under the suffix", public, azureml.Datastore{Name: "workspaceblobstore", AccountName: "wsstore01", Endpoint: "core.windows.net", Protocol: "https"}, "https://wsstore01.blob.core.windows.net/"},
		{"endpoint omitted", public, azureml.Datastore{Name: "d", AccountName: "wsstore01"}, "https://wsstore01.blob.core.windows.net/"},
		{"suffix case", public, azureml.Datastore{Name: "d", AccountName: "wsstore01", Endpoint: "Core.Windows.Net"}, "https://wsstore01.blob.core.windows.net/"},
		{"china cloud", china, azureml.Datastore{Name: "d", AccountName: "wsstore01", Endpoint: "core.chinacloudapi.cn"}, "https://wsstore01.blob.core.chinacloudapi.cn/"},
		{"public suffix in china", china, azureml.Datastore{Name: "d", AccountName: "wsstore01", Endpoint: "core.windows.net"}, ""},
		{"attacker endpoint", public, azureml.Datastore{Name: "workspaceblobstore", AccountName: "wsstore01", Endpoint: "evil.example"}, ""},
		{"suffix smuggled in endpoint", public, azureml.Datastore{Name: "d", AccountName: "wsstore01", Endpoint: "core.windows.net.evil.example"}, ""},
		{"host in account name", public, azureml.Datastore{Name: "d", AccountName: "evil.example/x", Endpoint: "core.windows.net"}, ""},
		{"account with port", public, azureml.Datastore{Name: "d", AccountName: "evil:443", Endpoint: "core.windows.net"}, ""},
		{"plain http", public, azureml.Datastore{Name: "d", AccountName: "wsstore01", Endpoint: "core.windows.net", Protocol: "http"}, ""},
		{"loopback service url", public, azureml.Datastore{Name: "d", AccountName: "devstoreaccount1", ServiceURL: "https://127.0.0.1:10000/devstoreaccount1"}, "https://127.0.0.1:10000/devstoreaccount1/"},
		{"localhost service url", public, azureml.Datastore{Name: "d", AccountName: "devstoreaccount1", ServiceURL: "http://localhost:10000/devstoreaccount1"}, "http://localhost:10000/devstoreaccount1/"},
		{"ipv6 loopback", public, azureml.Datastore{Name: "d", AccountName: "a", ServiceURL: "https://[::1]:10000/a"}, "https://[::1]:10000/a/"},
		{"remote service url", public, azureml.Datastore{Name: "workspaceblobstore", AccountName: "wsstore01", ServiceURL: "https://wsstore01.blob.core.windows.net.evil.example/"}, ""},
		{"unspecified address", public, azureml.Datastore{Name: "d", AccountName: "a", ServiceURL: "https://0.0.0.0:10000/a"}, ""},
		{"lan address", public, azureml.Datastore{Name: "d", AccountName: "a", ServiceURL: "https://192.0.2.7:10000/a"}, ""},
		{"localhost lookalike", public, azureml.Datastore{Name: "d", AccountName: "a", ServiceURL: "https://localhost.evil.example/a"}, ""},
		{"configured url", named, azureml.Datastore{Name: "d", AccountName: "ws", ServiceURL: "https://ws.privatelink.example"}, "https://ws.privatelink.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.b.TrustedServiceURL(tt.ds)
			if tt.want == "" {
				if !errors.Is(err, ErrUntrustedDatastore) || !strings.Contains(err.Error(), "datastore "+tt.ds.Name) {
					t.Fatalf("TrustedServiceURL = %q, %v; want ErrUntrustedDatastore naming the datastore", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TrustedServiceURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestReadRefusesBeforeConnecting: an untrusted datastore is refused
// without a request, so no token leaves the process.
func TestReadRefusesBeforeConnecting(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://127.0.0.1")
	b := NewBlobOutputs(tokenCred{}, &BlobOutputsOptions{ClientOptions: azblob.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: srv.Client()}}})
	_, err := b.Read(context.Background(), azureml.Datastore{Name: "workspaceblobstore", AccountName: "a", ContainerName: "c", ServiceURL: "https://0.0.0.0" + host + "/a"}, "x")
	if !errors.Is(err, ErrUntrustedDatastore) || hits.Load() != 0 {
		t.Fatalf("Read = %v with %d requests; want ErrUntrustedDatastore and none", err, hits.Load())
	}
}

type tokenCred struct{}

func (tokenCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "storage-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fakeCred is a credential that is never asked for a token: building a
// blob client makes no request.
type fakeCred struct{}

func (fakeCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("no token in this test")
}

func TestBlobOutputsBuildsOneClientPerService(t *testing.T) {
	b := NewBlobOutputs(fakeCred{}, nil)
	ds := azureml.Datastore{AccountName: "stml", ContainerName: "azureml-blobstore"}
	first, err := b.client(ds.BlobServiceURL())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := b.client(ds.BlobServiceURL()); err != nil || c != first {
				t.Errorf("read %p, %v: want the first client %p", c, err, first)
			}
		}()
	}
	wg.Wait()
	other, err := b.client(azureml.Datastore{AccountName: "stother"}.BlobServiceURL())
	if err != nil || other == first {
		t.Errorf("another service got %p, %v; want its own client", other, err)
	}
}
