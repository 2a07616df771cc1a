package funcpkg

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

var wantFunctions = map[string]string{
	"KeyVaultSecretRotation":     "timerTrigger",
	"KeyVaultSecretRotationHttp": "httpTrigger",
	"Health":                     "httpTrigger",
	"HealthDetails":              "httpTrigger",
	"SubmitTrainingJob":          "httpTrigger",
	"SubmitDeploymentJob":        "httpTrigger",
	"GetJob":                     "httpTrigger",
	"CancelJob":                  "httpTrigger",
	"Diagnostics":                "httpTrigger",
}

func TestRepositoryFunctionsAreValid(t *testing.T) {
	host, err := os.ReadFile("../../host.json")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHost(host)
	if err != nil {
		t.Fatal(err)
	}
	if !h.CustomHandler.EnableForwardingHTTPRequest || h.CustomHandler.Description.DefaultExecutablePath != "handler" {
		t.Errorf("host.json customHandler = %+v", h.CustomHandler)
	}
	if h.ExtensionBundle.Version != "[4.*, 5.0.0)" || h.FunctionTimeout == "" {
		t.Errorf("host.json bundle %q timeout %q", h.ExtensionBundle.Version, h.FunctionTimeout)
	}
	for name, trigger := range wantFunctions {
		b, err := os.ReadFile(filepath.Join("../../functions", name, "function.json"))
		if err != nil {
			t.Fatalf("function %s: %v", name, err)
		}
		f, err := ParseFunction(name, b)
		if err != nil {
			t.Fatalf("function %s: %v", name, err)
		}
		if got := f.Trigger().Type; got != trigger {
			t.Errorf("%s trigger = %s, want %s", name, got, trigger)
		}
	}
	rot, _ := os.ReadFile("../../functions/KeyVaultSecretRotation/function.json")
	f, _ := ParseFunction("KeyVaultSecretRotation", rot)
	if f.Trigger().Schedule != "%ROTATION_SCHEDULE%" || f.Trigger().RunOnStartup {
		t.Errorf("timer binding = %+v", f.Trigger())
	}
}

func TestParseFunctionRejects(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not json", `{`, "not valid JSON"},
		{"queue binding", `{"bindings":[{"type":"queueTrigger","direction":"in","name":"q"}]}`, "not supported"},
		{"no trigger", `{"bindings":[{"type":"http","direction":"out","name":"res"}]}`, "0 triggers"},
		{"two triggers", `{"bindings":[{"type":"timerTrigger","direction":"in","name":"a","schedule":"* * * * * *"},{"type":"timerTrigger","direction":"in","name":"b","schedule":"* * * * * *"}]}`, "2 triggers"},
		{"timer without schedule", `{"bindings":[{"type":"timerTrigger","direction":"in","name":"t"}]}`, "schedule"},
		{"bad auth level", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"root"},{"type":"http","direction":"out","name":"res"}]}`, "authLevel"},
		{"http without output", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req"}]}`, "http output"},
		{"bad route", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","route":"a/{b"},{"type":"http","direction":"out","name":"res"}]}`, "parameter"},
		{"unnamed", `{"bindings":[{"type":"timerTrigger","direction":"in","schedule":"x"}]}`, "no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFunction("F", []byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseHostRejects(t *testing.T) {
	for _, body := range []string{`{}`, `{"version":"1.0"}`, `{"version":"2.0"}`, `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"/bin/sh"}}}`, `[`} {
		if _, err := ParseHost([]byte(body)); err == nil {
			t.Errorf("ParseHost(%s) accepted", body)
		}
	}
}

func TestRouteMatch(t *testing.T) {
	tests := []struct {
		tmpl, path string
		ok         bool
		params     map[string]string
	}{
		{"health", "health", true, map[string]string{}},
		{"health", "HEALTH", true, map[string]string{}},
		{"health", "health/x", false, nil},
		{"jobs/{name}", "jobs/abc-1", true, map[string]string{"name": "abc-1"}},
		{"jobs/{name}", "jobs", false, nil},
		{"jobs/{name}", "jobs/a%20b", true, map[string]string{"name": "a b"}},
		{"jobs/{name}", "jobs/training/x", false, nil},
		{"items/{id:int?}", "items", true, map[string]string{}},
		{"items/{id:int?}", "items/12", true, map[string]string{"id": "12"}},
		{"items/{id:int?}", "items/x", false, nil},
		{"f/{*rest}", "f/a/b/c", true, map[string]string{"rest": "a/b/c"}},
		{"g/{id:guid}", "g/fa3b2fbc-26ed-4fcb-be75-82db8773b519", true, map[string]string{"id": "fa3b2fbc-26ed-4fcb-be75-82db8773b519"}},
		{"g/{id:guid}", "g/nope", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl+" "+tt.path, func(t *testing.T) {
			r, err := ParseRoute(tt.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			params, ok := r.Match(tt.path)
			if ok != tt.ok {
				t.Fatalf("Match = %v, want %v", ok, tt.ok)
			}
			for k, v := range tt.params {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
	for _, bad := range []string{"", "a//b", "a/{b?}/c", "a/{b:regex}", "{*a}/b"} {
		if _, err := ParseRoute(bad); err == nil {
			t.Errorf("ParseRoute(%q) accepted", bad)
		}
	}
}

// TestPackLayout takes the real handler (static linux/amd64), packs the app and
// checks the zip the way the Flex host would read it.
func TestPackLayout(t *testing.T) {
	dir := t.TempDir()
	exe := testbin.Path(t, "handler")
	out := filepath.Join(dir, "functionapp")
	zipPath := filepath.Join(dir, "functionapp.zip")
	app, err := Pack(PackOptions{SrcDir: "../..", Handler: exe, OutDir: out, Zip: zipPath})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Functions) != len(wantFunctions) {
		t.Errorf("packed %d functions, want %d", len(app.Functions), len(wantFunctions))
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		switch {
		case f.Name == "handler":
			if f.Mode().Perm() != 0o755 {
				t.Errorf("handler mode in zip = %v, want 0755", f.Mode().Perm())
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			ef, err := elf.NewFile(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("handler in zip is not ELF: %v", err)
			}
			if ef.Machine != elf.EM_X86_64 {
				t.Errorf("handler machine = %v, want x86-64", ef.Machine)
			}
			for _, p := range ef.Progs {
				if p.Type == elf.PT_INTERP {
					t.Error("handler is dynamically linked (has an ELF interpreter)")
				}
			}
		case strings.Contains(f.Name, "\\"):
			t.Errorf("zip entry %q uses backslashes", f.Name)
		}
	}
	want := []string{"host.json", "handler"}
	for name := range wantFunctions {
		want = append(want, name+"/function.json")
	}
	sort.Strings(want)
	sort.Strings(names)
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("zip entries = %v\nwant %v", names, want)
	}
}

func FuzzParseFunction(f *testing.F) {
	for name := range wantFunctions {
		b, err := os.ReadFile(filepath.Join("../../functions", name, "function.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fn, err := ParseFunction("F", b)
		if err != nil {
			return
		}
		if fn.IsHTTP() {
			if _, err := ParseRoute(fn.Trigger().Route); err != nil {
				t.Fatalf("accepted function with bad route: %v", err)
			}
		}
	})
}

func FuzzRouteMatch(f *testing.F) {
	f.Add("jobs/{name}", "jobs/x")
	f.Add("items/{id:int?}", "items/")
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		r, err := ParseRoute(tmpl)
		if err != nil {
			return
		}
		r.Match(path)
	})
}

func FuzzParseHost(f *testing.F) {
	b, err := os.ReadFile("../../host.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"../x"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHost(b)
		if err != nil {
			return
		}
		exe := h.CustomHandler.Description.DefaultExecutablePath
		if exe == "" || filepath.IsAbs(exe) || strings.Contains(exe, "..") {
			t.Fatalf("accepted executable path %q", exe)
		}
	})
}
