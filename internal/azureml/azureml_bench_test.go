package azureml_test

import (
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// BenchmarkParseJob measures decoding a typical job reply.
func BenchmarkParseJob(b *testing.B) {
	body := []byte(`{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/jobs/j","name":"j","type":"Microsoft.MachineLearningServices/workspaces/jobs",
	"properties":{"jobType":"Command","status":"Completed","command":"trainer train --metadata-dir ${{outputs.metadata}}","environmentId":"/e","computeId":"/c",
	"outputs":{"metadata":{"jobOutputType":"uri_folder","mode":"Upload","uri":"azureml://datastores/workspaceblobstore/paths/azureml/j/metadata/"}},
	"services":{"Studio":{"jobServiceType":"Studio","endpoint":"https://ml.azure.com/runs/j"}},"tags":{"a":"b"}},"systemData":{"createdAt":"2026-01-01T00:00:00Z"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := azureml.ParseJob(body); err != nil {
			b.Fatal(err)
		}
	}
}
