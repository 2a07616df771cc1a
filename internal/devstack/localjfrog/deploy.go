package localjfrog

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// timeFormat is Artifactory's ISO 8601 timestamp with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// itemCreated is the deploy response
// (application/vnd.org.jfrog.artifactory.storage.ItemCreated+json).
type itemCreated struct {
	Repo              string     `json:"repo"`
	Path              string     `json:"path"`
	Created           string     `json:"created"`
	CreatedBy         string     `json:"createdBy"`
	DownloadURI       string     `json:"downloadUri,omitempty"`
	MimeType          string     `json:"mimeType,omitempty"`
	Size              string     `json:"size,omitempty"`
	Checksums         *checksums `json:"checksums,omitempty"`
	OriginalChecksums *checksums `json:"originalChecksums,omitempty"`
	URI               string     `json:"uri"`
}

const contentTypeItemCreated = "application/vnd.org.jfrog.artifactory.storage.ItemCreated+json"

var errNoBlob = errors.New("no blob with these checksums")

// artifactRef is a parsed /artifactory/{repo}/{path}[;k=v...] target.
type artifactRef struct {
	Repo   string
	Path   string
	Folder bool // the URL ends with "/"
	Props  map[string][]string
}

// parseDeployTarget reads the escaped request path, keeping matrix
// parameters apart from the item path.
func parseDeployTarget(escaped string) (artifactRef, error) {
	var ref artifactRef
	rest, ok := strings.CutPrefix(escaped, "/artifactory/")
	if !ok {
		return ref, errBadPath
	}
	repo, rest, _ := strings.Cut(rest, "/")
	rest, matrix, _ := strings.Cut(rest, ";")
	var err error
	if ref.Repo, err = url.PathUnescape(repo); err != nil {
		return ref, errBadPath
	}
	p, err := url.PathUnescape(rest)
	if err != nil {
		return ref, errBadPath
	}
	ref.Folder = p == "" || strings.HasSuffix(p, "/")
	if ref.Path, err = cleanPath(p); err != nil {
		return ref, err
	}
	if matrix != "" {
		if ref.Props, err = parseMatrix(strings.Split(matrix, ";")); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

// wantedChecksums reads X-Checksum-Sha256, X-Checksum-Sha1,
// X-Checksum-Md5 and X-Checksum (type by length).
func wantedChecksums(h http.Header) (checksums, error) {
	want := checksums{
		Sha256: strings.ToLower(strings.TrimSpace(h.Get("X-Checksum-Sha256"))),
		Sha1:   strings.ToLower(strings.TrimSpace(h.Get("X-Checksum-Sha1"))),
		Md5:    strings.ToLower(strings.TrimSpace(h.Get("X-Checksum-Md5"))),
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("X-Checksum"))); v != "" {
		switch len(v) {
		case 64:
			want.Sha256 = firstNonEmpty(want.Sha256, v)
		case 40:
			want.Sha1 = firstNonEmpty(want.Sha1, v)
		case 32:
			want.Md5 = firstNonEmpty(want.Md5, v)
		default:
			return want, errors.New("X-Checksum must be an MD5 (32), SHA-1 (40) or SHA-256 (64) hex digest")
		}
	}
	for _, c := range []struct {
		v string
		n int
	}{{want.Sha256, 64}, {want.Sha1, 40}, {want.Md5, 32}} {
		if c.v != "" && !isHex(c.v, c.n) {
			return want, errors.New("checksum headers must be lower- or upper-case hex digests of the right length")
		}
	}
	return want, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// mimeOf guesses the content type from the file name, like Artifactory.
func mimeOf(p string) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	by := principalFrom(r.Context()).Username
	ref, err := parseDeployTarget(r.URL.EscapedPath())
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid deploy path: segments may not be empty, '.' or '..'")
		return
	}
	if !s.repoExists(ref.Repo) {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Repository '%s' not found; create it with PUT /artifactory/api/repositories/%s", ref.Repo, ref.Repo))
		return
	}
	if ref.Folder {
		s.deployFolder(w, r, ref, by)
		return
	}
	want, err := wantedChecksums(r.Header)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if strings.EqualFold(r.Header.Get("X-Checksum-Deploy"), "true") {
		s.deployByChecksum(w, r, ref, want, by)
		return
	}
	in, err := s.blobs.ingest(r.Body)
	if err != nil {
		s.log.Warn().Err(err).Str("repo", ref.Repo).Str("path", ref.Path).Msg("deploy: reading the body failed")
		writeError(w, r, http.StatusBadRequest, "Failed to read the request body")
		return
	}
	defer in.pending.Abort()
	if (want.Sha256 != "" && want.Sha256 != in.sums.Sha256) || (want.Sha1 != "" && want.Sha1 != in.sums.Sha1) || (want.Md5 != "" && want.Md5 != in.sums.Md5) {
		writeError(w, r, http.StatusConflict, fmt.Sprintf(
			"Checksum policy 'LocalRepoChecksumPolicy: CLIENT' rejected the artifact '%s:%s'. Checksums info: SHA-1 original '%s' actual '%s', MD5 original '%s' actual '%s', SHA-256 original '%s' actual '%s'",
			ref.Repo, ref.Path, orNull(want.Sha1), in.sums.Sha1, orNull(want.Md5), in.sums.Md5, orNull(want.Sha256), in.sums.Sha256))
		return
	}
	var replaced string
	now := s.now().UTC()
	err = s.art.update(func(a *artState) error {
		repo := a.Repos[ref.Repo]
		if repo == nil {
			return errNotFound
		}
		if err := repo.checkFileSlot(ref.Path); err != nil {
			return err
		}
		if err := s.blobs.commit(in); err != nil {
			return err
		}
		a.Blobs[in.sums.Sha256] = &blobInfo{Sha1: in.sums.Sha1, Md5: in.sums.Md5, Size: in.size}
		replaced = repo.putFile(ref.Path, in.sums.Sha256, in.size, by, now, ref.Props)
		return nil
	})
	if !s.deployFailed(w, r, ref, err) {
		if replaced != "" && replaced != in.sums.Sha256 {
			s.dropBlobs([]string{replaced})
		}
		s.writeCreated(w, ref, in.sums, in.size, by, now)
	}
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// deployByChecksum copies a blob the server already holds: 201, or 404
// without a body when no blob matches (upload the bytes instead).
func (s *Server) deployByChecksum(w http.ResponseWriter, r *http.Request, ref artifactRef, want checksums, by string) {
	if want == (checksums{}) {
		writeError(w, r, http.StatusBadRequest, "Deploy by checksum needs X-Checksum-Sha256, X-Checksum-Sha1 or X-Checksum")
		return
	}
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	var sums checksums
	var size int64
	var replaced string
	now := s.now().UTC()
	err := s.art.update(func(a *artState) error {
		repo := a.Repos[ref.Repo]
		if repo == nil {
			return errNotFound
		}
		sha := a.findBlob(want)
		if sha == "" || !s.blobs.has(sha) {
			return errNoBlob
		}
		if err := repo.checkFileSlot(ref.Path); err != nil {
			return err
		}
		b := a.Blobs[sha]
		sums, size = checksums{Sha256: sha, Sha1: b.Sha1, Md5: b.Md5}, b.Size
		replaced = repo.putFile(ref.Path, sha, size, by, now, ref.Props)
		return nil
	})
	if errors.Is(err, errNoBlob) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if !s.deployFailed(w, r, ref, err) {
		if replaced != "" && replaced != sums.Sha256 {
			s.dropBlobs([]string{replaced})
		}
		s.writeCreated(w, ref, sums, size, by, now)
	}
}

func (s *Server) deployFolder(w http.ResponseWriter, r *http.Request, ref artifactRef, by string) {
	now := s.now().UTC()
	err := s.art.update(func(a *artState) error {
		repo := a.Repos[ref.Repo]
		if repo == nil {
			return errNotFound
		}
		if err := repo.ensureFolders(ref.Path, by, now); err != nil {
			return err
		}
		if ref.Path != "" && len(ref.Props) > 0 {
			f := repo.Folders[ref.Path]
			f.Properties = mergeProps(f.Properties, ref.Props)
		}
		return nil
	})
	if s.deployFailed(w, r, ref, err) {
		return
	}
	writeJSON(w, http.StatusCreated, contentTypeItemCreated, itemCreated{
		Repo: ref.Repo, Path: "/" + ref.Path + "/", Created: now.Format(timeFormat), CreatedBy: by,
		URI: s.base + "/artifactory/" + ref.Repo + "/" + ref.Path + "/",
	})
}

// deployFailed answers an update error and reports whether there was one.
func (s *Server) deployFailed(w http.ResponseWriter, r *http.Request, ref artifactRef, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Repository '%s' not found", ref.Repo))
	case errors.Is(err, errConflict):
		writeError(w, r, http.StatusConflict, fmt.Sprintf("Cannot deploy '%s:%s': a file and a folder cannot share a path", ref.Repo, ref.Path))
	default:
		s.internalError(w, r, err)
	}
	return true
}

func (s *Server) writeCreated(w http.ResponseWriter, ref artifactRef, sums checksums, size int64, by string, now time.Time) {
	dl := s.downloadURI(ref.Repo, ref.Path)
	writeJSON(w, http.StatusCreated, contentTypeItemCreated, itemCreated{
		Repo: ref.Repo, Path: "/" + ref.Path, Created: now.Format(timeFormat), CreatedBy: by,
		DownloadURI: dl, MimeType: mimeOf(ref.Path), Size: strconv.FormatInt(size, 10),
		Checksums: &sums, OriginalChecksums: &sums, URI: dl,
	})
}

// downloadURI is the URL that downloads repo/p.
func (s *Server) downloadURI(repo, p string) string {
	return s.base + "/artifactory/" + escapePath(repo+"/"+p)
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// checkFileSlot fails with errConflict when a file cannot live at p.
func (r *repository) checkFileSlot(p string) error {
	if p == "" || r.Folders[p] != nil {
		return errConflict
	}
	for q := parentOf(p); q != ""; q = parentOf(q) {
		if r.Files[q] != nil {
			return errConflict
		}
	}
	return nil
}

// putFile stores the file item and its folders, returning the SHA-256 of
// the file it replaced, if any. checkFileSlot must have passed, so the
// folders can be created.
func (r *repository) putFile(p, sha string, size int64, by string, now time.Time, props map[string][]string) string {
	r.ensureFolders(parentOf(p), by, now)
	var replaced string
	if old := r.Files[p]; old != nil {
		replaced = old.Sha256
	}
	f := &fileItem{Sha256: sha, Size: size, MimeType: mimeOf(p), Created: now, CreatedBy: by, LastModified: now, ModifiedBy: by}
	if len(props) > 0 {
		f.Properties = mergeProps(nil, props)
	}
	r.Files[p] = f
	return replaced
}

// repoExists reports whether a repository with that key exists.
func (s *Server) repoExists(key string) bool {
	var ok bool
	s.art.view(func(a *artState) { _, ok = a.Repos[key] })
	return ok
}
