package layout

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

const module = "github.com/frogbridge/frogbridge"

// devstackPrefix is the local stack's package tree: servers that stand in
// for Azure and JFrog. Only the devstack binary and tests may use them.
const devstackPrefix = module + "/internal/devstack"

// goPackage is the part of `go list -json` the checks read.
type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listPackages runs `go list -json` over the module's production code
// (test files are not part of Imports or Deps).
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = testbin.Root()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(&out)
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// mayUseDevstack reports whether a package is allowed to import the local
// stack: the stack itself and its binary.
func mayUseDevstack(path string) bool {
	return path == module+"/devstack" || path == devstackPrefix || strings.HasPrefix(path, devstackPrefix+"/")
}

// forbiddenDevstackImports lists, for each production package outside the
// local stack, the local-stack packages it depends on (directly or not).
func forbiddenDevstackImports(pkgs []goPackage) map[string][]string {
	bad := map[string][]string{}
	for _, p := range pkgs {
		if mayUseDevstack(p.ImportPath) {
			continue
		}
		for _, d := range p.Deps {
			if d == devstackPrefix || strings.HasPrefix(d, devstackPrefix+"/") {
				bad[p.ImportPath] = append(bad[p.ImportPath], d)
			}
		}
	}
	return bad
}

// TestProductionDoesNotImportDevstack keeps the local stack out of the
// handler, the trainer and every library they use: one binary, two worlds,
// switched by configuration only.
func TestProductionDoesNotImportDevstack(t *testing.T) {
	for pkg, deps := range forbiddenDevstackImports(listPackages(t)) {
		t.Errorf("%s depends on the local stack (%s): production code must not import internal/devstack", pkg, strings.Join(deps, ", "))
	}
}

// TestForbiddenDevstackImportsDetects proves the check can fail: a
// production package that depends on the local stack is reported.
func TestForbiddenDevstackImportsDetects(t *testing.T) {
	pkgs := []goPackage{
		{ImportPath: module + "/handler", Deps: []string{module + "/internal/jobs", devstackPrefix + "/localvault"}},
		{ImportPath: module + "/devstack", Deps: []string{devstackPrefix + "/localvault"}},
		{ImportPath: devstackPrefix + "/localjfrog", Deps: []string{devstackPrefix + "/store"}},
		{ImportPath: module + "/internal/devstackish", Deps: []string{module + "/internal/devstackish/x"}},
	}
	bad := forbiddenDevstackImports(pkgs)
	if len(bad) != 1 || len(bad[module+"/handler"]) != 1 {
		t.Fatalf("forbiddenDevstackImports = %v, want only the handler's import", bad)
	}
}

// handlerMustNotLink are packages the handler has no use for: the trainer's
// numerics would only add to every cold start.
var handlerMustNotLink = []string{"gonum.org/v1/gonum", module + "/internal/ml", module + "/internal/onnx", module + "/internal/dataset"}

// forbiddenHandlerDeps lists the dependencies of the handler's package that
// fall under handlerMustNotLink.
func forbiddenHandlerDeps(pkgs []goPackage) []string {
	var bad []string
	for _, p := range pkgs {
		if p.ImportPath != module+"/handler" {
			continue
		}
		for _, d := range p.Deps {
			for _, prefix := range handlerMustNotLink {
				if d == prefix || strings.HasPrefix(d, prefix+"/") {
					bad = append(bad, d)
				}
			}
		}
	}
	return bad
}

// TestHandlerLinksNoTrainerCode keeps the handler's binary (and its cold
// start) free of the trainer's numerics; shared names live in jobspec.
func TestHandlerLinksNoTrainerCode(t *testing.T) {
	if bad := forbiddenHandlerDeps(listPackages(t)); len(bad) > 0 {
		t.Errorf("the handler depends on %s: move what it needs into internal/jobspec", strings.Join(bad, ", "))
	}
	if bad := forbiddenHandlerDeps([]goPackage{{ImportPath: module + "/handler", Deps: []string{module + "/internal/ml", "gonum.org/v1/gonum/mat", module + "/internal/jobspec"}}}); len(bad) != 2 {
		t.Errorf("forbiddenHandlerDeps = %v, want the two trainer packages", bad)
	}
}
