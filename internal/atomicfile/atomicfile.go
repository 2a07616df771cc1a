// Package atomicfile replaces files so that a reader, or a process started
// after a crash, sees either the old content or the new one, never a torn
// file: the content goes to a temporary file in the destination's folder,
// which is synced, renamed over the destination, and the folder synced so
// the rename itself survives a power loss.
//
// It is the one implementation of that sequence in the module: the trainer
// writes its model files with it and the local stack its state.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// File is a temporary file that becomes visible under its final name only
// when Commit succeeds. A File is not safe for concurrent use.
type File struct {
	f    *os.File
	dir  string
	done bool
}

// Create starts a temporary file in dir, which must exist. The file is
// named so that listings can tell it apart (".tmp-" prefix).
func Create(dir string) (*File, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	return &File{f: f, dir: dir}, nil
}

// Write appends b to the temporary file.
func (p *File) Write(b []byte) (int, error) { return p.f.Write(b) }

// Name returns the temporary file's path.
func (p *File) Name() string { return p.f.Name() }

// Commit sets perm, syncs the temporary file and renames it to path, which
// must be in the folder given to Create, then syncs the folder. On error
// the temporary file is removed and path is unchanged.
func (p *File) Commit(path string, perm os.FileMode) error {
	if p.done {
		return errors.New("atomicfile: file already committed or aborted")
	}
	p.done = true
	fail := func(err error) error {
		p.f.Close()
		os.Remove(p.f.Name())
		return err
	}
	if filepath.Clean(filepath.Dir(path)) != filepath.Clean(p.dir) {
		return fail(fmt.Errorf("atomicfile: %s is not in %s", path, p.dir))
	}
	if err := p.f.Chmod(perm); err != nil {
		return fail(fmt.Errorf("write %s: chmod: %w", path, err))
	}
	if err := p.f.Sync(); err != nil {
		return fail(fmt.Errorf("write %s: sync: %w", path, err))
	}
	if err := p.f.Close(); err != nil {
		os.Remove(p.f.Name())
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err := os.Rename(p.f.Name(), path); err != nil {
		os.Remove(p.f.Name())
		return fmt.Errorf("write %s: rename: %w", path, err)
	}
	return syncDir(p.dir)
}

// Abort discards the temporary file. Calling Abort after Commit does
// nothing, so `defer f.Abort()` is the usual pattern.
func (p *File) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.f.Close()
	return os.Remove(p.f.Name())
}

// WriteFile atomically replaces path with data; the folder must exist.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	p, err := Create(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer p.Abort()
	if _, err := p.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return p.Commit(path, perm)
}

// WriteFrom atomically replaces path with everything read from r and
// returns the number of bytes written. Memory use does not depend on the
// size of r.
func WriteFrom(path string, r io.Reader, perm os.FileMode) (int64, error) {
	p, err := Create(filepath.Dir(path))
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

// syncDir persists a rename in dir. File systems that cannot sync a folder
// (EINVAL, as some FUSE mounts answer) are accepted: there the rename is
// as durable as the file system makes it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
