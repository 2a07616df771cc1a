package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// pushResult is the --json output of push.
type pushResult struct {
	Name             string `json:"name"`
	Version          string `json:"version"`
	Repository       string `json:"repository"`
	URL              string `json:"url"`
	Files            int    `json:"files"`
	BytesSent        int64  `json:"bytes_sent"`
	ChecksumDeployed int    `json:"checksum_deployed"`
}

// runEntityPush implements `trainer model|dataset push`: store files and
// folders as one version, the way frogml's log_model / upload_dataset_version
// does (a folder's files keep their paths inside it; a file is stored
// under its base name; frogml's skipped names such as .git are left out).
func runEntityPush(c entityCommand, ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	cmd := c.noun + " push"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	name := fs.String("name", "", c.noun+" name")
	version := fs.String("version", "", "version (default: frogml's, the UTC time as 2006-01-02-15-04-05-000)")
	repoKey := fs.String("repo", "", "Machine Learning repository (default "+jobspec.EnvMLRepo+")")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	props := propertyFlags{}
	fs.Var(props, "property", "property key=value of the version (repeatable)")
	fs.Usage = usageFunc(fs, "trainer "+cmd+" --name N [--version V] [--property k=v ...] [--json] PATH...")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		return usageError(stderr, cmd, "%v", err)
	}
	if err := jfrog.ValidateModelName(*name); err != nil {
		return usageError(stderr, cmd, "--name: %v", err)
	}
	if *version != "" {
		if err := jfrog.ValidateModelVersion(*version); err != nil {
			return usageError(stderr, cmd, "--version: %v", err)
		}
	}
	if fs.NArg() == 0 {
		return usageError(stderr, cmd, "give at least one file or folder to push")
	}
	files, err := collectFiles(fs.Args())
	if err != nil {
		return usageError(stderr, cmd, "%v", err)
	}
	repo, err := connectRepo(e, *repoKey)
	if err != nil {
		return usageError(stderr, cmd, "%v", err)
	}
	var res jfrog.UploadResult
	err = repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		var err error
		if c.noun == "model" {
			res, err = repo.client.UploadModelVersion(ctx, tok, jfrog.ModelRef{Repo: repo.repo, Name: *name, Version: *version}, files, &jfrog.UploadOptions{Properties: props})
		} else {
			res, err = repo.client.UploadDatasetVersion(ctx, tok, jfrog.DatasetRef{Repo: repo.repo, Name: *name, Version: *version}, files, &jfrog.UploadOptions{Properties: props})
		}
		return err
	})
	if err != nil {
		return failure(stderr, cmd, fmt.Errorf("push %s %s to %s: %w", c.noun, *name, repo.repo, err))
	}
	out := pushResult{Name: res.Name, Version: res.Version, Repository: res.Repo, URL: res.URL, Files: len(files), BytesSent: res.BytesSent, ChecksumDeployed: res.ChecksumDeployed}
	if *asJSON {
		printJSON(stdout, out)
	} else {
		fmt.Fprintf(stdout, "pushed %s %s %s to %s: %d files, %d bytes sent, %d already stored\n%s\n", c.noun, out.Name, out.Version, out.Repository, out.Files, out.BytesSent, out.ChecksumDeployed, out.URL)
	}
	return exitOK
}

// collectFiles lists the files of the given paths with their artifact
// paths, as frogml names them: a file by its base name, a folder's files
// by their path inside it.
func collectFiles(paths []string) ([]jfrog.ModelFile, error) {
	var files []jfrog.ModelFile
	seen := map[string]string{}
	add := func(name, p string) error {
		if jfrog.SkippedName(name) {
			return nil
		}
		if err := jfrog.ValidateArtifactPath(name); err != nil {
			return err
		}
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("%s and %s would both be stored as %q", prev, p, name)
		}
		seen[name] = p
		files = append(files, jfrog.ModelFile{Name: name, Path: p})
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := add(filepath.Base(p), p); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s is not a regular file", q)
			}
			rel, err := filepath.Rel(p, q)
			if err != nil {
				return err
			}
			return add(filepath.ToSlash(rel), q)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no files to push in %v", paths)
	}
	return files, nil
}
