package jobs

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

func TestParseTrainingData(t *testing.T) {
	tests := []struct {
		name, body string
		args       []string
		input      *DataInput
	}{
		{"dataset", `{"data":{"dataset":{"name":"iris-data","version":"v2"},"label":"species"}}`,
			[]string{"--dataset", "iris-data", "--dataset-version", "v2", "--label", "species"}, nil},
		{"dataset latest by default", `{"data":{"dataset":{"name":"iris-data"}}}`,
			[]string{"--dataset", "iris-data", "--dataset-version", "latest"}, nil},
		{"datastore file", `{"data":{"uri":"azureml://datastores/workspaceblobstore/paths/data/iris.csv","label":"species","test_size":0.3,"features":["a","b_2"]}}`,
			[]string{"--data", "${{inputs.data}}", "--data-ref", "azureml://datastores/workspaceblobstore/paths/data/iris.csv",
				"--label", "species", "--test-size", "0.3", "--features", "a,b_2"},
			&DataInput{Type: azureml.InputURIFile, URI: "azureml://datastores/workspaceblobstore/paths/data/iris.csv"}},
		{"datastore folder", `{"data":{"uri":"azureml://datastores/training_data/paths/iris/","split_column":"split"}}`,
			[]string{"--data", "${{inputs.data}}", "--data-ref", "azureml://datastores/training_data/paths/iris/", "--split-column", "split"},
			&DataInput{Type: azureml.InputURIFolder, URI: "azureml://datastores/training_data/paths/iris/"}},
		{"asset", `{"data":{"asset":"azureml:iris-csv:3"}}`,
			[]string{"--data", "${{inputs.data}}", "--data-ref", "azureml:iris-csv:3"},
			&DataInput{Type: azureml.InputURIFile, URI: "azureml:iris-csv:3"}},
		{"asset folder", `{"data":{"asset":"azureml:iris.parts:1","type":"uri_folder"}}`,
			[]string{"--data", "${{inputs.data}}", "--data-ref", "azureml:iris.parts:1"},
			&DataInput{Type: azureml.InputURIFolder, URI: "azureml:iris.parts:1"}},
		{"artifactory", `{"data":{"artifactory":"datasets-generic/iris/iris.csv.gz"}}`,
			[]string{"--artifactory", "datasets-generic/iris/iris.csv.gz"}, nil},
		{"hyperparameters beside data", `{"hyperparameters":{"n_estimators":5,"label":"y"},"data":{"artifactory":"r/a.csv"}}`,
			[]string{"--label", "y", "--n-estimators", "5", "--artifactory", "r/a.csv"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParseTrainingRequest(strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Args, tt.args) {
				t.Errorf("Args = %q, want %q", req.Args, tt.args)
			}
			if !reflect.DeepEqual(req.Input, tt.input) {
				t.Errorf("Input = %+v, want %+v", req.Input, tt.input)
			}
		})
	}
	req, err := ParseTrainingRequest(strings.NewReader(`{}`))
	if err != nil || req.Input != nil || len(req.Args) != 0 {
		t.Errorf("no data: %+v, %v (Iris stays the default)", req, err)
	}
}

func TestParseTrainingDataRejects(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"no source", `{"data":{"label":"y"}}`, "data"},
		{"two sources", `{"data":{"uri":"azureml://datastores/d/paths/a.csv","asset":"azureml:a:1"}}`, "data"},
		{"unknown field", `{"data":{"url":"x"}}`, "data.url"},
		{"unknown dataset field", `{"data":{"dataset":{"name":"d","versoin":"1"}}}`, "data.dataset.versoin"},
		{"dataset not object", `{"data":{"dataset":"d"}}`, "data.dataset"},
		{"features not strings", `{"data":{"dataset":{"name":"d"},"features":[1]}}`, "data.features"},
		{"dataset without name", `{"data":{"dataset":{"version":"1"}}}`, "data.dataset.name"},
		{"dataset name traversal", `{"data":{"dataset":{"name":"../x"}}}`, "data.dataset.name"},
		{"dataset version shell", `{"data":{"dataset":{"name":"d","version":"1;id"}}}`, "data.dataset.version"},
		{"uri other scheme", `{"data":{"uri":"https://evil.example/a.csv"}}`, "data.uri"},
		{"uri traversal", `{"data":{"uri":"azureml://datastores/d/paths/a/../../b.csv"}}`, "data.uri"},
		{"uri dot segment", `{"data":{"uri":"azureml://datastores/d/paths/./b.csv"}}`, "data.uri"},
		{"uri expression", `{"data":{"uri":"azureml://datastores/${{default_datastore}}/paths/a.csv"}}`, "data.uri"},
		{"uri space", `{"data":{"uri":"azureml://datastores/d/paths/a b.csv"}}`, "data.uri"},
		{"uri without path", `{"data":{"uri":"azureml://datastores/d/paths/"}}`, "data.uri"},
		{"uri too long", `{"data":{"uri":"azureml://datastores/d/paths/` + strings.Repeat("a", 1100) + `"}}`, "data.uri"},
		{"type against slash", `{"data":{"uri":"azureml://datastores/d/paths/a/","type":"uri_file"}}`, "data.type"},
		{"asset without version", `{"data":{"asset":"azureml:iris"}}`, "data.asset"},
		{"asset long form", `{"data":{"asset":"azureml:/subscriptions/x/data/iris/versions/1"}}`, "data.asset"},
		{"asset type", `{"data":{"asset":"azureml:a:1","type":"mltable"}}`, "data.type"},
		{"type for dataset", `{"data":{"dataset":{"name":"d"},"type":"uri_file"}}`, "data.type"},
		{"artifactory repo only", `{"data":{"artifactory":"generic-local"}}`, "data.artifactory"},
		{"artifactory folder", `{"data":{"artifactory":"generic-local/a/"}}`, "data.artifactory"},
		{"artifactory traversal", `{"data":{"artifactory":"generic-local/../x"}}`, "data.artifactory"},
		{"label injection", `{"data":{"dataset":{"name":"d"},"label":"y --upload"}}`, "data.label"},
		{"label twice", `{"hyperparameters":{"label":"y"},"data":{"dataset":{"name":"d"},"label":"y"}}`, "data.label"},
		{"split column twice", `{"hyperparameters":{"split_column":"s"},"data":{"dataset":{"name":"d"},"split_column":"s"}}`, "data.split_column"},
		{"test size twice", `{"hyperparameters":{"test_size":0.2},"data":{"dataset":{"name":"d"},"test_size":0.2}}`, "data.test_size"},
		{"test size one", `{"data":{"dataset":{"name":"d"},"test_size":1}}`, "data.test_size"},
		{"test size string", `{"data":{"dataset":{"name":"d"},"test_size":"0.2"}}`, "data.test_size"},
		{"features empty", `{"data":{"dataset":{"name":"d"},"features":[]}}`, "data.features"},
		{"feature comma", `{"data":{"dataset":{"name":"d"},"features":["a,b"]}}`, "data.features"},
		{"feature twice", `{"data":{"dataset":{"name":"d"},"features":["a","a"]}}`, "data.features"},
		{"feature is label", `{"data":{"dataset":{"name":"d"},"label":"a","features":["a"]}}`, "data.features"},
		{"data not object", `{"data":"azureml:a:1"}`, "data"},
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

func FuzzParseTrainingData(f *testing.F) {
	f.Add(`{"data":{"uri":"azureml://datastores/workspaceblobstore/paths/a/b.csv","label":"y","features":["a","b"]}}`)
	f.Add(`{"data":{"asset":"azureml:iris:1","type":"uri_folder"}}`)
	f.Add(`{"data":{"dataset":{"name":"iris","version":"latest"},"test_size":0.25}}`)
	f.Add(`{"data":{"artifactory":"generic/iris.csv"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := ParseTrainingRequest(strings.NewReader(body))
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("error %v is not a ValidationError naming a field", err)
			}
			return
		}
		for i, a := range req.Args {
			if a == "${{inputs.data}}" && i > 0 && req.Args[i-1] == "--data" && req.Input != nil {
				continue
			}
			if a == "" || strings.ContainsAny(a, " \t\r\n;&|$`'\"<>(){}[]*?!#~\\") || strings.Contains(a, "/..") || strings.Contains(a, "../") {
				t.Fatalf("unsafe argument %q accepted", a)
			}
		}
		if in := req.Input; in != nil {
			if in.Type != azureml.InputURIFile && in.Type != azureml.InputURIFolder {
				t.Fatalf("input type %q", in.Type)
			}
			if !strings.HasPrefix(in.URI, "azureml:") || strings.Contains(in.URI, "${{") {
				t.Fatalf("input uri %q", in.URI)
			}
		}
	})
}
