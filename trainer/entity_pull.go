package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// pullResult is the --json output of pull.
type pullResult struct {
	Name       string       `json:"name"`
	Version    string       `json:"version"`
	Repository string       `json:"repository"`
	Dir        string       `json:"dir"`
	Files      []pulledFile `json:"files"`
}

type pulledFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// runEntityPull implements `trainer model|dataset pull`: download a
// version into a new or empty folder, every file verified by SHA-256, the
// folder moved into place only when all match.
func runEntityPull(c entityCommand, ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	cmd := c.noun + " pull"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	name := fs.String("name", "", c.noun+" name")
	version := fs.String("version", "", "version, or \"latest\"")
	dir := fs.String("dir", "", "new or empty folder that receives the files")
	repoKey := fs.String("repo", "", "Machine Learning repository (default "+jobspec.EnvMLRepo+")")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	fs.Usage = usageFunc(fs, "trainer "+cmd+" --name N --version V|latest --dir DIR [--json]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	if err := jfrog.ValidateModelName(*name); err != nil {
		return usageError(stderr, cmd, "--name: %v", err)
	}
	if *version != jfrog.LatestVersion {
		if err := jfrog.ValidateModelVersion(*version); err != nil {
			return usageError(stderr, cmd, "--version: %v; use a stored version or \"latest\"", err)
		}
	}
	if *dir == "" {
		return usageError(stderr, cmd, "--dir: give the folder to download into")
	}
	repo, err := connectRepo(e, *repoKey)
	if err != nil {
		return usageError(stderr, cmd, "%v", err)
	}
	v := *version
	var dl jfrog.DownloadResult
	err = repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		var err error
		if c.noun == "model" {
			if v, err = repo.client.ResolveVersion(ctx, tok, jfrog.ModelRef{Repo: repo.repo, Name: *name, Version: *version}); err == nil {
				dl, err = repo.client.DownloadModelVersion(ctx, tok, jfrog.ModelRef{Repo: repo.repo, Name: *name, Version: v}, *dir, nil)
			}
		} else {
			if v, err = repo.client.ResolveDatasetVersion(ctx, tok, jfrog.DatasetRef{Repo: repo.repo, Name: *name, Version: *version}); err == nil {
				dl, err = repo.client.DownloadDatasetVersion(ctx, tok, jfrog.DatasetRef{Repo: repo.repo, Name: *name, Version: v}, *dir, nil)
			}
		}
		return err
	})
	if err != nil {
		return failure(stderr, cmd, fmt.Errorf("pull %s %s version %s from %s: %w", c.noun, *name, *version, repo.repo, err))
	}
	out := pullResult{Name: *name, Version: v, Repository: repo.repo, Dir: *dir, Files: []pulledFile{}}
	for _, f := range dl.Files {
		out.Files = append(out.Files, pulledFile{Path: f.ArtifactPath, Size: f.Size, SHA256: f.Sha256})
	}
	if *asJSON {
		printJSON(stdout, out)
	} else {
		fmt.Fprintf(stdout, "pulled %s %s %s from %s into %s: %d files verified\n", c.noun, out.Name, out.Version, out.Repository, out.Dir, len(out.Files))
	}
	return exitOK
}
