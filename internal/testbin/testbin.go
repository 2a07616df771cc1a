// Package testbin gives end-to-end tests the suite's real binaries. When
// FROGBRIDGE_BIN_DIR names a folder (make test sets it to bin/, built by
// make build), the binaries there are used; otherwise each binary is built
// once per test process into a temporary folder with the same flags as the
// Makefile (static, CGO_ENABLED=0, -trimpath).
package testbin

import (
	"fmt"
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
	p, err := Build(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Build is Path for code that runs outside a test, such as TestMain.
func Build(name string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[name]; ok {
		return p, nil
	}
	if d := os.Getenv("FROGBRIDGE_BIN_DIR"); d != "" {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("FROGBRIDGE_BIN_DIR=%s has no %s (run make build): %w", d, name, err)
		}
		abs, _ := filepath.Abs(p)
		built[name] = abs
		return abs, nil
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "frogbridge-testbin-")
		if err != nil {
			return "", err
		}
		dir = d
	}
	p := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", p, "github.com/frogbridge/frogbridge/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", name, err, out)
	}
	built[name] = p
	return p, nil
}

// RepoRoot returns the module's root folder.
func RepoRoot(t testing.TB) string { return Root() }

// Root returns the module's root folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
