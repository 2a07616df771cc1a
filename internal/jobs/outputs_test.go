package jobs

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

func TestParseOutputs(t *testing.T) {
	md, err := ParseTrainingOutput([]byte(`{"model_name":"iris-classifier","version":"v1","model_type":"random_forest","accuracy":1,"features":["a"]}`))
	if err != nil || md.ModelName != "iris-classifier" || md.Version != "v1" || md.Accuracy != 1 {
		t.Fatalf("training output = %+v, %v", md, err)
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
