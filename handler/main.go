// Command handler is frogbridge's Azure Functions custom handler: one static
// binary that serves the function app's timer and HTTP functions (JFrog
// token rotation, AzureML job submission and status, health).
//
// The Functions host starts it with no arguments and FUNCTIONS_CUSTOMHANDLER_PORT
// set. Subcommands exist for operators: `handler schedule --ttl SECONDS`
// prints the rotation schedule for a token lifetime, `handler doctor` runs
// the diagnostics of GET /api/diagnostics from a shell, `handler version`
// prints the build.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
)

const usage = `usage: handler [command]

Without a command the handler serves the function app on
127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT, as the Azure Functions host expects.

commands:
  serve                   serve the function app (the default)
  doctor                  run every check the functions depend on and print what to change
  schedule --ttl SECONDS  print the NCRONTAB rotation schedule for a token lifetime
  version                 print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The host passes no arguments; older hosts passed --workerId/--port,
	// which are ignored rather than refused.
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return serve(ctx, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, stdout, stderr)
	case "schedule":
		return runSchedule(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "handler", buildinfo.String())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "handler: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
