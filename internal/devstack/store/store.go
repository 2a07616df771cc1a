// Package store keeps the local stack's state on disk: folders are created
// on demand (mode 0700) and every file is replaced atomically through
// internal/atomicfile, so a crash leaves either the old or the new content,
// never a torn file.
package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/frogbridge/frogbridge/internal/atomicfile"
)

// PendingFile is a temporary file that becomes visible under its final name
// only when Commit succeeds (see atomicfile.File).
type PendingFile = atomicfile.File

// CreateTemp starts a pending file in dir, creating dir when needed.
func CreateTemp(dir string) (*PendingFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder %s: %w", dir, err)
	}
	return atomicfile.Create(dir)
}

// WriteFile atomically replaces path with data, creating its folder.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create state folder %s: %w", filepath.Dir(path), err)
	}
	return atomicfile.WriteFile(path, data, perm)
}

// WriteJSON atomically replaces path with the indented JSON encoding of v
// (mode 0600).
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
