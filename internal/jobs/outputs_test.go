package jobs

import (
	"reflect"
	"testing"
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
