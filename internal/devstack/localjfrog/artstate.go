package localjfrog

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// artState is Artifactory's metadata: repositories with their files and
// folders, the checksums of every stored blob, and open ML transactions.
type artState struct {
	Repos        map[string]*repository    `json:"repositories"`
	Blobs        map[string]*blobInfo      `json:"blobs"`
	Transactions map[string]*mlTransaction `json:"ml_transactions"`
}

// repository is a local repository and its tree. Paths have no leading or
// trailing slash; the root folder is "" and is not stored.
type repository struct {
	Key         string                 `json:"key"`
	RClass      string                 `json:"rclass"`
	PackageType string                 `json:"packageType"`
	Description string                 `json:"description,omitempty"`
	Created     time.Time              `json:"created"`
	Files       map[string]*fileItem   `json:"files"`
	Folders     map[string]*folderItem `json:"folders"`
}

// blobInfo holds the other checksums of a blob named by its SHA-256.
type blobInfo struct {
	Sha1 string `json:"sha1"`
	Md5  string `json:"md5"`
	Size int64  `json:"size"`
}

type fileItem struct {
	Sha256       string              `json:"sha256"`
	Size         int64               `json:"size"`
	MimeType     string              `json:"mime_type"`
	Created      time.Time           `json:"created"`
	CreatedBy    string              `json:"created_by"`
	LastModified time.Time           `json:"last_modified"`
	ModifiedBy   string              `json:"modified_by"`
	Properties   map[string][]string `json:"properties,omitempty"`
}

type folderItem struct {
	Created      time.Time           `json:"created"`
	CreatedBy    string              `json:"created_by"`
	LastModified time.Time           `json:"last_modified"`
	Properties   map[string][]string `json:"properties,omitempty"`
}

func normalizeArt(a *artState) {
	if a.Repos == nil {
		a.Repos = map[string]*repository{}
	}
	if a.Blobs == nil {
		a.Blobs = map[string]*blobInfo{}
	}
	if a.Transactions == nil {
		a.Transactions = map[string]*mlTransaction{}
	}
	for _, r := range a.Repos {
		if r.Files == nil {
			r.Files = map[string]*fileItem{}
		}
		if r.Folders == nil {
			r.Folders = map[string]*folderItem{}
		}
	}
}

var errBadPath = errors.New("bad path")

// cleanPath validates an item path and strips its slashes.
func cleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "", errBadPath
		}
	}
	return p, nil
}

func parentOf(p string) string {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func baseOf(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func (r *repository) isFolder(p string) bool {
	_, ok := r.Folders[p]
	return p == "" || ok
}

// ensureFolders creates the folder p and its ancestors; a file in the way
// is a conflict.
func (r *repository) ensureFolders(p, by string, now time.Time) error {
	if p == "" {
		return nil
	}
	if err := r.ensureFolders(parentOf(p), by, now); err != nil {
		return err
	}
	if _, ok := r.Files[p]; ok {
		return errConflict
	}
	if _, ok := r.Folders[p]; !ok {
		r.Folders[p] = &folderItem{Created: now, CreatedBy: by, LastModified: now}
	}
	return nil
}

// child is one direct child of a folder.
type child struct {
	Name   string
	Path   string
	Folder bool
}

// children lists the direct children of folder p, sorted by name.
func (r *repository) children(p string) []child {
	var out []child
	add := func(q string, folder bool) {
		if q != "" && parentOf(q) == p {
			out = append(out, child{Name: baseOf(q), Path: q, Folder: folder})
		}
	}
	for q := range r.Folders {
		add(q, true)
	}
	for q := range r.Files {
		add(q, false)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// within reports whether q is p or below it.
func within(q, p string) bool {
	return p == "" || q == p || strings.HasPrefix(q, p+"/")
}

// removeTree deletes the item p (a file, or a folder and everything below)
// and returns the SHA-256 of every removed file.
func (r *repository) removeTree(p string) []string {
	var removed []string
	if f, ok := r.Files[p]; ok {
		delete(r.Files, p)
		return []string{f.Sha256}
	}
	for q, f := range r.Files {
		if within(q, p) {
			removed = append(removed, f.Sha256)
			delete(r.Files, q)
		}
	}
	for q := range r.Folders {
		if within(q, p) {
			delete(r.Folders, q)
		}
	}
	return removed
}

// refs returns the SHA-256 of every blob some file refers to.
func (a *artState) refs() map[string]bool {
	out := map[string]bool{}
	for _, r := range a.Repos {
		for _, f := range r.Files {
			out[f.Sha256] = true
		}
	}
	return out
}

// findBlob returns the SHA-256 of a stored blob with all the given checksums.
func (a *artState) findBlob(want checksums) string {
	ok := func(sha string, b *blobInfo) bool {
		return (want.Sha256 == "" || want.Sha256 == sha) &&
			(want.Sha1 == "" || want.Sha1 == b.Sha1) &&
			(want.Md5 == "" || want.Md5 == b.Md5)
	}
	if want.Sha256 != "" {
		if b, found := a.Blobs[want.Sha256]; found && ok(want.Sha256, b) {
			return want.Sha256
		}
		return ""
	}
	for sha, b := range a.Blobs {
		if ok(sha, b) {
			return sha
		}
	}
	return ""
}
