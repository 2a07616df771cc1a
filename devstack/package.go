package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/frogbridge/frogbridge/internal/funcpkg"
)

// runPackage lays out the function app for deployment and for `devstack host`.
func runPackage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", ".", "folder with host.json and functions/<Name>/function.json")
	handler := fs.String("handler", "", "custom handler executable (linux/amd64, static)")
	out := fs.String("out", "dist/functionapp", "output folder (replaced)")
	zipPath := fs.String("zip", "", "also write this zip (for OneDeploy)")
	authMode := fs.String("auth-mode", funcpkg.AuthKeys, "AUTH_MODE the app runs with: keys, or entra/both (anonymous HTTP functions; the handler checks callers)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *handler == "" {
		fmt.Fprintln(stderr, "devstack package: --handler is required")
		return 2
	}
	app, err := funcpkg.Pack(funcpkg.PackOptions{SrcDir: *src, Handler: *handler, OutDir: *out, Zip: *zipPath, AuthMode: *authMode})
	if err != nil {
		fmt.Fprintf(stderr, "devstack package: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "packaged %d functions (auth mode %s) into %s", len(app.Functions), *authMode, *out)
	if *zipPath != "" {
		fmt.Fprintf(stdout, " and %s", *zipPath)
	}
	fmt.Fprintln(stdout)
	return 0
}
