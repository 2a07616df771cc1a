package localjfrog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Layout of a model in a Machine Learning repository (INFERRED: frogml
// only reveals that upload paths start with models/{NAME}/tmp/{version}/):
//
//	models/{NAME}/tmp/{version}/{transactionId}/{model,dependencies,code}/...  during a transaction
//	models/{NAME}/{version}/{model,dependencies,code}/...                      after it ends
//	models/{NAME}/{version}/model-manifest.json
//
// Datasets are stored the same way under datasets/{NAME}/... with a
// dataset/ files folder and dataset-manifest.json, as frogml's
// FrogMLEntityTypeInfo.DATASET names them ("dataset", "datasets",
// "dataset-manifest.json", multipart part "datasetManifest"; the manifest
// lists "dataset_artifacts") [frogml storage
// models/frogml_entity_type_info.py, constants.py].
const (
	mlRoot        = "models"
	manifestName  = "model-manifest.json"
	maxManifest   = 8 << 20
	maxAdditional = 1 << 20
)

// mlKind is what differs between the model and the dataset entity.
type mlKind struct {
	api, root, group, manifest, part, noun string
}

var (
	modelEntity   = mlKind{api: "model", root: mlRoot, group: "model", manifest: manifestName, part: "modelManifest", noun: "Model"}
	datasetEntity = mlKind{api: "dataset", root: "datasets", group: "dataset", manifest: "dataset-manifest.json", part: "datasetManifest", noun: "Dataset"}
)

// mlTransaction is an open upload of one model version.
type mlTransaction struct {
	Repo string `json:"repo"`
	// Kind is "model" or "dataset"; empty in state written before datasets
	// were supported, which means "model".
	Kind    string    `json:"kind,omitempty"`
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Lead    string    `json:"lead"`
	Created time.Time `json:"created"`
}

// startResponse is the start-transaction answer frogml reads.
type startResponse struct {
	FilesUploadPath        string `json:"filesUploadPath"`
	LeadUploadPath         string `json:"leadUploadPath"`
	DependenciesUploadPath string `json:"dependenciesUploadPath"`
	CodeUploadPath         string `json:"codeUploadPath"`
	TransactionID          string `json:"transactionId"`
}

// groupFolders are the sub-folders of a version (and of a transaction).
var groupFolders = struct{ Model, Deps, Code string }{"model", "dependencies", "code"}

// entityName validates [namespace/]name segments.
func entityName(segs []string) (string, bool) {
	if len(segs) < 1 || len(segs) > 2 {
		return "", false
	}
	for _, s := range segs {
		if !validEntityName(s) {
			return "", false
		}
	}
	return strings.Join(segs, "/"), true
}

// mlRepo checks that the repository exists and is a Machine Learning one.
func (s *Server) mlRepo(w http.ResponseWriter, r *http.Request, key string) bool {
	var pt string
	var found bool
	s.art.view(func(a *artState) {
		if repo := a.Repos[key]; repo != nil {
			pt, found = repo.PackageType, true
		}
	})
	switch {
	case !found:
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Repository '%s' not found; create it with packageType \"machinelearning\"", key))
	case pt != packageML:
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("Repository '%s' is not a Machine Learning repository; use one created with packageType \"machinelearning\"", key))
	default:
		return true
	}
	return false
}

// handleStartTransaction: POST .../{model,dataset}/{NAME}/start-transaction[/{version}].
func (s *Server) handleStartTransaction(k mlKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.startTransaction(k, w, r) }
}

func (s *Server) startTransaction(k mlKind, w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	segs := strings.Split(strings.Trim(r.PathValue("rest"), "/"), "/")
	i := -1
	for j, seg := range segs {
		if seg == "start-transaction" {
			i = j
		}
	}
	name, ok := "", i >= 1 && len(segs) <= i+2
	if ok {
		name, ok = entityName(segs[:i])
	}
	version := ""
	if ok && len(segs) == i+2 {
		version = segs[i+1]
		ok = validEntityName(version)
	}
	if !ok {
		writeError(w, r, http.StatusBadRequest, "Expected /api/machinelearning/{repo}/"+k.api+"/[{namespace}/]{name}/start-transaction[/{version}] with names matching ^[a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*$ (at most 60 characters)")
		return
	}
	if !s.mlRepo(w, r, repoKey) {
		return
	}
	now := s.now().UTC()
	if version == "" {
		version = now.Format("2006-01-02-15-04-05")
	}
	var resp startResponse
	err := s.art.update(func(a *artState) error {
		repo := a.Repos[repoKey]
		if repo == nil {
			return errNotFound
		}
		if repo.isFolder(versionPath(k, name, version)) {
			return errConflict
		}
		ms := now.UnixMilli()
		for a.Transactions[strconv.FormatInt(ms, 10)] != nil {
			ms++
		}
		id := strconv.FormatInt(ms, 10)
		lead := fmt.Sprintf("%s/%s/tmp/%s/%s", k.root, name, version, id)
		a.Transactions[id] = &mlTransaction{Repo: repoKey, Kind: k.api, Name: name, Version: version, Lead: lead, Created: now}
		resp = startResponse{
			TransactionID:          id,
			LeadUploadPath:         lead,
			FilesUploadPath:        lead + "/" + k.group,
			DependenciesUploadPath: lead + "/" + groupFolders.Deps,
			CodeUploadPath:         lead + "/" + groupFolders.Code,
		}
		return nil
	})
	switch {
	case errors.Is(err, errConflict):
		writeError(w, r, http.StatusConflict, fmt.Sprintf("%s '%s' version '%s' already exists in '%s'; choose another version", k.noun, name, version, repoKey))
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Repository '%s' not found", repoKey))
	case err != nil:
		s.internalError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, "application/json", resp)
	}
}

func versionPath(k mlKind, name, version string) string {
	return k.root + "/" + name + "/" + version
}

// readManifestParts reads the multipart modelManifest and additionalData.
func readManifestParts(k mlKind, r *http.Request) (manifest, additional []byte, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, fmt.Errorf("the body must be multipart/form-data with parts %s and additionalData", k.part)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read multipart body: %w", err)
		}
		limit := int64(maxAdditional)
		if part.FormName() == k.part {
			limit = maxManifest
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return nil, nil, fmt.Errorf("read part %s: %w", part.FormName(), err)
		}
		if int64(len(b)) > limit {
			return nil, nil, fmt.Errorf("part %s is larger than %d bytes", part.FormName(), limit)
		}
		switch part.FormName() {
		case k.part:
			manifest = b
		case "additionalData":
			additional = b
		}
	}
	if manifest == nil {
		return nil, nil, fmt.Errorf("the %s part is missing", k.part)
	}
	return manifest, additional, nil
}

// handlePutManifest ends a transaction:
// PUT .../{model,dataset}/entity-manifest/{NAME}/{version}/{transactionId}.
func (s *Server) handlePutManifest(k mlKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.putManifest(k, w, r) }
}

func (s *Server) putManifest(k mlKind, w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	segs := strings.Split(strings.Trim(r.PathValue("rest"), "/"), "/")
	if len(segs) < 3 || len(segs) > 4 {
		writeError(w, r, http.StatusBadRequest, "Expected /api/machinelearning/{repo}/"+k.api+"/entity-manifest/[{namespace}/]{name}/{version}/{transactionId}")
		return
	}
	name, okName := entityName(segs[:len(segs)-2])
	version, txID := segs[len(segs)-2], segs[len(segs)-1]
	if !okName || !validEntityName(version) {
		writeError(w, r, http.StatusBadRequest, "Invalid "+k.api+" name or version")
		return
	}
	if !s.mlRepo(w, r, repoKey) {
		return
	}
	rawManifest, rawAdditional, err := readManifestParts(k, r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	m, err := parseKindManifest(k, rawManifest)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid "+k.api+" manifest: "+err.Error())
		return
	}
	props, err := parseAdditionalData(rawAdditional)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	stored, err := marshalKindManifest(k, m)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	in, err := s.blobs.ingest(bytes.NewReader(stored))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer in.pending.Abort()
	by := principalFrom(r.Context()).Username
	now := s.now().UTC()
	var problem string
	err = s.art.update(func(a *artState) error {
		tx := a.Transactions[txID]
		if tx == nil || tx.Repo != repoKey || tx.kind() != k.api || tx.Name != name || tx.Version != version {
			problem = fmt.Sprintf("Transaction '%s' is not open for %s '%s' version '%s'; call start-transaction first", txID, k.api, name, version)
			return errNotFound
		}
		repo := a.Repos[repoKey]
		final := versionPath(k, name, version)
		if repo.isFolder(final) {
			problem = fmt.Sprintf("%s '%s' version '%s' already exists in '%s'", k.noun, name, version, repoKey)
			return errConflict
		}
		if problem = missingArtifacts(k, repo, tx.Lead, m); problem != "" {
			return errBadPath
		}
		for q, f := range repo.Files {
			if within(q, tx.Lead) {
				np := final + strings.TrimPrefix(q, tx.Lead)
				if err := repo.ensureFolders(parentOf(np), by, now); err != nil {
					problem = fmt.Sprintf("A file is in the way of '%s'; delete it and retry", np)
					return err
				}
				repo.Files[np] = f
			}
		}
		repo.removeTree(tx.Lead)
		pruneEmpty(repo, parentOf(tx.Lead), k.root+"/"+name)
		if err := s.blobs.commit(in); err != nil {
			return err
		}
		a.Blobs[in.sums.Sha256] = &blobInfo{Sha1: in.sums.Sha1, Md5: in.sums.Md5, Size: in.size}
		repo.putFile(final+"/"+k.manifest, in.sums.Sha256, in.size, by, now, nil)
		if len(props) > 0 {
			repo.Folders[final].Properties = mergeProps(nil, props)
		}
		delete(a.Transactions, txID)
		return nil
	})
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, problem)
	case errors.Is(err, errConflict):
		writeError(w, r, http.StatusConflict, problem)
	case errors.Is(err, errBadPath):
		writeError(w, r, http.StatusBadRequest, problem)
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.log.Info().Str("repo", repoKey).Str(k.api, name).Str("version", version).Msg(k.api + " version stored")
		writeJSON(w, http.StatusOK, "application/json", kindReply(k, s.withServerFields(k, m, repoKey, name, version)))
	}
}

// missingArtifacts checks that every manifest entry was uploaded under the
// transaction with the stated size and SHA-256, and describes the first
// that was not.
func missingArtifacts(k mlKind, repo *repository, lead string, m entityManifest) string {
	check := func(group string, list []artifactEntry) string {
		for _, a := range list {
			p := lead + "/" + group + "/" + a.ArtifactPath
			f := repo.Files[p]
			switch {
			case f == nil:
				return fmt.Sprintf("Artifact '%s' of the manifest was not uploaded to '%s'; upload it before ending the transaction", a.ArtifactPath, p)
			case f.Sha256 != a.Checksums.Sha2 || f.Size != a.Size:
				return fmt.Sprintf("Artifact '%s' at '%s' does not match the manifest's size and sha2; upload it again", a.ArtifactPath, p)
			}
		}
		return ""
	}
	if msg := check(k.group, m.ModelArtifacts); msg != "" {
		return msg
	}
	if msg := check(groupFolders.Deps, m.DependencyArtifacts); msg != "" {
		return msg
	}
	if m.CodeArtifacts != nil {
		return check(groupFolders.Code, []artifactEntry{*m.CodeArtifacts})
	}
	return ""
}

// pruneEmpty removes empty folders from p up to (not including) stop.
func pruneEmpty(repo *repository, p, stop string) {
	for p != stop && within(p, stop) && repo.Folders[p] != nil && len(repo.children(p)) == 0 {
		delete(repo.Folders, p)
		p = parentOf(p)
	}
}

// withServerFields adds id, version and download URLs to a stored manifest.
func (s *Server) withServerFields(k mlKind, m entityManifest, repo, name, version string) entityManifest {
	final := versionPath(k, name, version)
	m.ID, m.Version = name, version
	fill := func(group string, list []artifactEntry) []artifactEntry {
		out := append([]artifactEntry(nil), list...)
		for i := range out {
			out[i].DownloadURL = s.downloadURI(repo, final+"/"+group+"/"+out[i].ArtifactPath)
		}
		return out
	}
	m.ModelArtifacts = fill(k.group, m.ModelArtifacts)
	m.DependencyArtifacts = fill(groupFolders.Deps, m.DependencyArtifacts)
	if m.CodeArtifacts != nil {
		m.CodeArtifacts = &fill(groupFolders.Code, []artifactEntry{*m.CodeArtifacts})[0]
	}
	return m
}

// handleGetManifest: GET .../{model,dataset}/entity-manifest/{NAME}/{version}.
func (s *Server) handleGetManifest(k mlKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.getManifest(k, w, r) }
}

func (s *Server) getManifest(k mlKind, w http.ResponseWriter, r *http.Request) {
	repoKey := r.PathValue("repo")
	segs := strings.Split(strings.Trim(r.PathValue("rest"), "/"), "/")
	if len(segs) < 2 || len(segs) > 3 {
		writeError(w, r, http.StatusBadRequest, "Expected /api/machinelearning/{repo}/"+k.api+"/entity-manifest/[{namespace}/]{name}/{version}")
		return
	}
	name, okName := entityName(segs[:len(segs)-1])
	version := segs[len(segs)-1]
	if !okName || !validEntityName(version) {
		writeError(w, r, http.StatusBadRequest, "Invalid "+k.api+" name or version")
		return
	}
	if !s.mlRepo(w, r, repoKey) {
		return
	}
	it := s.find(repoKey, versionPath(k, name, version)+"/"+k.manifest)
	if it.File == nil {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("%s '%s' version '%s' not found in '%s'", k.noun, name, version, repoKey))
		return
	}
	f, err := s.blobs.open(it.File.Sha256)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifest))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	m, err := unmarshalKindManifest(k, b)
	if err != nil {
		s.internalError(w, r, fmt.Errorf("decode stored manifest: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", kindReply(k, s.withServerFields(k, m, repoKey, name, version)))
}

// kind returns the transaction's entity kind, "model" for old state.
func (t *mlTransaction) kind() string {
	if t.Kind == "" {
		return modelEntity.api
	}
	return t.Kind
}

// datasetManifest is dataset-manifest.json: created_date and
// dataset_artifacts (frogml DatasetManifest); id, version and download_url
// are server fields.
type datasetManifest struct {
	ID               string          `json:"id,omitempty"`
	Version          string          `json:"version,omitempty"`
	CreatedDate      string          `json:"created_date,omitempty"`
	DatasetArtifacts []artifactEntry `json:"dataset_artifacts"`
}

// parseKindManifest parses a client's manifest of kind k into the common
// form (a dataset's files in ModelArtifacts).
func parseKindManifest(k mlKind, b []byte) (entityManifest, error) {
	if k == modelEntity {
		return parseManifest(b)
	}
	var d datasetManifest
	if err := decodeObject(b, &d); err != nil {
		return entityManifest{}, err
	}
	if len(d.DatasetArtifacts) == 0 {
		return entityManifest{}, errors.New("dataset_artifacts must list at least one file")
	}
	// validate the artifacts with the model rules
	m, err := parseManifest(mustMarshal(entityManifest{ModelArtifacts: d.DatasetArtifacts}))
	if err != nil {
		return entityManifest{}, errors.New(strings.ReplaceAll(err.Error(), "model_artifacts", "dataset_artifacts"))
	}
	m.CreatedDate = d.CreatedDate
	return m, nil
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// marshalKindManifest renders the stored manifest of kind k.
func marshalKindManifest(k mlKind, m entityManifest) ([]byte, error) {
	return json.MarshalIndent(kindReply(k, m), "", "  ")
}

// unmarshalKindManifest reads a stored manifest of kind k.
func unmarshalKindManifest(k mlKind, b []byte) (entityManifest, error) {
	if k == modelEntity {
		var m entityManifest
		err := json.Unmarshal(b, &m)
		return m, err
	}
	var d datasetManifest
	if err := json.Unmarshal(b, &d); err != nil {
		return entityManifest{}, err
	}
	return entityManifest{ID: d.ID, Version: d.Version, CreatedDate: d.CreatedDate, ModelArtifacts: d.DatasetArtifacts}, nil
}

// kindReply returns the JSON shape of kind k for a manifest.
func kindReply(k mlKind, m entityManifest) any {
	if k == modelEntity {
		return m
	}
	return datasetManifest{ID: m.ID, Version: m.Version, CreatedDate: m.CreatedDate, DatasetArtifacts: m.ModelArtifacts}
}
