package localjfrog

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fileInfo is the storage API's file description.
type fileInfo struct {
	Repo              string    `json:"repo"`
	Path              string    `json:"path"`
	Created           string    `json:"created"`
	CreatedBy         string    `json:"createdBy"`
	LastModified      string    `json:"lastModified"`
	ModifiedBy        string    `json:"modifiedBy"`
	LastUpdated       string    `json:"lastUpdated"`
	DownloadURI       string    `json:"downloadUri"`
	MimeType          string    `json:"mimeType"`
	Size              string    `json:"size"`
	Checksums         checksums `json:"checksums"`
	OriginalChecksums checksums `json:"originalChecksums"`
	URI               string    `json:"uri"`
}

// folderInfo is the storage API's folder description.
type folderInfo struct {
	Repo         string        `json:"repo"`
	Path         string        `json:"path"`
	Created      string        `json:"created"`
	CreatedBy    string        `json:"createdBy"`
	LastModified string        `json:"lastModified"`
	ModifiedBy   string        `json:"modifiedBy"`
	LastUpdated  string        `json:"lastUpdated"`
	Children     []folderChild `json:"children"`
	URI          string        `json:"uri"`
}

type folderChild struct {
	URI    string `json:"uri"`
	Folder bool   `json:"folder"`
}

// fileListEntry is one item of ?list.
type fileListEntry struct {
	URI          string `json:"uri"`
	Size         int64  `json:"size"`
	LastModified string `json:"lastModified"`
	Folder       bool   `json:"folder"`
	Sha1         string `json:"sha1,omitempty"`
	Sha2         string `json:"sha2,omitempty"`
}

func (s *Server) storageURI(repo, p string) string {
	u := s.base + "/artifactory/api/storage/" + escapePath(repo)
	if p != "" {
		u += "/" + escapePath(p)
	}
	return u
}

func (s *Server) handleStorageGet(w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	p, ok := itemPath(w, r)
	if !ok {
		return
	}
	q := rawQuery(r.URL.RawQuery)
	it := s.find(repoKey, p)
	if !it.RepoFound || (it.File == nil && !it.IsFolder) {
		writeError(w, r, http.StatusNotFound, "Unable to find item")
		return
	}
	if names, ok := q["properties"]; ok {
		s.writeProperties(w, r, repoKey, p, it, names)
		return
	}
	if _, ok := q["list"]; ok {
		s.writeFileList(w, r, repoKey, p, it, q)
		return
	}
	if it.File != nil {
		f := it.File
		writeJSON(w, http.StatusOK, "application/vnd.org.jfrog.artifactory.storage.FileInfo+json", fileInfo{
			Repo: repoKey, Path: "/" + p,
			Created: f.Created.Format(timeFormat), CreatedBy: f.CreatedBy,
			LastModified: f.LastModified.Format(timeFormat), ModifiedBy: f.ModifiedBy, LastUpdated: f.LastModified.Format(timeFormat),
			DownloadURI: s.downloadURI(repoKey, p), MimeType: f.MimeType, Size: strconv.FormatInt(f.Size, 10),
			Checksums: it.Sums, OriginalChecksums: it.Sums, URI: s.storageURI(repoKey, p),
		})
		return
	}
	kids := []folderChild{}
	for _, c := range it.Children {
		kids = append(kids, folderChild{URI: "/" + c.Name, Folder: c.Folder})
	}
	fo := it.Folder
	writeJSON(w, http.StatusOK, "application/vnd.org.jfrog.artifactory.storage.FolderInfo+json", folderInfo{
		Repo: repoKey, Path: "/" + p,
		Created: fo.Created.Format(timeFormat), CreatedBy: fo.CreatedBy,
		LastModified: fo.LastModified.Format(timeFormat), ModifiedBy: fo.CreatedBy, LastUpdated: fo.LastModified.Format(timeFormat),
		Children: kids, URI: s.storageURI(repoKey, p),
	})
}

func (s *Server) writeProperties(w http.ResponseWriter, r *http.Request, repo, p string, it lookup, names string) {
	var props map[string][]string
	if it.File != nil {
		props = it.File.Properties
	} else {
		props = it.Folder.Properties
	}
	if names != "" {
		only := map[string][]string{}
		for _, n := range strings.Split(names, ",") {
			if v, ok := props[n]; ok {
				only[n] = v
			}
		}
		props = only
	}
	if len(props) == 0 {
		writeError(w, r, http.StatusNotFound, "No properties could be found.")
		return
	}
	writeJSON(w, http.StatusOK, "application/vnd.org.jfrog.artifactory.storage.ItemProperties+json", map[string]any{
		"properties": props,
		"uri":        s.storageURI(repo, p),
	})
}

func (s *Server) writeFileList(w http.ResponseWriter, r *http.Request, repoKey, p string, it lookup, q map[string]string) {
	if !it.IsFolder {
		writeError(w, r, http.StatusBadRequest, "Expected a folder but found a file")
		return
	}
	deep := q["deep"] == "1"
	listFolders := q["listFolders"] == "1"
	depth := -1
	if v, ok := q["depth"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			depth = n
		}
	}
	if !deep {
		depth = 1
	}
	files := []fileListEntry{}
	var created time.Time
	s.art.view(func(a *artState) {
		repo := a.Repos[repoKey]
		if repo == nil {
			return
		}
		created = repo.Created
		if f := repo.Folders[p]; f != nil {
			created = f.Created
		}
		level := func(q string) int {
			rel := q
			if p != "" {
				rel = strings.TrimPrefix(q, p+"/")
			}
			return strings.Count(rel, "/") + 1
		}
		below := func(q string) bool { return q != p && within(q, p) && (depth < 0 || level(q) <= depth) }
		rel := func(q string) string { return strings.TrimPrefix(q, p) }
		for q, f := range repo.Files {
			if below(q) {
				e := fileListEntry{URI: "/" + strings.TrimPrefix(rel(q), "/"), Size: f.Size, LastModified: f.LastModified.Format(timeFormat), Sha2: f.Sha256}
				if b := a.Blobs[f.Sha256]; b != nil {
					e.Sha1 = b.Sha1
				}
				files = append(files, e)
			}
		}
		if listFolders {
			for q, f := range repo.Folders {
				if below(q) {
					files = append(files, fileListEntry{URI: "/" + strings.TrimPrefix(rel(q), "/"), Size: -1, LastModified: f.LastModified.Format(timeFormat), Folder: true})
				}
			}
		}
	})
	sort.Slice(files, func(i, j int) bool { return files[i].URI < files[j].URI })
	writeJSON(w, http.StatusOK, "application/vnd.org.jfrog.artifactory.storage.FileList+json", map[string]any{
		"uri":     s.storageURI(repoKey, p),
		"created": created.Format(timeFormat),
		"files":   files,
	})
}

// handleSetProperties: PUT /api/storage/{repo}/{path}?properties=k=v;k2=v2
// [&recursive=0|1]; 204 on success, folders recursive by default.
func (s *Server) handleSetProperties(w http.ResponseWriter, r *http.Request) {
	s.editProperties(w, r, func(old map[string][]string, arg string) (map[string][]string, error) {
		props, err := parseProperties(arg)
		if err != nil {
			return nil, err
		}
		return mergeProps(old, props), nil
	})
}

// handleDeleteProperties: DELETE /api/storage/{repo}/{path}?properties=k1,k2.
func (s *Server) handleDeleteProperties(w http.ResponseWriter, r *http.Request) {
	s.editProperties(w, r, func(old map[string][]string, arg string) (map[string][]string, error) {
		if arg == "" {
			return nil, errors.New("name the properties to delete: properties=key1,key2")
		}
		for _, k := range strings.Split(arg, ",") {
			delete(old, k)
		}
		return old, nil
	})
}

func (s *Server) editProperties(w http.ResponseWriter, r *http.Request, edit func(map[string][]string, string) (map[string][]string, error)) {
	repoKey := r.PathValue("repo")
	p, ok := itemPath(w, r)
	if !ok {
		return
	}
	q := rawQuery(r.URL.RawQuery)
	arg, ok := q["properties"]
	if !ok {
		writeError(w, r, http.StatusBadRequest, "Missing the properties query parameter, e.g. ?properties=key=value")
		return
	}
	recursive := q["recursive"] != "0"
	var badInput error
	err := s.art.update(func(a *artState) error {
		repo := a.Repos[repoKey]
		if repo == nil || (repo.Files[p] == nil && repo.Folders[p] == nil) {
			return errNotFound
		}
		apply := func(old map[string][]string) map[string][]string {
			if badInput != nil {
				return old
			}
			out, err := edit(mergeProps(nil, old), arg)
			if err != nil {
				badInput = err
				return old
			}
			if len(out) == 0 {
				return nil
			}
			return out
		}
		if f := repo.Files[p]; f != nil {
			f.Properties = apply(f.Properties)
		} else {
			repo.Folders[p].Properties = apply(repo.Folders[p].Properties)
			if recursive {
				for q, f := range repo.Files {
					if within(q, p) {
						f.Properties = apply(f.Properties)
					}
				}
				for q, f := range repo.Folders {
					if q != p && within(q, p) {
						f.Properties = apply(f.Properties)
					}
				}
			}
		}
		return badInput
	})
	switch {
	case badInput != nil:
		writeError(w, r, http.StatusBadRequest, "Invalid properties: "+badInput.Error())
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Unable to find item '%s:%s'", repoKey, p))
	case err != nil:
		s.internalError(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
