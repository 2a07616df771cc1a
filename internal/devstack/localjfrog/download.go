package localjfrog

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"os"
	"strings"
)

// lookup is a copy of one item taken under the state lock.
type lookup struct {
	RepoFound bool
	File      *fileItem
	Sums      checksums
	Folder    *folderItem // nil for the root or a file
	IsFolder  bool
	Children  []child
}

// find copies what exists at repo/p.
func (s *Server) find(repoKey, p string) lookup {
	var out lookup
	s.art.view(func(a *artState) {
		repo := a.Repos[repoKey]
		if repo == nil {
			return
		}
		out.RepoFound = true
		if f := repo.Files[p]; f != nil {
			c := *f
			c.Properties = mergeProps(nil, f.Properties)
			out.File = &c
			out.Sums = checksums{Sha256: f.Sha256}
			if b := a.Blobs[f.Sha256]; b != nil {
				out.Sums.Sha1, out.Sums.Md5 = b.Sha1, b.Md5
			}
			return
		}
		if repo.isFolder(p) {
			out.IsFolder = true
			if f := repo.Folders[p]; f != nil {
				c := *f
				c.Properties = mergeProps(nil, f.Properties)
				out.Folder = &c
			} else {
				out.Folder = &folderItem{Created: repo.Created, CreatedBy: "admin", LastModified: repo.Created}
			}
			out.Children = repo.children(p)
		}
	})
	return out
}

// itemPath validates the {path...} value of a route.
func itemPath(w http.ResponseWriter, r *http.Request) (string, bool) {
	p, err := cleanPath(r.PathValue("path"))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid path: segments may not be empty, '.' or '..'")
		return "", false
	}
	return p, true
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	p, ok := itemPath(w, r)
	if !ok {
		return
	}
	it := s.find(repoKey, p)
	switch {
	case !it.RepoFound:
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Repository '%s' not found", repoKey))
		return
	case it.IsFolder:
		s.writeListing(w, r, repoKey, p, it.Children)
		return
	case it.File == nil:
		writeError(w, r, http.StatusNotFound, "File not found.")
		return
	}
	f, err := s.blobs.open(it.File.Sha256)
	if errors.Is(err, os.ErrNotExist) {
		writeError(w, r, http.StatusNotFound, "File not found.")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("X-Checksum-Sha1", it.Sums.Sha1)
	h.Set("X-Checksum-Sha256", it.Sums.Sha256)
	h.Set("X-Checksum-Md5", it.Sums.Md5)
	h.Set("ETag", `"`+it.Sums.Sha1+`"`)
	h.Set("X-Artifactory-Filename", baseOf(p))
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", baseOf(p)))
	h.Set("Content-Type", it.File.MimeType)
	http.ServeContent(w, r, baseOf(p), it.File.LastModified, f)
}

// writeListing renders a folder as the simple HTML index Artifactory shows.
func (s *Server) writeListing(w http.ResponseWriter, r *http.Request, repo, p string, kids []child) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	title := html.EscapeString(repo + "/" + p)
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><title>Index of %s</title></head><body><h1>Index of %s</h1><pre>\n", title, title)
	dir := "/artifactory/" + escapePath(repo) + "/"
	if p != "" {
		dir += escapePath(p) + "/"
		fmt.Fprintf(&b, "<a href=\"%s\">../</a>\n", html.EscapeString("/artifactory/"+escapePath(strings.TrimSuffix(repo+"/"+parentOf(p), "/"))+"/"))
	}
	for _, c := range kids {
		name := c.Name
		if c.Folder {
			name += "/"
		}
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a>\n", html.EscapeString(dir+escapePath(name)), html.EscapeString(name))
	}
	b.WriteString("</pre></body></html>\n")
	w.Write([]byte(b.String()))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	p, ok := itemPath(w, r)
	if !ok {
		return
	}
	var removed []string
	err := s.art.update(func(a *artState) error {
		repo := a.Repos[repoKey]
		if repo == nil || (repo.Files[p] == nil && !repo.isFolder(p)) {
			return errNotFound
		}
		removed = repo.removeTree(p)
		return nil
	})
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Could not locate artifact '%s:%s'.", repoKey, p))
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.dropBlobs(removed)
		w.WriteHeader(http.StatusNoContent)
	}
}
