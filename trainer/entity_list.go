package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// listedVersion is one element of the --json output of list.
type listedVersion struct {
	Version string `json:"version"`
	Stored  string `json:"stored,omitempty"`
}

// runEntityList implements `trainer model|dataset list`: the complete
// versions, newest first.
func runEntityList(c entityCommand, ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	cmd := c.noun + " list"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	name := fs.String("name", "", c.noun+" name")
	repoKey := fs.String("repo", "", "Machine Learning repository (default "+jobspec.EnvMLRepo+")")
	asJSON := fs.Bool("json", false, "print the versions as a JSON array")
	fs.Usage = usageFunc(fs, "trainer "+cmd+" --name N [--json]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	if err := jfrog.ValidateModelName(*name); err != nil {
		return usageError(stderr, cmd, "--name: %v", err)
	}
	repo, err := connectRepo(e, *repoKey)
	if err != nil {
		return usageError(stderr, cmd, "%v", err)
	}
	var vs []jfrog.ModelVersionInfo
	err = repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		var err error
		if c.noun == "model" {
			vs, err = repo.client.ListModelVersions(ctx, tok, jfrog.ModelRef{Repo: repo.repo, Name: *name})
		} else {
			vs, err = repo.client.ListDatasetVersions(ctx, tok, jfrog.DatasetRef{Repo: repo.repo, Name: *name})
		}
		return err
	})
	if err != nil {
		return failure(stderr, cmd, fmt.Errorf("list %s %s in %s: %w", c.noun, *name, repo.repo, err))
	}
	out := make([]listedVersion, len(vs))
	for i, v := range vs {
		out[i].Version = v.Version
		if !v.Stored.IsZero() {
			out[i].Stored = v.Stored.Format(time.RFC3339)
		}
	}
	if *asJSON {
		printJSON(stdout, out)
		return exitOK
	}
	for _, v := range out {
		fmt.Fprintf(stdout, "%s\t%s\n", v.Version, v.Stored)
	}
	return exitOK
}
