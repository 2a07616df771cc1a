package localjfrog

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Docker registry API v2, manifests only: HEAD|GET
// /v2/<repo>/<image>/manifests/<tag>, the "repository path" access method
// of an Artifactory Docker repository (JFrog docs, "Docker Repositories":
// docker pull <host>/<repo>/<image>:<tag>). Artifactory keeps each tag as
// the folder <image>/<tag> with its manifest.json beside the layers, so a
// tag exists when <image>/<tag>/manifest.json was deployed to a docker
// repository. Answers follow the OCI distribution spec ("Checking if
// content exists in the registry": 200 with Docker-Content-Digest, or 404
// with the error code MANIFEST_UNKNOWN or NAME_UNKNOWN in
// {"errors":[{"code","message","detail"}]}). Pull by digest, blobs and push
// are not served.
func (s *Server) handleDockerManifest(w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	p, err := cleanPath(r.PathValue("path"))
	image, tag, found := strings.Cut(p, "/manifests/")
	if err != nil || !found || image == "" || tag == "" || strings.Contains(tag, "/") {
		registryError(w, r, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	var isDocker bool
	s.art.view(func(a *artState) {
		if repo := a.Repos[repoKey]; repo != nil {
			isDocker = repo.PackageType == packageDocker
		}
	})
	if !isDocker {
		registryError(w, r, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	it := s.find(repoKey, image+"/"+tag+"/manifest.json")
	if it.File == nil {
		registryError(w, r, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
		return
	}
	w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
	w.Header().Set("Docker-Content-Digest", "sha256:"+it.Sums.Sha256)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	f, err := s.blobs.open(it.File.Sha256)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer f.Close()
	w.WriteHeader(http.StatusOK)
	io.Copy(w, f)
}

// registryError answers with the OCI distribution error body (HEAD gets
// only the status).
func registryError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"code": code, "message": message, "detail": map[string]string{}}}})
}
