package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	for _, content := range []string{"first, longer", "second"} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	assertOnly(t, dir, "out.json")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode())
	}
}

func TestWriteFileMissingFolder(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "missing", "x"), []byte("x"), 0o644)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("write into a missing folder: %v, want an error matching os.ErrNotExist", err)
	}
}

func TestWriteFrom(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "blob")
	n, err := WriteFrom(path, strings.NewReader("streamed"), 0o644)
	if err != nil || n != int64(len("streamed")) {
		t.Fatalf("WriteFrom = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "streamed" {
		t.Fatalf("content %q", b)
	}
	assertOnly(t, dir, "blob")
}

func TestAbortKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("half-written new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("before commit the file reads %q, want the old content", b)
	}
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after abort the file reads %q", b)
	}
	assertOnly(t, dir, "state")
	if err := p.Commit(path, 0o600); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if err := p.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
}

func TestCommitOutsideFolder(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	p, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(filepath.Join(other, "x"), 0o600); err == nil {
		t.Fatal("commit into another folder succeeded")
	}
	assertOnly(t, dir)
	assertOnly(t, other)
}

// assertOnly fails unless dir holds exactly names (no temporary file left).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}
