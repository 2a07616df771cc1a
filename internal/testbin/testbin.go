// Package testbin gives end-to-end tests the suite's real binaries. When
// FROGBRIDGE_BIN_DIR names a folder (make test sets it to bin/, built by
// make build), the binaries there are used; otherwise each binary is built
// once per test process into a temporary folder with the same flags as the
// Makefile (static, CGO_ENABLED=0, -trimpath).
package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	dir   string
	built = map[string]string{}
)

// Path returns the path of the named binary ("handler", "trainer",
// "devstack"), building it if needed. It fails the test when the binary
// cannot be had.
func Path(t testing.TB, name string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if d := os.Getenv("FROGBRIDGE_BIN_DIR"); d != "" {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FROGBRIDGE_BIN_DIR=%s has no %s (run make build): %v", d, name, err)
		}
		abs, _ := filepath.Abs(p)
		built[name] = abs
		return abs
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "frogbridge-testbin-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	p := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", p, "github.com/frogbridge/frogbridge/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	built[name] = p
	return p
}

// RepoRoot returns the module's root folder.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
