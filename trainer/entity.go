package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// entityCommand is `trainer model` or `trainer dataset`: push, pull and
// list for one entity kind of the ML repository.
type entityCommand struct {
	noun string // "model" or "dataset"
}

// entityVerbs are the verbs of an entity command, each in its own file.
var entityVerbs = map[string]func(c entityCommand, ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int{
	"push": runEntityPush,
	"pull": runEntityPull,
	"list": runEntityList,
}

// run dispatches `trainer model|dataset VERB`.
func (c entityCommand) run(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, code := stderr, exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fmt.Fprintf(w, "Usage: trainer %s push|pull|list [flags]\n\n"+
			"  push --name N [--version V] [--property k=v ...] [--json] PATH...   store files or folders as a version\n"+
			"  pull --name N --version V|latest --dir DIR [--json]                 download and verify a version\n"+
			"  list --name N [--json]                                              list versions, newest first\n\n"+
			"Credentials: %s and %s (as frogml reads them), else the JFrog token in Key Vault through managed identity.\n", c.noun, config.EnvJFrogURL, config.EnvJFrogToken)
		return code
	}
	verb, ok := entityVerbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "trainer %s: unknown verb %q: use push, pull or list\n", c.noun, args[0])
		return exitUsage
	}
	return verb(c, ctx, e, args[1:], stdout, stderr)
}

// connectRepo builds the client of the model and dataset commands for
// repository repo (the --repo flag, else ARTIFACTORY_ML_REPO): with JF_URL
// set, JF_URL and JF_ACCESS_TOKEN as frogml takes them; otherwise the Key
// Vault chain. A configuration error is a usage error.
func connectRepo(e *env, repo string) (*modelRepo, error) {
	cfg := e.cfg
	if repo == "" {
		repo = cfg.Artifactory.Repo
	}
	if repo == "" {
		return nil, fmt.Errorf("no repository: give --repo or set %s", jobspec.EnvMLRepo)
	}
	if err := jfrog.ValidateRepoKey(repo); err != nil {
		return nil, err
	}
	if cfg.JFrogErr != nil {
		return nil, cfg.JFrogErr
	}
	if !cfg.JFrog.Token.IsZero() {
		c, err := jfrog.NewClient(cfg.JFrog.BaseURL, &jfrog.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: e.transport}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.EnvJFrogURL, err)
		}
		return &modelRepo{client: c, repo: repo, static: cfg.JFrog.Token}, nil
	}
	if err := cfg.ArtifactoryErr; err != nil {
		var missing []string
		for _, p := range strings.Split(err.Error(), "; ") {
			if !strings.HasPrefix(p, jobspec.EnvMLRepo) {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s (or set %s and %s)", strings.Join(missing, "; "), config.EnvJFrogURL, config.EnvJFrogToken)
		}
	}
	r, err := connectModelRepo(e)
	if err != nil {
		return nil, err
	}
	r.repo = repo
	return r, nil
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}

// propertyFlags collects repeated --property k=v flags.
type propertyFlags map[string]string

func (p propertyFlags) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k+"="+p[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (p propertyFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q: use key=value", s)
	}
	if err := jfrog.ValidateProperty(k, v); err != nil {
		return err
	}
	if _, dup := p[k]; dup {
		return fmt.Errorf("property %q is given twice", k)
	}
	p[k] = v
	return nil
}
