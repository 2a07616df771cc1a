package localjfrog

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// checksums are lower-case hex digests; empty means unknown or not given.
type checksums struct {
	Sha256 string `json:"sha256,omitempty"`
	Sha1   string `json:"sha1,omitempty"`
	Md5    string `json:"md5,omitempty"`
}

// blobStore keeps artifact content addressed by SHA-256, one file per blob.
type blobStore struct {
	dir string
}

func openBlobStore(dir string) (*blobStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create blob folder %s: %w", dir, err)
	}
	return &blobStore{dir: dir}, nil
}

// ingested is uploaded content in a temporary file, hashed while written.
type ingested struct {
	pending *store.PendingFile
	sums    checksums
	size    int64
}

// copyBufSize is the streaming buffer; memory per upload is constant.
const copyBufSize = 256 << 10

// ingest streams r into a temporary blob file, hashing it on the way.
func (b *blobStore) ingest(r io.Reader) (*ingested, error) {
	p, err := store.CreateTemp(b.dir)
	if err != nil {
		return nil, err
	}
	h256, h1, h5 := sha256.New(), sha1.New(), md5.New()
	n, err := io.CopyBuffer(io.MultiWriter(p, h256, h1, h5), r, make([]byte, copyBufSize))
	if err != nil {
		p.Abort()
		return nil, err
	}
	return &ingested{
		pending: p,
		size:    n,
		sums: checksums{
			Sha256: hex.EncodeToString(h256.Sum(nil)),
			Sha1:   hex.EncodeToString(h1.Sum(nil)),
			Md5:    hex.EncodeToString(h5.Sum(nil)),
		},
	}, nil
}

// commit makes the ingested content the blob for its SHA-256; when that
// blob already exists the temporary file is dropped.
func (b *blobStore) commit(in *ingested) error {
	if b.has(in.sums.Sha256) {
		return in.pending.Abort()
	}
	return in.pending.Commit(b.path(in.sums.Sha256), 0o600)
}

func (b *blobStore) path(sha string) string { return filepath.Join(b.dir, sha) }

// has reports whether the blob exists; a malformed digest never does.
func (b *blobStore) has(sha string) bool {
	if !isHex(sha, 64) {
		return false
	}
	_, err := os.Stat(b.path(sha))
	return err == nil
}

func (b *blobStore) open(sha string) (*os.File, error) {
	if !isHex(sha, 64) {
		return nil, fmt.Errorf("blob %q: %w", sha, os.ErrNotExist)
	}
	return os.Open(b.path(sha))
}

func (b *blobStore) remove(sha string) error {
	if !isHex(sha, 64) {
		return nil
	}
	err := os.Remove(b.path(sha))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// names lists the blob and temporary files on disk.
func (b *blobStore) names() ([]string, error) {
	ents, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// collectGarbage removes temporary files left by a crash and blobs no
// file refers to, and forgets their checksums. It runs at start.
func (s *Server) collectGarbage() error {
	names, err := s.blobs.names()
	if err != nil {
		return err
	}
	var stale []string
	s.art.view(func(a *artState) {
		refs := a.refs()
		for _, n := range names {
			if !isHex(n, 64) || !refs[n] {
				stale = append(stale, n)
			}
		}
	})
	for _, n := range stale {
		if err := os.Remove(filepath.Join(s.blobs.dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale blob %s: %w", n, err)
		}
	}
	return s.art.update(func(a *artState) error {
		refs := a.refs()
		for sha := range a.Blobs {
			if !refs[sha] || !s.blobs.has(sha) {
				delete(a.Blobs, sha)
			}
		}
		return nil
	})
}

// dropBlobs removes the given blobs when no file refers to them any more.
// It runs as a state update so that no deploy can start using a blob while
// it is removed; a blob entry whose file is gone is harmless, since every
// reader checks the file.
func (s *Server) dropBlobs(shas []string) {
	if len(shas) == 0 {
		return
	}
	err := s.art.update(func(a *artState) error {
		refs := a.refs()
		for _, sha := range shas {
			if refs[sha] {
				continue
			}
			if err := s.blobs.remove(sha); err != nil {
				return err
			}
			delete(a.Blobs, sha)
		}
		return nil
	})
	if err != nil {
		s.log.Warn().Err(err).Msg("remove unreferenced blobs")
	}
}
