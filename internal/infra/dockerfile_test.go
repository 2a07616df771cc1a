package infra

import (
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// jobCommands are the commands the handler submits to AzureML (design:
// Training and Deployment flows); the image must resolve their first word.
var jobCommands = []string{
	"trainer train --metadata-dir ${{outputs.metadata}}",
	"trainer infer --model-name iris-classifier --model-version 1 --inference-results-dir ${{outputs.inference_results}}",
}

// debianPath is the PATH of the Debian base images when no ENV sets one.
const debianPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// secretName matches ARG and ENV names that would put a credential in the
// image metadata or build history.
var secretName = regexp.MustCompile(`(?i)(token|secret|passw|credential|netrc|api_?key|access_?key|private_?key|auth)`)

// userinfo matches a URL that carries credentials.
var userinfo = regexp.MustCompile(`://[^/\s@]+@`)

// stage is one FROM section of a Dockerfile.
type stage struct {
	from  string
	name  string
	nodes []*parser.Node
}

// keyValues returns the name/value pairs of an ARG, ENV or LABEL node. The
// parser gives ENV and LABEL as (name, value, separator) triples and ARG as
// NAME[=value] words.
func keyValues(n *parser.Node) [][2]string {
	words := instruction(n)
	var out [][2]string
	if strings.EqualFold(n.Value, "arg") {
		for _, w := range words {
			name, value, _ := strings.Cut(w, "=")
			out = append(out, [2]string{name, value})
		}
		return out
	}
	for i := 0; i+1 < len(words); i += 3 {
		out = append(out, [2]string{words[i], words[i+1]})
	}
	return out
}

// instruction returns the words of a node after the instruction keyword.
func instruction(n *parser.Node) []string {
	var words []string
	for w := n.Next; w != nil; w = w.Next {
		words = append(words, w.Value)
	}
	return words
}

// checkDockerfile parses a Dockerfile and returns every way it breaks the
// rules for the trainer image; nil means it passes.
func checkDockerfile(r io.Reader, commands []string) ([]string, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return nil, err
	}
	var (
		problems []string
		globals  = map[string]bool{}
		stages   []*stage
	)
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	for _, n := range res.AST.Children {
		n.Value = strings.ToLower(n.Value)
		words := instruction(n)
		switch n.Value {
		case "from":
			s := &stage{}
			if len(words) > 0 {
				s.from = words[0]
			}
			if len(words) == 3 && strings.EqualFold(words[1], "as") {
				s.name = words[2]
			}
			stages = append(stages, s)
			continue
		case "arg", "env":
			for _, kv := range keyValues(n) {
				name, value := kv[0], kv[1]
				if secretName.MatchString(name) {
					add("%s %s at line %d looks like a credential: mount it as a BuildKit secret instead", strings.ToUpper(n.Value), name, n.StartLine)
				}
				if userinfo.MatchString(value) {
					add("%s %s at line %d carries credentials in a URL", strings.ToUpper(n.Value), name, n.StartLine)
				}
				if n.Value == "arg" && len(stages) == 0 {
					globals[name] = true
				}
			}
		}
		if len(stages) > 0 {
			stages[len(stages)-1].nodes = append(stages[len(stages)-1].nodes, n)
		}
	}

	if len(stages) < 2 {
		add("want a multi-stage build (builder and final stage), found %d stage(s)", len(stages))
		return problems, nil
	}
	if stages[0].from != "${GO_IMAGE}" || !globals["GO_IMAGE"] {
		add("the builder stage must be FROM ${GO_IMAGE} with a global ARG GO_IMAGE, got FROM %s", stages[0].from)
	}
	final := stages[len(stages)-1]
	if final.from != "${BASE_IMAGE}" || !globals["BASE_IMAGE"] {
		add("the final stage must be FROM ${BASE_IMAGE} with a global ARG BASE_IMAGE, got FROM %s", final.from)
	}

	// Module credentials: a RUN of the builder stages mounts a secret and
	// downloads modules.
	secretMount := false
	for _, s := range stages[:len(stages)-1] {
		for _, n := range s.nodes {
			if n.Value != "run" {
				continue
			}
			for _, f := range n.Flags {
				if strings.HasPrefix(f, "--mount=") && strings.Contains(f, "type=secret") &&
					strings.Contains(strings.Join(instruction(n), " "), "go mod download") {
					secretMount = true
				}
			}
		}
	}
	if !secretMount {
		add("no RUN --mount=type=secret ... go mod download in the builder: module credentials must come from a BuildKit secret")
	}
	for _, n := range final.nodes {
		for _, f := range n.Flags {
			if strings.Contains(f, "type=secret") {
				add("the final stage mounts a secret at line %d", n.StartLine)
			}
		}
	}

	// Final stage: non-root user, trainer on PATH, CA certificates, labels.
	user := ""
	pathEnv := debianPath
	trainerDirs := map[string]bool{}
	caCerts := false
	labels := map[string]bool{}
	for _, n := range final.nodes {
		words := instruction(n)
		switch n.Value {
		case "user":
			if len(words) > 0 {
				user = words[0]
			}
		case "env":
			for _, kv := range keyValues(n) {
				if kv[0] == "PATH" {
					pathEnv = kv[1]
				}
			}
		case "copy":
			if len(words) >= 2 {
				dest := words[len(words)-1]
				for _, src := range words[:len(words)-1] {
					if path.Base(src) == "trainer" || path.Base(dest) == "trainer" {
						trainerDirs[path.Dir(dest)] = path.Base(dest) == "trainer"
					}
					if strings.Contains(src, "ca-certificates") {
						caCerts = true
					}
				}
			}
		case "run":
			if strings.Contains(strings.Join(words, " "), "ca-certificates") {
				caCerts = true
			}
		case "label":
			for _, kv := range keyValues(n) {
				labels[kv[0]] = true
			}
		case "entrypoint":
			add("the final stage sets ENTRYPOINT at line %d; AzureML runs the job command itself", n.StartLine)
		}
	}
	switch uid, _, _ := strings.Cut(user, ":"); uid {
	case "":
		add("the final stage has no USER: it must run as a non-root user")
	case "root", "0":
		add("the final stage runs as root (USER %s)", user)
	}
	if !caCerts {
		add("the final stage carries no CA certificates")
	}
	for _, l := range []string{"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.revision"} {
		if !labels[l] {
			add("the final stage lacks the OCI label %s", l)
		}
	}
	onPath := map[string]bool{}
	for _, dir := range strings.Split(pathEnv, ":") {
		onPath[path.Clean(dir)] = true
	}
	for _, cmd := range commands {
		bin := strings.Fields(cmd)[0]
		found := false
		for dir, named := range trainerDirs {
			if named && bin == "trainer" && onPath[path.Clean(dir)] {
				found = true
			}
		}
		if !found {
			add("the job command %q needs %s in a PATH directory of the final stage (PATH=%s)", cmd, bin, pathEnv)
		}
	}
	return problems, nil
}

// jobsDir holds the handler's job submission code.
const jobsDir = "../jobs"

// submittedCommands returns the string literals in the handler's job code
// (internal/jobs, tests excluded) that start a command with the trainer
// binary, so the image check follows the code that submits the jobs.
func submittedCommands(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(dir + "/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && (s == "trainer" || strings.HasPrefix(s, "trainer ")) {
				out = append(out, s)
			}
			return true
		})
	}
	return out
}

func TestDockerfile(t *testing.T) {
	f, err := os.Open(dockerDir + "/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	commands := append(append([]string(nil), jobCommands...), submittedCommands(t, jobsDir)...)
	problems, err := checkDockerfile(f, commands)
	if err != nil {
		t.Fatalf("parse docker/Dockerfile: %v", err)
	}
	for _, p := range problems {
		t.Errorf("docker/Dockerfile: %s", p)
	}
}

func TestSubmittedCommands(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"submit.go":      "package jobs\n\nconst train = \"trainer train --metadata-dir ${{outputs.metadata}}\"\n\nvar other = `python run.py`\nvar bin = []string{\"trainer\", \"infer\"}\n",
		"submit_test.go": "package jobs\n\nconst fake = \"trainer fake\"\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(submittedCommands(t, dir), "|")
	if want := "trainer train --metadata-dir ${{outputs.metadata}}|trainer"; got != want {
		t.Errorf("commands = %q, want %q", got, want)
	}
}

// TestDockerfileChecks feeds broken Dockerfiles to the checker, so every
// rule is shown to fail when broken.
func TestDockerfileChecks(t *testing.T) {
	good := `ARG GO_IMAGE
ARG BASE_IMAGE
FROM ${GO_IMAGE} AS build
RUN --mount=type=secret,id=netrc,target=/run/secrets/netrc NETRC=/run/secrets/netrc go mod download
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.source=s org.opencontainers.image.version=v org.opencontainers.image.revision=r
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/trainer /usr/local/bin/trainer
USER 10001:10001
`
	tests := []struct {
		name string
		src  string
		want string // substring of a problem; "" means no problem
	}{
		{"good", good, ""},
		{"single stage", "FROM x\nUSER 1\n", "multi-stage"},
		{"token arg", strings.Replace(good, "ARG BASE_IMAGE", "ARG BASE_IMAGE\nARG JFROG_TOKEN", 1), "JFROG_TOKEN"},
		{"password env", strings.Replace(good, "USER 10001", "ENV ARTIFACTORY_PASSWORD=x\nUSER 10001", 1), "ARTIFACTORY_PASSWORD"},
		{"url credentials", strings.Replace(good, "ARG GO_IMAGE", "ARG GOPROXY_URL=https://u:p@host/go", 1), "credentials in a URL"},
		{"no secret mount", strings.Replace(good, "--mount=type=secret,id=netrc,target=/run/secrets/netrc ", "", 1), "BuildKit secret"},
		{"root user", strings.Replace(good, "USER 10001:10001", "USER root", 1), "runs as root"},
		{"uid 0", strings.Replace(good, "USER 10001:10001", "USER 0:0", 1), "runs as root"},
		{"no user", strings.Replace(good, "USER 10001:10001\n", "", 1), "no USER"},
		{"trainer off path", strings.Replace(good, "/usr/local/bin/trainer", "/opt/app/trainer", 1), "PATH directory"},
		{"path without bin", good + "ENV PATH=/opt/bin\n", "PATH directory"},
		{"no ca", strings.Replace(good, "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n", "", 1), "CA certificates"},
		{"no labels", strings.Replace(good, "LABEL", "# LABEL", 1), "OCI label"},
		{"entrypoint", good + "ENTRYPOINT [\"trainer\"]\n", "ENTRYPOINT"},
		{"wrong base", strings.Replace(good, "FROM ${BASE_IMAGE}", "FROM debian", 1), "BASE_IMAGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := checkDockerfile(strings.NewReader(tt.src), jobCommands)
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(problems, "\n")
			if tt.want == "" {
				if len(problems) > 0 {
					t.Errorf("unexpected problems:\n%s", joined)
				}
				return
			}
			if !strings.Contains(joined, tt.want) {
				t.Errorf("want a problem mentioning %q, got:\n%s", tt.want, joined)
			}
		})
	}
}

func FuzzCheckDockerfile(f *testing.F) {
	if src, err := os.ReadFile(dockerDir + "/Dockerfile"); err == nil {
		f.Add(string(src))
	}
	f.Add("FROM a AS b\nFROM c\nUSER\n")
	f.Add("ARG\nENV A\nCOPY x\nLABEL a\n")
	f.Fuzz(func(t *testing.T, src string) {
		// Any input either fails to parse or yields a list of problems;
		// the checker must not panic on partial instructions.
		_, _ = checkDockerfile(strings.NewReader(src), jobCommands)
	})
}
