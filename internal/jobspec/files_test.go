package jobspec

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseMetadata(t *testing.T) {
	md, err := ParseMetadata([]byte(`{"model_name":"iris-classifier","version":"v1","model_type":"random_forest","accuracy":0.9,
		"hyperparameters":{"random_forest":{"n_estimators":20,"max_depth":0,"min_samples_leaf":1,"min_samples_split":2,"max_features":2}},
		"split":{"column":"split","training_samples":120,"test_samples":30}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{ModelName: "iris-classifier", Version: "v1", ModelType: "random_forest", Accuracy: 0.9,
		Hyperparameters: Hyperparameters{Forest: &ForestParams{NEstimators: 20, MinSamplesLeaf: 1, MinSamplesSplit: 2, MaxFeatures: 2}},
		Split:           SplitProvenance{Column: "split", TrainingSamples: 120, TestSamples: 30}}
	if !reflect.DeepEqual(md, want) {
		t.Errorf("got %+v\nwant %+v", md, want)
	}
	for _, bad := range []string{`{"version":"v1"}`, `{"model_name":"m"}`, `[`, `{"model_name":1}`} {
		if _, err := ParseMetadata([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestParseInferenceResults(t *testing.T) {
	res, err := ParseInferenceResults([]byte(`{"accuracy":1,"test_samples":2,"predictions":[1,0],"true_labels":[1,0],"target_names":["a","b"]}`))
	if err != nil || res.TestSamples != 2 || !reflect.DeepEqual(res.Predictions, []int{1, 0}) {
		t.Fatalf("got %+v, %v", res, err)
	}
	for _, bad := range []string{`{"predictions":[2],"target_names":["a","b"]}`, `{"predictions":[-1],"target_names":["a"]}`, `{"predictions":"x"}`, `{`} {
		if _, err := ParseInferenceResults([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestFieldNames pins the JSON keys the other side reads: the reference's
// inference_results.json keys and metadata.json's identity.
func TestFieldNames(t *testing.T) {
	for _, tc := range []struct {
		v    any
		keys []string
	}{
		{InferenceResults{}, []string{"model_path", "model_type", "inference_timestamp", "test_samples", "accuracy", "predictions",
			"true_labels", "target_names", "features", "input_data", "probabilities"}},
		{Metadata{}, []string{"model_name", "version", "model_type", "dataset", "accuracy", "training_date", "features", "target_classes"}},
	} {
		v, keys := tc.v, tc.keys
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%T has no JSON key %q", v, k)
			}
		}
	}
}

func FuzzParseInferenceResults(f *testing.F) {
	f.Add([]byte(`{"accuracy":1,"test_samples":2,"predictions":[0,1],"target_names":["a","b"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ParseInferenceResults(b)
		if err != nil {
			return
		}
		for _, p := range res.Predictions {
			if p < 0 || p >= len(res.TargetNames) {
				t.Fatalf("accepted prediction %d with %d target names", p, len(res.TargetNames))
			}
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"model_name":"m","version":"v1","accuracy":0.5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := ParseMetadata(b)
		if err == nil && (md.ModelName == "" || md.Version == "") {
			t.Fatalf("accepted %+v", md)
		}
	})
}
