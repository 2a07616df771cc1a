// Package funcpkg reads and writes a function app in the layout the Azure
// Functions host scans: host.json at the root, one folder per function
// holding its function.json, and the custom handler executable. It is the
// one place that parses these files, for `devstack package` and for the
// local Functions host.
package funcpkg

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// HostConfig is the part of host.json the suite relies on.
type HostConfig struct {
	Version         string          `json:"version"`
	FunctionTimeout string          `json:"functionTimeout"`
	CustomHandler   CustomHandler   `json:"customHandler"`
	ExtensionBundle ExtensionBundle `json:"extensionBundle"`
	Extensions      struct {
		HTTP struct {
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
	} `json:"extensions"`
}

// CustomHandler is host.json's customHandler section.
type CustomHandler struct {
	Description struct {
		DefaultExecutablePath string   `json:"defaultExecutablePath"`
		WorkingDirectory      string   `json:"workingDirectory"`
		Arguments             []string `json:"arguments"`
	} `json:"description"`
	EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
}

// ExtensionBundle is host.json's extensionBundle section.
type ExtensionBundle struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// RoutePrefix returns the HTTP route prefix ("api" unless host.json says
// otherwise).
func (h HostConfig) RoutePrefix() string {
	if p := h.Extensions.HTTP.RoutePrefix; p != nil {
		return strings.Trim(*p, "/")
	}
	return "api"
}

// Binding is one entry of a function.json's bindings.
type Binding struct {
	Type         string   `json:"type"`
	Direction    string   `json:"direction"`
	Name         string   `json:"name"`
	AuthLevel    string   `json:"authLevel,omitempty"`
	Methods      []string `json:"methods,omitempty"`
	Route        string   `json:"route,omitempty"`
	Schedule     string   `json:"schedule,omitempty"`
	RunOnStartup bool     `json:"runOnStartup,omitempty"`
	UseMonitor   *bool    `json:"useMonitor,omitempty"`
}

// Function is one function of the app.
type Function struct {
	Name     string
	Bindings []Binding
}

// Trigger returns the function's trigger binding.
func (f Function) Trigger() Binding {
	for _, b := range f.Bindings {
		if strings.HasSuffix(b.Type, "Trigger") {
			return b
		}
	}
	return Binding{}
}

// IsHTTP reports whether the function is an HTTP trigger with an http
// output, the shape the host forwards raw requests to.
func (f Function) IsHTTP() bool { return f.Trigger().Type == "httpTrigger" }

// App is a function app folder.
type App struct {
	Dir       string
	Host      HostConfig
	Functions []Function
}

// Function returns the function named name.
func (a *App) Function(name string) (Function, bool) {
	for _, f := range a.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

var functionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,127}$`)

// Load reads host.json and every <Name>/function.json directly under dir,
// and validates them. Folders without a function.json are ignored, as the
// host ignores them.
func Load(dir string) (*App, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("function app folder %s: %w", dir, err)
	}
	dir = abs
	a := &App{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("read host.json of the function app: %w", err)
	}
	if a.Host, err = ParseHost(b); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "host.json"), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list function app %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name(), "function.json")
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		f, err := ParseFunction(e.Name(), b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		a.Functions = append(a.Functions, f)
	}
	if len(a.Functions) == 0 {
		return nil, fmt.Errorf("function app %s has no <Name>/function.json", dir)
	}
	sort.Slice(a.Functions, func(i, j int) bool { return a.Functions[i].Name < a.Functions[j].Name })
	return a, nil
}

// ParseHost parses and validates host.json for a custom-handler app.
func ParseHost(b []byte) (HostConfig, error) {
	var h HostConfig
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("not valid JSON: %w", err)
	}
	if h.Version != "2.0" {
		return h, fmt.Errorf(`"version" is %q, want "2.0"`, h.Version)
	}
	exe := h.CustomHandler.Description.DefaultExecutablePath
	if exe == "" {
		return h, errors.New(`customHandler.description.defaultExecutablePath is missing`)
	}
	if filepath.IsAbs(exe) || strings.Contains(exe, "..") {
		return h, fmt.Errorf("defaultExecutablePath %q must be a path inside the app", exe)
	}
	return h, nil
}

var knownAuthLevels = map[string]bool{"anonymous": true, "function": true, "admin": true}

// ParseFunction parses and validates one function.json. It refuses binding
// types and shapes the suite does not use, so a typo fails loudly.
func ParseFunction(name string, b []byte) (Function, error) {
	f := Function{Name: name}
	if !functionName.MatchString(name) {
		return f, fmt.Errorf("function name %q is not valid", name)
	}
	var doc struct {
		Bindings []Binding `json:"bindings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return f, fmt.Errorf("not valid JSON: %w", err)
	}
	f.Bindings = doc.Bindings
	var triggers int
	for i, bd := range f.Bindings {
		if bd.Name == "" {
			return f, fmt.Errorf("binding %d has no name", i)
		}
		switch bd.Type {
		case "timerTrigger":
			triggers++
			if bd.Direction != "in" || strings.TrimSpace(bd.Schedule) == "" {
				return f, fmt.Errorf("timerTrigger %q needs direction in and a schedule", bd.Name)
			}
		case "httpTrigger":
			triggers++
			if bd.Direction != "in" {
				return f, fmt.Errorf("httpTrigger %q needs direction in", bd.Name)
			}
			lvl := strings.ToLower(bd.AuthLevel)
			if lvl == "" {
				lvl = "function"
			}
			if !knownAuthLevels[lvl] {
				return f, fmt.Errorf("httpTrigger %q has unknown authLevel %q", bd.Name, bd.AuthLevel)
			}
			f.Bindings[i].AuthLevel = lvl
			for j, m := range bd.Methods {
				f.Bindings[i].Methods[j] = strings.ToUpper(m)
			}
			if bd.Route == "" {
				f.Bindings[i].Route = name
			}
			if _, err := ParseRoute(f.Bindings[i].Route); err != nil {
				return f, err
			}
		case "http":
			if bd.Direction != "out" {
				return f, fmt.Errorf("http binding %q must be direction out", bd.Name)
			}
		default:
			return f, fmt.Errorf("binding type %q is not supported by this app (timerTrigger, httpTrigger, http)", bd.Type)
		}
	}
	if triggers != 1 {
		return f, fmt.Errorf("function has %d triggers, want exactly 1", triggers)
	}
	if f.IsHTTP() {
		var out int
		for _, bd := range f.Bindings {
			if bd.Type == "http" {
				out++
			}
		}
		if out != 1 || len(f.Bindings) != 2 {
			return f, errors.New("an HTTP function needs exactly one httpTrigger and one http output (request forwarding)")
		}
	}
	return f, nil
}
