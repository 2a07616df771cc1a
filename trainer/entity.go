package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// Environment variables frogml reads for its credentials: when JF_URL is
// set, frogml uses JF_URL and JF_ACCESS_TOKEN instead of its config file
// [frogml storage authentication/utils/_authentication_utils.py
// __should_use_environment_variables, get_environment_variables;
// constants.py JF_URL, JF_ACCESS_TOKEN].
const (
	envJFURL   = "JF_URL"
	envJFToken = "JF_ACCESS_TOKEN"
)

// entityCommand is `trainer model` or `trainer dataset`: push, pull and
// list for one entity kind of the ML repository.
type entityCommand struct {
	noun string // "model" or "dataset"
}

// entityVerbs are the verbs of an entity command, each in its own file.
var entityVerbs = map[string]func(e entityCommand, ctx context.Context, args []string, env repoEnv, stdout, stderr io.Writer) int{
	"push": runEntityPush,
	"pull": runEntityPull,
	"list": runEntityList,
}

// runEntity dispatches `trainer model|dataset VERB`.
func (e entityCommand) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return e.runWith(ctx, args, loadRepoEnv(), stdout, stderr)
}

func (e entityCommand) runWith(ctx context.Context, args []string, env repoEnv, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, code := stderr, exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fmt.Fprintf(w, "Usage: trainer %s push|pull|list [flags]\n\n"+
			"  push --name N [--version V] [--property k=v ...] [--json] PATH...   store files or folders as a version\n"+
			"  pull --name N --version V|latest --dir DIR [--json]                 download and verify a version\n"+
			"  list --name N [--json]                                              list versions, newest first\n\n"+
			"Credentials: %s and %s (as frogml reads them), else the JFrog token in Key Vault through managed identity.\n", e.noun, envJFURL, envJFToken)
		return code
	}
	verb, ok := entityVerbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "trainer %s: unknown verb %q: use push, pull or list\n", e.noun, args[0])
		return exitUsage
	}
	return verb(e, ctx, args[1:], env, stdout, stderr)
}

// repoEnv is the configuration of the model and dataset commands: a static
// token (JF_URL, JF_ACCESS_TOKEN) or the Key Vault settings of
// artifactoryEnv, and the default repository.
type repoEnv struct {
	artifactory artifactoryEnv
	// err reports bad or missing Key Vault settings when no static token
	// is given.
	err error
	// token is JF_ACCESS_TOKEN when JF_URL is set.
	token secret.Token
	// problems lists bad JF_URL / JF_ACCESS_TOKEN settings.
	problems []string
}

// loadRepoEnv reads the configuration from the process environment.
func loadRepoEnv() repoEnv { return repoEnvFrom(os.Getenv) }

// repoEnvFrom reads the configuration through getenv.
func repoEnvFrom(getenv func(string) string) repoEnv {
	jfURL := strings.TrimSpace(getenv(envJFURL))
	if jfURL == "" {
		a, err := artifactoryEnvFrom(getenv)
		return repoEnv{artifactory: a, err: err}
	}
	var env repoEnv
	env.artifactory.Repo = strings.TrimSpace(getenv(envMLRepo))
	// frogml keeps only scheme://host of JF_URL [storage/utils/_url_utils.py assemble_artifact_url]
	u, err := url.Parse(jfURL)
	switch {
	case err != nil || u.Host == "":
		env.problems = append(env.problems, fmt.Sprintf("%s is not a URL such as https://acme.jfrog.io", envJFURL))
	case u.Scheme != "https":
		env.problems = append(env.problems, fmt.Sprintf("%s must use https", envJFURL))
	default:
		env.artifactory.BaseURL = "https://" + u.Host
	}
	env.token = secret.Token(strings.TrimSpace(getenv(envJFToken)))
	if env.token.IsZero() {
		env.problems = append(env.problems, fmt.Sprintf("%s is set but %s is not: set the JFrog access token, or unset %s to read it from Key Vault", envJFURL, envJFToken, envJFURL))
	}
	return env
}

// connect builds the client for repository repo (the --repo flag, else
// ARTIFACTORY_ML_REPO); a configuration error is a usage error.
func (env repoEnv) connect(repo string) (*modelRepo, error) {
	if repo == "" {
		repo = env.artifactory.Repo
	}
	if repo == "" {
		return nil, fmt.Errorf("no repository: give --repo or set %s", envMLRepo)
	}
	if err := jfrog.ValidateRepoKey(repo); err != nil {
		return nil, err
	}
	if len(env.problems) > 0 {
		return nil, errors.New(strings.Join(env.problems, "; "))
	}
	a := env.artifactory
	a.Repo = repo
	if !env.token.IsZero() {
		c, err := jfrog.NewClient(a.BaseURL, &jfrog.ClientOptions{ClientOptions: clientOptions(a)})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envJFURL, err)
		}
		return &modelRepo{client: c, repo: repo, static: env.token}, nil
	}
	if env.err != nil {
		var missing []string
		for _, p := range strings.Split(env.err.Error(), "; ") {
			if !strings.HasPrefix(p, envMLRepo) {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s (or set %s and %s)", strings.Join(missing, "; "), envJFURL, envJFToken)
		}
	}
	return connectModelRepo(a)
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
