package localvault

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// On-disk layout below the data folder:
//
//	secrets/<name>/<seq:020d>-<version>.json   one file per version
//	secrets/<name>/deleted.json                present while soft-deleted
//
// Every file is written with store (temporary file, fsync, rename, fsync of
// the folder), so a crash leaves each version either complete or absent.
const (
	secretsDir  = "secrets"
	deletedFile = "deleted.json"
)

// Sentinel errors of the secret store.
var (
	errNotFound = errors.New("secret not found")
	errDeleted  = errors.New("secret is deleted but recoverable")
	errNotDel   = errors.New("secret is not deleted")
)

// attributes are a version's attributes; times are Unix seconds.
type attributes struct {
	Enabled *bool  `json:"enabled,omitempty"`
	NotBef  *int64 `json:"nbf,omitempty"`
	Expires *int64 `json:"exp,omitempty"`
	Created int64  `json:"created"`
	Updated int64  `json:"updated"`
}

// record is one stored secret version.
type record struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Seq         int64             `json:"seq"`
	Value       string            `json:"value"`
	ContentType *string           `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Attributes  attributes        `json:"attributes"`
}

// deletion is the soft-delete marker.
type deletion struct {
	DeletedDate        int64 `json:"deletedDate"`
	ScheduledPurgeDate int64 `json:"scheduledPurgeDate"`
}

// secretStore keeps secret versions in a folder. It is safe for concurrent
// use within one process.
type secretStore struct {
	mu  sync.RWMutex
	dir string
	now func() time.Time
}

func newSecretStore(dir string, now func() time.Time) (*secretStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, secretsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create vault folder: %w", err)
	}
	return &secretStore{dir: dir, now: now}, nil
}

func (s *secretStore) secretDir(name string) string {
	return filepath.Join(s.dir, secretsDir, strings.ToLower(name))
}

// set stores a new version of name.
func (s *secretStore) set(name, value string, contentType *string, tags map[string]string, attrs attributes) (record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.secretDir(name)
	if _, err := os.Stat(filepath.Join(dir, deletedFile)); err == nil {
		return record{}, errDeleted
	}
	versions, err := s.versionFiles(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return record{}, err
	}
	var seq int64 = 1
	if len(versions) > 0 {
		seq = versions[len(versions)-1].seq + 1
	}
	now := s.now().Unix()
	attrs.Created, attrs.Updated = now, now
	if attrs.Enabled == nil {
		attrs.Enabled = ptr(true)
	}
	rec := record{Name: name, Version: newVersion(), Seq: seq, Value: value, ContentType: contentType, Tags: tags, Attributes: attrs}
	if existing := s.storedName(versions, dir); existing != "" {
		rec.Name = existing
	}
	if err := store.WriteJSON(filepath.Join(dir, fileName(seq, rec.Version)), rec); err != nil {
		return record{}, fmt.Errorf("store secret %s: %w", name, err)
	}
	return rec, nil
}

// storedName keeps the casing under which a secret was first created.
func (s *secretStore) storedName(versions []versionFile, dir string) string {
	if len(versions) == 0 {
		return ""
	}
	var r record
	if err := store.ReadJSON(filepath.Join(dir, versions[0].file), &r); err != nil {
		return ""
	}
	return r.Name
}

// get returns the given version of name, or the latest when version is "".
func (s *secretStore) get(name, version string) (record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.getLocked(name, version)
}

func (s *secretStore) getLocked(name, version string) (record, error) {
	dir := s.secretDir(name)
	if _, err := os.Stat(filepath.Join(dir, deletedFile)); err == nil {
		return record{}, errNotFound
	}
	versions, err := s.versionFiles(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(versions) == 0) {
		return record{}, errNotFound
	}
	if err != nil {
		return record{}, err
	}
	pick := versions[len(versions)-1]
	if version != "" {
		found := false
		for _, v := range versions {
			if strings.EqualFold(v.version, version) {
				pick, found = v, true
				break
			}
		}
		if !found {
			return record{}, errNotFound
		}
	}
	var r record
	if err := store.ReadJSON(filepath.Join(dir, pick.file), &r); err != nil {
		return record{}, fmt.Errorf("read secret %s: %w", name, err)
	}
	return r, nil
}

// versions returns every version of name, oldest first.
func (s *secretStore) versions(name string) ([]record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	dir := s.secretDir(name)
	if _, err := os.Stat(filepath.Join(dir, deletedFile)); err == nil {
		return nil, errNotFound
	}
	files, err := s.versionFiles(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(files) == 0) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	out := make([]record, 0, len(files))
	for _, f := range files {
		var r record
		if err := store.ReadJSON(filepath.Join(dir, f.file), &r); err != nil {
			return nil, fmt.Errorf("read secret %s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// list returns the latest version of every secret that is not deleted,
// sorted by name.
func (s *secretStore) list() ([]record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	entries, err := os.ReadDir(filepath.Join(s.dir, secretsDir))
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	var out []record
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		r, err := s.getLocked(e.Name(), "")
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// update changes the attributes, content type and tags of a version.
func (s *secretStore) update(name, version string, apply func(*record)) (record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.getLocked(name, version)
	if err != nil {
		return record{}, err
	}
	apply(&r)
	r.Attributes.Updated = s.now().Unix()
	if err := store.WriteJSON(filepath.Join(s.secretDir(name), fileName(r.Seq, r.Version)), r); err != nil {
		return record{}, fmt.Errorf("store secret %s: %w", name, err)
	}
	return r, nil
}

// remove soft-deletes name and returns its latest version and the marker.
func (s *secretStore) remove(name string, retention time.Duration) (record, deletion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.getLocked(name, "")
	if err != nil {
		return record{}, deletion{}, err
	}
	now := s.now()
	d := deletion{DeletedDate: now.Unix(), ScheduledPurgeDate: now.Add(retention).Unix()}
	if err := store.WriteJSON(filepath.Join(s.secretDir(name), deletedFile), d); err != nil {
		return record{}, deletion{}, fmt.Errorf("delete secret %s: %w", name, err)
	}
	return r, d, nil
}

// deleted returns a soft-deleted secret's latest version and marker.
func (s *secretStore) deleted(name string) (record, deletion, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.deletedLocked(name)
}

func (s *secretStore) deletedLocked(name string) (record, deletion, error) {
	dir := s.secretDir(name)
	var d deletion
	if err := store.ReadJSON(filepath.Join(dir, deletedFile), &d); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return record{}, deletion{}, errNotDel
		}
		return record{}, deletion{}, err
	}
	files, err := s.versionFiles(dir)
	if err != nil || len(files) == 0 {
		return record{}, deletion{}, errNotDel
	}
	var r record
	if err := store.ReadJSON(filepath.Join(dir, files[len(files)-1].file), &r); err != nil {
		return record{}, deletion{}, err
	}
	return r, d, nil
}

// recover undoes a soft delete.
func (s *secretStore) recover(name string) (record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, _, err := s.deletedLocked(name)
	if err != nil {
		return record{}, err
	}
	if err := os.Remove(filepath.Join(s.secretDir(name), deletedFile)); err != nil {
		return record{}, fmt.Errorf("recover secret %s: %w", name, err)
	}
	return r, nil
}

// purge removes a soft-deleted secret for good.
func (s *secretStore) purge(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, err := s.deletedLocked(name); err != nil {
		return err
	}
	// Rename first so a crash never leaves a half-removed secret visible.
	dir := s.secretDir(name)
	gone := filepath.Join(s.dir, secretsDir, ".purged-"+newVersion())
	if err := os.Rename(dir, gone); err != nil {
		return fmt.Errorf("purge secret %s: %w", name, err)
	}
	return os.RemoveAll(gone)
}

type versionFile struct {
	file    string
	seq     int64
	version string
}

// versionFiles lists the committed version files of a secret folder,
// oldest first; temporary files of interrupted writes are ignored.
func (s *secretStore) versionFiles(dir string) ([]versionFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []versionFile
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") || n == deletedFile {
			continue
		}
		seqStr, ver, ok := strings.Cut(strings.TrimSuffix(n, ".json"), "-")
		seq, err := strconv.ParseInt(seqStr, 10, 64)
		if !ok || err != nil {
			continue
		}
		out = append(out, versionFile{file: n, seq: seq, version: ver})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, nil
}

func fileName(seq int64, version string) string {
	return fmt.Sprintf("%020d-%s.json", seq, version)
}

func newVersion() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("keyvault: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }
