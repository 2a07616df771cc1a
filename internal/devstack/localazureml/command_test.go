package localazureml

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplitCommand(t *testing.T) {
	env := map[string]string{"HOME": "/home/u", "SEED": "7"}
	lookup := func(k string) string { return env[k] }
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"trainer train", []string{"trainer", "train"}, ""},
		{"  trainer\ttrain \n --x  1 ", []string{"trainer", "train", "--x", "1"}, ""},
		{`trainer --name 'a b' --d "c d"`, []string{"trainer", "--name", "a b", "--d", "c d"}, ""},
		{`trainer 'it''s' "x\"y" a\ b`, []string{"trainer", "its", `x"y`, "a b"}, ""},
		{`trainer '$HOME' "$HOME" $HOME ${SEED}x`, []string{"trainer", "$HOME", "/home/u", "/home/u", "7x"}, ""},
		{`trainer ${{outputs.model}} $ $1 ${x`, []string{"trainer", "${{outputs.model}}", "$", "$1", "${x"}, ""},
		{`trainer "" ''`, []string{"trainer", "", ""}, ""},
		{`trainer "a|b" 'c;d'`, []string{"trainer", "a|b", "c;d"}, ""},
		{"trainer a | b", nil, "shell operator |"},
		{"trainer a; b", nil, "shell operator ;"},
		{"trainer `id`", nil, "shell operator `"},
		{"trainer > f", nil, "shell operator >"},
		{"trainer 'a", nil, "unterminated ' quote"},
		{`trainer "a`, nil, `unterminated " quote`},
		{`trainer a\`, nil, "lone backslash"},
		{"   ", nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitCommand(tt.in, lookup)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %q, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("no env keeps variables", func(t *testing.T) {
		got, err := splitCommand(`a $HOME "${SEED}"`, nil)
		if err != nil || !slices.Equal(got, []string{"a", "$HOME", "${SEED}"}) {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func TestResolveExpressions(t *testing.T) {
	cmd := normalizeExpressions("trainer --out ${{ outputs.model }} --seed=${{inputs.seed}} --x ${{outputs.other}}")
	args, err := splitCommand(cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range args {
		args[i] = resolveExpressions(args[i], map[string]string{"seed": "7"}, map[string]string{"model": "/tmp/with space/model"})
	}
	want := []string{"trainer", "--out", "/tmp/with space/model", "--seed=7", "--x", "${{outputs.other}}"}
	if !slices.Equal(args, want) {
		t.Fatalf("got %q, want %q", args, want)
	}
}

func TestParseISODuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT2H", 2 * time.Hour, true},
		{"PT1H30M", 90 * time.Minute, true},
		{"PT45S", 45 * time.Second, true},
		{"PT1.5S", time.Second, true},
		{"P1DT1S", 24*time.Hour + time.Second, true},
		{"P", 0, false},
		{"PT", 0, false},
		{"P1DT", 0, false},
		{"2h", 0, false},
		{"PT-1S", 0, false},
		{"PT1234567H", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseISODuration(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("got %v, %v; want %v ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestRegistryMatching(t *testing.T) {
	tests := []struct{ image, target string }{
		{"acme.jfrog.io/docker-local/trainer:1", "https://acme.jfrog.io"},
		{"ACME.jfrog.io/docker-local/trainer:1", "acme.jfrog.io"},
		{"127.0.0.1:8443/docker/trainer:1", "https://127.0.0.1:8443/"},
		{"localhost/trainer", "http://localhost"},
		{"trainer:1", "docker.io"},
		{"library/trainer:1", "https://docker.io"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			if h, r := registryHost(tt.target), imageRegistry(tt.image); h != r {
				t.Fatalf("target host %q != image registry %q", h, r)
			}
		})
	}
	for _, bad := range []string{"", "https://", "https://u:p@host", "a b"} {
		if h := registryHost(bad); h != "" {
			t.Errorf("registryHost(%q) = %q, want empty", bad, h)
		}
	}
}

func TestOutputPath(t *testing.T) {
	tests := []struct {
		uri, want string
		ok        bool
	}{
		{"azureml://datastores/workspaceblobstore/paths/azureml/j/model/", "azureml/j/model", true},
		{"azureml://datastores/${{default_datastore}}/paths/azureml/${{name}}/${{output_name}}/", "azureml/job/out", true},
		{"azureml://datastores/other/paths/x", "", false},
		{"azureml://datastores/workspaceblobstore/paths/a/../b", "", false},
		{"azureml://datastores/workspaceblobstore/paths/", "", false},
		{"https://acct.blob.core.windows.net/c/x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, ok := outputPath(tt.uri, "job", "out")
			if got != tt.want || ok != tt.ok {
				t.Fatalf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"trainer train", `a 'b c' "d\"e" f\ g`, "$HOME ${X} ${{outputs.m}}", "a | b", "'", `"\`, "", "${"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := splitCommand(s, func(string) string { return "v" })
		if err == nil && len(args) == 0 {
			t.Fatalf("no error and no arguments for %q", s)
		}
		_ = normalizeExpressions(s)
	})
}

func FuzzParseISODuration(f *testing.F) {
	for _, s := range []string{"PT2H", "P1DT1H1M1.5S", "P", "PT", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseISODuration(s)
		if err == nil && d < 0 {
			t.Fatalf("negative duration %v for %q", d, s)
		}
	})
}

// FuzzPutJob sends arbitrary bodies to the job PUT route: the server must
// answer a 2xx or 4xx with an ARM body, never fail.
func FuzzPutJob(f *testing.F) {
	for _, s := range []string{
		`{"properties":{"jobType":"Command","command":"trainer train","environmentId":"x"}}`,
		`{"properties":{"jobType":"Command","command":"trainer ${{outputs.m}}","environmentId":"x","outputs":{"m":{"jobOutputType":"uri_folder","uri":"azureml://datastores/workspaceblobstore/paths/a"}}}}`,
		`{"properties":{"jobType":"Command","limits":{"timeout":"PT1H"},"inputs":{"a":{"jobInputType":"literal","value":"1"}}}}`,
		`{"properties":null}`, `[]`, `{`, ``,
	} {
		f.Add(s)
	}
	s, err := New(Options{DataDir: f.TempDir(), QueueDelay: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPut, wsPath()+"/jobs/fuzz?api-version="+apiV, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || (rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`)) {
			t.Fatalf("status %d body %s", rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusCreated {
			t.Fatalf("job accepted without an environment: %s", rec.Body.String())
		}
	})
}
