package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/devstack/envfile"
	"github.com/frogbridge/frogbridge/internal/devstack/funchost"
	"github.com/frogbridge/frogbridge/internal/funcpkg"
	"github.com/frogbridge/frogbridge/internal/logging"
	"github.com/rs/zerolog"
)

// runHost runs a packaged function app like the Functions host does.
func runHost(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("host", flag.ContinueOnError)
	fs.SetOutput(stderr)
	appDir := fs.String("app", "dist/functionapp", "packaged function app folder (make package)")
	port := fs.Int("port", 7071, "port to serve http://127.0.0.1:PORT/api/... on (0 picks one)")
	envFile := fs.String("env-file", "", "KEY=VALUE app settings, e.g. the file `devstack up` writes")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: devstack host --app DIR [--port PORT] [--env-file FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "devstack host: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	settings := map[string]string{}
	if *envFile != "" {
		m, err := envfile.ReadFile(*envFile)
		if err != nil {
			fmt.Fprintf(stderr, "devstack host: %v\n", err)
			return 2
		}
		settings = appSettings(m)
	}
	for _, k := range []string{"FUNCTIONS_MASTER_KEY", "FUNCTIONS_DEFAULT_KEY"} {
		if settings[k] == "" {
			settings[k] = funchost.NewKey()
			fmt.Fprintf(stdout, "%s=%s (generated; put it in the env file to keep it)\n", k, settings[k])
		}
	}
	app, err := funcpkg.Load(*appDir)
	if err != nil {
		fmt.Fprintf(stderr, "devstack host: %v (run make package)\n", err)
		return 2
	}
	log := logging.New(stdout, zerolog.InfoLevel).With().Str(logging.FieldComponent, "funchost").Logger()
	h, err := funchost.New(funchost.Options{
		App:         app,
		Addr:        net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)),
		Settings:    settings,
		MasterKey:   settings["FUNCTIONS_MASTER_KEY"],
		FunctionKey: settings["FUNCTIONS_DEFAULT_KEY"],
		Logger:      log,
		Stdout:      stdout,
		Stderr:      stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "devstack host: %v\n", err)
		return 2
	}
	if err := h.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "devstack host: %v\n", err)
		return 1
	}
	return 0
}

// appSettings drops from an env file the entries that belong to the local
// stack's administration, not to the app: JFROG_ADMIN_TOKEN and every
// DEVSTACK_* entry (the compute identity's secret, the admin API, ...).
// `devstack up` writes them to the same file for the tests and the demo;
// the Functions host gives the handler only app settings, as Azure does.
func appSettings(envFile map[string]string) map[string]string {
	out := make(map[string]string, len(envFile))
	for k, v := range envFile {
		if k == "JFROG_ADMIN_TOKEN" || strings.HasPrefix(k, "DEVSTACK_") {
			continue
		}
		out[k] = v
	}
	return out
}
