package funcpkg

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/frogbridge/frogbridge/internal/atomicfile"
)

// PackOptions says where the app's sources are and where the package goes.
type PackOptions struct {
	// SrcDir holds host.json and functions/<Name>/function.json.
	SrcDir string
	// Handler is the custom handler executable (linux/amd64) to include.
	Handler string
	// OutDir receives the app folder; it is replaced if it exists.
	OutDir string
	// Zip, if set, receives the zip of OutDir's content.
	Zip string
	// AuthMode is the handler's AUTH_MODE the package is for (AuthKeys
	// when empty); AuthEntra and AuthBoth write anonymous HTTP functions.
	AuthMode string
}

// Pack lays out the function app the way the host scans it: host.json and
// every function folder at the root (flattened from functions/), and the
// handler executable under the name host.json gives, mode 0755. The result
// is loaded back and validated before Pack returns.
func Pack(o PackOptions) (*App, error) {
	if o.AuthMode != "" && !ValidAuthMode(o.AuthMode) {
		return nil, fmt.Errorf("auth mode %q is not %s, %s or %s", o.AuthMode, AuthKeys, AuthEntra, AuthBoth)
	}
	hostJSON, err := os.ReadFile(filepath.Join(o.SrcDir, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("read host.json: %w", err)
	}
	host, err := ParseHost(hostJSON)
	if err != nil {
		return nil, fmt.Errorf("host.json: %w", err)
	}
	if err := os.RemoveAll(o.OutDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.OutDir, "host.json"), hostJSON, 0o644); err != nil {
		return nil, err
	}
	fnDir := filepath.Join(o.SrcDir, "functions")
	entries, err := os.ReadDir(fnDir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", fnDir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fnDir, e.Name(), "function.json"))
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", e.Name(), err)
		}
		if _, err := ParseFunction(e.Name(), b); err != nil {
			return nil, fmt.Errorf("functions/%s/function.json: %w", e.Name(), err)
		}
		if b, err = withAuthMode(b, o.AuthMode); err != nil {
			return nil, fmt.Errorf("functions/%s/function.json: %w", e.Name(), err)
		}
		if err := os.MkdirAll(filepath.Join(o.OutDir, e.Name()), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(o.OutDir, e.Name(), "function.json"), b, 0o644); err != nil {
			return nil, err
		}
	}
	exe := filepath.Join(o.OutDir, filepath.FromSlash(host.CustomHandler.Description.DefaultExecutablePath))
	if err := copyFile(o.Handler, exe, 0o755); err != nil {
		return nil, fmt.Errorf("copy handler: %w", err)
	}
	app, err := Load(o.OutDir)
	if err != nil {
		return nil, err
	}
	if o.Zip != "" {
		if err := writeZip(o.OutDir, o.Zip, exe); err != nil {
			return nil, fmt.Errorf("write %s: %w", o.Zip, err)
		}
	}
	return app, nil
}

// copyFile copies src to dst with mode, replacing dst atomically.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = atomicfile.WriteFrom(dst, in, mode)
	return err
}

// writeZip zips dir with forward-slash names; the executable keeps mode
// 0755 in the zip's external attributes, every other file 0644.
func writeZip(dir, zipPath, exe string) error {
	f, err := atomicfile.Create(filepath.Dir(zipPath))
	if err != nil {
		return err
	}
	defer f.Abort()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate}
		mode := os.FileMode(0o644)
		if path == exe {
			mode = 0o755
		}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(w, in)
		return err
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Commit(zipPath, 0o644)
}
