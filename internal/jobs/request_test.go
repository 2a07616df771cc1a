package jobs

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTrainingRequest(t *testing.T) {
	req, err := ParseTrainingRequest(strings.NewReader(`{
		"image_tag": "1.4.2", "model_name": "iris-classifier", "experiment_name": "nightly",
		"compute": "cpu-cluster", "display_name": "train it", "upload": true,
		"hyperparameters": {"n_estimators": 50, "max-depth": "8", "model": "random_forest", "test_size": 0.25},
		"tags": {"requestedBy": "ci"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--max-depth", "8", "--model", "random_forest", "--n-estimators", "50", "--test-size", "0.25"}
	if !reflect.DeepEqual(req.Args, want) {
		t.Errorf("Args = %q, want %q", req.Args, want)
	}
	if req.Upload == nil || !*req.Upload || req.Tags["requestedBy"] != "ci" {
		t.Errorf("req = %+v", req)
	}
	empty, err := ParseTrainingRequest(strings.NewReader(""))
	if err != nil || len(empty.Args) != 0 {
		t.Errorf("empty body: %+v, %v", empty, err)
	}
}

func TestParseRequestRejects(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"not json", `{"model_name":`, "body"},
		{"array", `[1]`, "body"},
		{"trailing data", `{} {}`, "body"},
		{"unknown field", `{"model":"x"}`, "model"},
		{"wrong type", `{"upload":"yes"}`, "upload"},
		{"path traversal in model name", `{"model_name":"../../etc"}`, "model_name"},
		{"shell in model name", `{"model_name":"a;rm -rf /"}`, "model_name"},
		{"model name too long", `{"model_name":"` + strings.Repeat("a", 61) + `"}`, "model_name"},
		{"image tag with slash", `{"image_tag":"a/b"}`, "image_tag"},
		{"compute with space", `{"compute":"a b"}`, "compute"},
		{"display name newline", `{"display_name":"a\nb"}`, "display_name"},
		{"unknown hyperparameter", `{"hyperparameters":{"output_dir":"/etc"}}`, "hyperparameters.output_dir"},
		{"hyperparameter injection", `{"hyperparameters":{"label":"x --upload"}}`, "hyperparameters.label"},
		{"n_estimators zero", `{"hyperparameters":{"n_estimators":0}}`, "hyperparameters.n_estimators"},
		{"n_estimators fraction", `{"hyperparameters":{"n_estimators":1.5}}`, "hyperparameters.n_estimators"},
		{"test_size one", `{"hyperparameters":{"test_size":1}}`, "hyperparameters.test_size"},
		{"model enum", `{"hyperparameters":{"model":"svm"}}`, "hyperparameters.model"},
		{"object value", `{"hyperparameters":{"seed":{"a":1}}}`, "hyperparameters.seed"},
		{"bad tag key", `{"tags":{"a b":"c"}}`, "tags"},
		{"huge body", `{"display_name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTrainingRequest(strings.NewReader(tt.body))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if ve.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", ve.Field, tt.field, err)
			}
		})
	}
}

func TestParseDeploymentRequest(t *testing.T) {
	req, err := ParseDeploymentRequest(strings.NewReader(`{"model_name":"iris-classifier"}`))
	if err != nil || req.ModelVersion != "latest" {
		t.Fatalf("req = %+v, %v", req, err)
	}
	req, err = ParseDeploymentRequest(strings.NewReader(`{"model_name":"iris-classifier","model_version":"v20261128093000"}`))
	if err != nil || req.ModelVersion != "v20261128093000" {
		t.Fatalf("req = %+v, %v", req, err)
	}
	for _, body := range []string{`{}`, `{"model_name":"a","model_version":"../x"}`, `{"model_name":"a","model_version":"1 2"}`, `{"model_name":"a","hyperparameters":{}}`} {
		if _, err := ParseDeploymentRequest(strings.NewReader(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func FuzzParseTrainingRequest(f *testing.F) {
	f.Add(`{"model_name":"m","hyperparameters":{"n_estimators":5,"label":"y"}}`)
	f.Add(`{"tags":{"k":"v"},"upload":false}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := ParseTrainingRequest(strings.NewReader(body))
		if err != nil {
			return
		}
		// encoding/json's strict decoder agrees that no member is unknown.
		if strings.TrimSpace(body) != "" {
			dec := json.NewDecoder(strings.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(new(TrainingRequest)); err != nil {
				t.Fatalf("accepted %q, which DisallowUnknownFields refuses: %v", body, err)
			}
		}
		for i, a := range req.Args {
			if a == "${{inputs.data}}" && i > 0 && req.Args[i-1] == "--data" {
				continue // the one expression AzureML substitutes
			}
			if strings.ContainsAny(a, " \t\n;&|$`'\"<>(){}\\") {
				t.Fatalf("unsafe argument %q accepted", a)
			}
		}
		if strings.Contains(req.ModelName, "..") {
			t.Fatalf("model name %q accepted", req.ModelName)
		}
		for _, v := range []string{req.ModelName, req.ImageTag, req.Compute, req.ExperimentName} {
			if strings.ContainsAny(v, "/ \\\n") {
				t.Fatalf("unsafe name %q accepted", v)
			}
		}
	})
}

func FuzzParseDeploymentRequest(f *testing.F) {
	f.Add(`{"model_name":"m","model_version":"latest"}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := ParseDeploymentRequest(strings.NewReader(body))
		if err != nil {
			return
		}
		if !ModelNamePattern.MatchString(req.ModelName) || !VersionPattern.MatchString(req.ModelVersion) {
			t.Fatalf("accepted %+v", req)
		}
	})
}
