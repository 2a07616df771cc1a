package jfrog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// ItemInfo is the part of Artifactory's file info (GET
// /artifactory/api/storage/{repo}/{path}) a verified download needs.
type ItemInfo struct {
	// Repo and Path locate the file.
	Repo, Path string
	// Size is the file size in bytes.
	Size int64
	// Sha256 is the lower-case hex SHA-256 Artifactory reports.
	Sha256 string
}

// fileInfoReply is the storage API's file info; size is a string in
// Artifactory's reply ("size": "1024") [DOC:file-info].
type fileInfoReply struct {
	Size      json.RawMessage `json:"size"`
	Children  json.RawMessage `json:"children"`
	Checksums struct {
		Sha256 string `json:"sha256"`
	} `json:"checksums"`
}

// ParseFileInfo decodes a storage API file info reply. A folder (a reply
// with children), a missing or malformed size or SHA-256 matches
// upstream.ErrUnavailable or ErrInvalidInput.
func ParseFileInfo(body []byte) (size int64, sha string, err error) {
	var fi fileInfoReply
	if err := json.Unmarshal(body, &fi); err != nil {
		return 0, "", fmt.Errorf("file info is not valid JSON: %w", upstream.ErrUnavailable)
	}
	if fi.Children != nil {
		return 0, "", fmt.Errorf("the path is a folder, not a file: %w", ErrInvalidInput)
	}
	n, perr := strconv.ParseInt(strings.Trim(string(fi.Size), `"`), 10, 64)
	sha = strings.ToLower(fi.Checksums.Sha256)
	if perr != nil || n < 0 || !isHexDigest(sha, 64) {
		return 0, "", fmt.Errorf("file info lacks a size or a sha256 checksum (Artifactory computes SHA-256 for files deployed without one; ask an admin to run the checksum calculation): %w", upstream.ErrUnavailable)
	}
	return n, sha, nil
}

// GetItemInfo reads the size and SHA-256 of one file of any repository.
func (c *Client) GetItemInfo(ctx context.Context, token secret.Token, repo, p string) (ItemInfo, error) {
	if err := ValidateRepoKey(repo); err != nil {
		return ItemInfo{}, err
	}
	if !validateRelPath(p) {
		return ItemInfo{}, fmt.Errorf("path %q in repository %s is not a relative file path: %w", p, repo, ErrInvalidInput)
	}
	api := "/artifactory/api/storage/" + strings.TrimPrefix(artifactPath(repo, p), "/artifactory/")
	req, err := c.newRequest(ctx, http.MethodGet, api, token, nil)
	if err != nil {
		return ItemInfo{}, err
	}
	hint := func(status int) string {
		if status == http.StatusNotFound {
			return fmt.Sprintf("no file %s in repository %s: check the repository and path", p, repo)
		}
		return contentHint(repo)(status)
	}
	resp, err := c.send(req, hint, http.StatusOK)
	if err != nil {
		return ItemInfo{}, err
	}
	raw, err := readBody(resp, 1<<20)
	if err != nil {
		return ItemInfo{}, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(api), err)
	}
	size, sha, err := ParseFileInfo(raw)
	if err != nil {
		return ItemInfo{}, fmt.Errorf("jfrog: %s:%s: %w", repo, p, err)
	}
	return ItemInfo{Repo: repo, Path: p, Size: size, Sha256: sha}, nil
}

// DownloadArtifact downloads one file of any repository (a generic one,
// say) to dest, verified against the size and SHA-256 Artifactory reports
// in its file info and in the download's X-Checksum-Sha256. The bytes are
// streamed into a temporary file beside dest, hashed on the way, and
// renamed to dest only when they match; dest must not exist.
func (c *Client) DownloadArtifact(ctx context.Context, token secret.Token, repo, p, dest string, opts *DownloadOptions) (ItemInfo, error) {
	if opts == nil {
		opts = &DownloadOptions{}
	}
	info, err := c.GetItemInfo(ctx, token, repo, p)
	if err != nil {
		return ItemInfo{}, err
	}
	if _, err := os.Lstat(dest); !errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("jfrog: download %s:%s: %s already exists: give a new file name: %w", repo, p, dest, ErrInvalidInput)
	}
	dir := filepath.Dir(dest)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return info, fmt.Errorf("jfrog: download folder %s: %w", dir, err)
	}
	defer root.Close()
	tmp := "." + filepath.Base(dest) + ".part"
	root.Remove(tmp)
	a := Artifact{ArtifactPath: filepath.Base(dest), Size: info.Size, Checksums: ArtifactChecksums{Sha2: info.Sha256}}
	if err := c.fetchVerified(ctx, token, repo, p, root, tmp, a, opts); err != nil {
		root.Remove(tmp)
		return info, err
	}
	if err := root.Rename(tmp, filepath.Base(dest)); err != nil {
		root.Remove(tmp)
		return info, fmt.Errorf("jfrog: move %s into place: %w", dest, err)
	}
	return info, nil
}
