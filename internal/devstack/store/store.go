// Package store writes the local stack's state to disk atomically: every
// file is written to a temporary file in the same folder, synced, and renamed
// over its final name, so a crash leaves either the old or the new content,
// never a torn file.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PendingFile is a temporary file that becomes visible under its final name
// only when Commit succeeds. A PendingFile is not safe for concurrent use.
type PendingFile struct {
	f    *os.File
	dir  string
	done bool
}

// CreateTemp starts a pending file in dir, creating dir when needed.
func CreateTemp(dir string) (*PendingFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	return &PendingFile{f: f, dir: dir}, nil
}

// Write appends b to the pending file.
func (p *PendingFile) Write(b []byte) (int, error) { return p.f.Write(b) }

// Name returns the temporary file's path.
func (p *PendingFile) Name() string { return p.f.Name() }

// Commit syncs the pending file and renames it to path, which must be in the
// folder given to CreateTemp, then syncs the folder.
func (p *PendingFile) Commit(path string, perm os.FileMode) error {
	if p.done {
		return errors.New("store: pending file already committed or aborted")
	}
	p.done = true
	if filepath.Clean(filepath.Dir(path)) != filepath.Clean(p.dir) {
		p.f.Close()
		os.Remove(p.f.Name())
		return fmt.Errorf("store: %s is not in %s", path, p.dir)
	}
	if err := p.f.Chmod(perm); err != nil {
		p.f.Close()
		os.Remove(p.f.Name())
		return fmt.Errorf("chmod %s: %w", p.f.Name(), err)
	}
	if err := p.f.Sync(); err != nil {
		p.f.Close()
		os.Remove(p.f.Name())
		return fmt.Errorf("sync %s: %w", p.f.Name(), err)
	}
	if err := p.f.Close(); err != nil {
		os.Remove(p.f.Name())
		return fmt.Errorf("close %s: %w", p.f.Name(), err)
	}
	if err := os.Rename(p.f.Name(), path); err != nil {
		os.Remove(p.f.Name())
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return syncDir(p.dir)
}

// Abort discards the pending file. Calling Abort after Commit does nothing,
// so `defer p.Abort()` is the usual pattern.
func (p *PendingFile) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.f.Close()
	return os.Remove(p.f.Name())
}

// WriteFile atomically replaces path with data.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	p, err := CreateTemp(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer p.Abort()
	if _, err := p.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return p.Commit(path, perm)
}

// WriteFrom atomically replaces path with everything read from r and returns
// the number of bytes written. Memory use does not depend on the size of r.
func WriteFrom(path string, r io.Reader, perm os.FileMode) (int64, error) {
	p, err := CreateTemp(filepath.Dir(path))
	if err != nil {
		return 0, err
	}
	defer p.Abort()
	n, err := io.Copy(p, r)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	return n, p.Commit(path, perm)
}

// WriteJSON atomically replaces path with the indented JSON encoding of v.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFile(path, append(b, '\n'), 0o600)
}

// ReadJSON decodes the JSON file at path into v. A missing file yields an
// error that matches os.ErrNotExist.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
