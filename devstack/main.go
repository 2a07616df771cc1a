// Command devstack runs the local stack: faithful local stand-ins for the
// Azure and JFrog services frogbridge talks to (`devstack up`) and a local
// Azure Functions host for the packaged function app (`devstack host`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
)

const usage = `usage: devstack <command> [flags]

commands:
  up       start the local Entra ID, Key Vault, JFrog Platform, AzureML and Azurite
  host     run a packaged function app like the Azure Functions host does
  package  lay out the function app (host.json, functions, handler) and zip it
  demo     run the whole story on the local stack and print it step by step
  version  print the version

Run "devstack <command> -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "up":
		return runUp(ctx, args[1:], stdout, stderr)
	case "host":
		return runHost(ctx, args[1:], stdout, stderr)
	case "package":
		return runPackage(args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "devstack", buildinfo.String())
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "devstack: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
