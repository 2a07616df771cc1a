package azureml_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// FuzzParseJob feeds arbitrary replies to the job parser: it must return a
// job or an error, never panic, and keep error text bounded and free of
// control characters.
func FuzzParseJob(f *testing.F) {
	for _, s := range []string{
		`{"id":"/x/jobs/j","name":"j","properties":{"jobType":"Command","status":"Failed","error":{"code":"UserError","message":"boom\nline"},"services":{"Studio":{"jobServiceType":"Studio","endpoint":"https://ml.azure.com/runs/j"}},"outputs":{"m":{"jobOutputType":"uri_folder","uri":"azureml://datastores/workspaceblobstore/paths/azureml/j/m/"}}},"systemData":{"createdAt":"2026-01-01T00:00:00Z"}}`,
		`{"properties":{"status":"Failed","services":{"x":{"errorMessage":"svc error"}}}}`,
		`{"properties":{}}`, `{"properties":[]}`, `{"properties":null}`, `{}`, `[]`, `null`, ``, `{"properties":{"systemData":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := azureml.ParseJob(body)
		if err != nil {
			return
		}
		if len(j.Error) > 600 || strings.ContainsAny(j.Error, "\n\r\x00") {
			t.Fatalf("error text not cleaned: %q", j.Error)
		}
		if j.Status == azureml.StatusFailed && j.Error == "" {
			for _, s := range j.Services {
				if s.ErrorMessage != "" {
					t.Fatalf("failed job dropped the service error %q", s.ErrorMessage)
				}
			}
		}
	})
}

// FuzzParseError feeds arbitrary error replies to the error parser.
func FuzzParseError(f *testing.F) {
	for _, s := range []string{`{"error":{"code":"AuthorizationFailed","message":"no"}}`, `{"error":null}`, `{"error":{"code":1}}`, `<html>`, ``} {
		f.Add(403, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		code, msg := azureml.ParseError(body)
		req, _ := http.NewRequest(http.MethodGet, "https://management.azure.com/x?api-version=1&sig=s", nil)
		e := upstream.New(azureml.Service, &http.Response{StatusCode: status, Request: req}, code, msg)
		if strings.Contains(e.Error(), "sig=") {
			t.Fatalf("query kept: %v", e)
		}
		if e.StatusCode != status || len(e.Message) > 600 || len(e.Code) > 200 {
			t.Fatalf("got %+v", e)
		}
		if strings.ContainsAny(e.Message+e.Code, "\n\r\x00") {
			t.Fatalf("control characters kept: %+v", e)
		}
		if utf8.ValidString(string(body)) && len(body) < 100 && e.Message != "" && !strings.Contains(strings.ToLower(string(body)), "message") {
			t.Fatalf("message %q invented", e.Message)
		}
	})
}

func TestParseJobSeeds(t *testing.T) {
	tests := []struct {
		name, body string
		status     azureml.JobStatus
		errText    string
		wantErr    bool
	}{
		// properties.error is not in AzureML's job schema: it is ignored.
		{"failed with invented error", `{"name":"j","properties":{"status":"Failed","error":{"code":"UserError","message":"bad\tflag"}}}`, azureml.StatusFailed, "", false},
		{"failed via service", `{"name":"j","properties":{"status":"Failed","services":{"x":{"errorMessage":"pull\tfailed"}}}}`, azureml.StatusFailed, "pull failed", false},
		{"running", `{"name":"j","properties":{"status":"Running"}}`, azureml.StatusRunning, "", false},
		{"no properties", `{"name":"j"}`, "", "", true},
		{"properties array", `{"properties":[]}`, "", "", true},
		{"not json", `<html>`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := azureml.ParseJob([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if j.Status != tt.status || j.Error != tt.errText {
				t.Fatalf("got %+v", j)
			}
		})
	}
}

// FuzzImageVersion checks that any image reference and tag give a valid,
// deterministic environment version.
func FuzzImageVersion(f *testing.F) {
	f.Add("acme.jfrog.io/docker-local/trainer:1.4.2", "1.4.2")
	f.Add("", "")
	f.Add("x", "..--__")
	f.Fuzz(func(t *testing.T, image, tag string) {
		v := azureml.ImageVersion(image, tag)
		if err := azureml.ValidateEnvironmentVersion(v); err != nil {
			t.Fatalf("ImageVersion(%q, %q) = %q: %v", image, tag, v, err)
		}
		if v != azureml.ImageVersion(image, tag) {
			t.Fatal("not deterministic")
		}
	})
}

// FuzzParseRunError feeds arbitrary run-history replies to the run error
// parser: never a panic, bounded text without control characters.
func FuzzParseRunError(f *testing.F) {
	for _, s := range []string{
		`{"runId":"j","status":"Failed","error":{"error":{"code":"UserError","message":"Execution failed.\nexit 2"},"componentName":"CommonRuntime"}}`,
		`{"runId":"j","status":"Completed","warnings":[]}`, `{"error":null}`, `{"error":{"error":{"code":1}}}`, `[]`, `null`, ``, `<html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg, err := azureml.ParseRunError(body)
		if err != nil && (code != "" || msg != "") {
			t.Fatalf("error %v with values %q %q", err, code, msg)
		}
		if len(msg) > 600 || len(code) > 200 || strings.ContainsAny(msg+code, "\n\r\x00") {
			t.Fatalf("unbounded or unclean: %q %q", code, msg)
		}
	})
}

func TestParseRunErrorSeeds(t *testing.T) {
	code, msg, err := azureml.ParseRunError([]byte(`{"runId":"j","status":"Failed","error":{"error":{"code":"UserError","message":"Execution failed.\nexit 2"}}}`))
	if err != nil || code != "UserError" || msg != "Execution failed. exit 2" {
		t.Fatalf("got %q %q %v", code, msg, err)
	}
	if code, msg, err := azureml.ParseRunError([]byte(`{"runId":"j","status":"Failed"}`)); err != nil || code != "" || msg != "" {
		t.Fatalf("no error: %q %q %v", code, msg, err)
	}
	if _, _, err := azureml.ParseRunError([]byte(`[]`)); err == nil {
		t.Fatal("array accepted")
	}
}
