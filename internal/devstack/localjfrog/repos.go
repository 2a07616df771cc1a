package localjfrog

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// Package types of the repositories the local stack serves.
const (
	packageGeneric = "generic"
	packageML      = "machinelearning"
	packageDocker  = "docker"
)

var repoKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// repoConfig is the repository configuration JSON (PUT/GET
// /artifactory/api/repositories/{key}).
type repoConfig struct {
	Key         string `json:"key"`
	RClass      string `json:"rclass"`
	PackageType string `json:"packageType"`
	Description string `json:"description,omitempty"`
}

// repoSummary is one item of GET /artifactory/api/repositories.
type repoSummary struct {
	Key         string `json:"key"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	PackageType string `json:"packageType"`
}

// parseRepoConfig decodes and validates a repository configuration for
// the key in the URL.
func parseRepoConfig(b []byte, key string) (repoConfig, error) {
	var c repoConfig
	if err := decodeObject(b, &c); err != nil {
		return c, err
	}
	if c.Key == "" {
		c.Key = key
	}
	c.RClass = strings.ToLower(c.RClass)
	c.PackageType = strings.ToLower(c.PackageType)
	switch {
	case c.Key != key:
		return c, errors.New("the key in the body must match the key in the URL")
	case !repoKeyRE.MatchString(c.Key) || strings.EqualFold(c.Key, "api"):
		return c, errors.New("the repository key may contain letters, digits, '.', '-' and '_' (at most 64) and cannot be 'api'")
	case c.RClass != "local":
		return c, errors.New("only local repositories are supported (rclass \"local\")")
	case c.PackageType != packageGeneric && c.PackageType != packageML && c.PackageType != packageDocker:
		return c, errors.New("packageType must be \"generic\", \"machinelearning\" or \"docker\"")
	}
	return c, nil
}

func displayPackageType(t string) string {
	if t == packageML {
		return "MachineLearning"
	}
	if t == packageDocker {
		return "Docker"
	}
	return "Generic"
}

func (s *Server) handleCreateRepo(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	c, err := parseRepoConfig(b, key)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid repository configuration: "+err.Error())
		return
	}
	err = s.art.update(func(a *artState) error {
		for k := range a.Repos {
			if strings.EqualFold(k, key) {
				return errConflict
			}
		}
		a.Repos[key] = &repository{
			Key: key, RClass: c.RClass, PackageType: c.PackageType, Description: c.Description,
			Created: s.now().UTC(), Files: map[string]*fileItem{}, Folders: map[string]*folderItem{},
		}
		return nil
	})
	switch {
	case errors.Is(err, errConflict):
		writeError(w, r, http.StatusBadRequest, "Case insensitive repository key already exists")
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.log.Info().Str("repo", key).Str("package_type", c.PackageType).Msg("repository created")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "Successfully created repository '%s' \n", key)
	}
}

func (s *Server) handleGetRepo(w http.ResponseWriter, r *http.Request) {
	var c *repoConfig
	s.art.view(func(a *artState) {
		if repo := a.Repos[r.PathValue("key")]; repo != nil {
			c = &repoConfig{Key: repo.Key, RClass: repo.RClass, PackageType: repo.PackageType, Description: repo.Description}
		}
	})
	if c == nil {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("Repository '%s' does not exist", r.PathValue("key")))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", c)
}

func (s *Server) handleListRepos(w http.ResponseWriter, r *http.Request) {
	q := rawQuery(r.URL.RawQuery)
	out := []repoSummary{}
	s.art.view(func(a *artState) {
		for _, repo := range a.Repos {
			if t := q["type"]; t != "" && !strings.EqualFold(t, repo.RClass) {
				continue
			}
			if t := q["packageType"]; t != "" && !strings.EqualFold(t, repo.PackageType) {
				continue
			}
			out = append(out, repoSummary{
				Key: repo.Key, Type: strings.ToUpper(repo.RClass), Description: repo.Description,
				URL: s.base + "/artifactory/" + repo.Key, PackageType: displayPackageType(repo.PackageType),
			})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (s *Server) handleDeleteRepo(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	var removed []string
	err := s.art.update(func(a *artState) error {
		repo := a.Repos[key]
		if repo == nil {
			return errNotFound
		}
		removed = repo.removeTree("")
		delete(a.Repos, key)
		for id, t := range a.Transactions {
			if t.Repo == key {
				delete(a.Transactions, id)
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("Repository '%s' does not exist", key))
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.dropBlobs(removed)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "Repository '%s' and all its content have been removed successfully.\n", key)
	}
}
