package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/frogbridge/frogbridge/internal/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one trainer subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands by name.
var commands = map[string]command{
	"train":   {"train a model and write model.json, model.onnx, metrics.json, metadata.json", runTrain},
	"predict": {"predict the rows of a CSV file with a model file", runPredict},
	"export":  {"convert a model.json into model.onnx (ONNX, for any ONNX runtime)", runExport},
	"infer":   {"download a model version from Artifactory, verify it and run batch inference", runInfer},
	"version": {"print the trainer version", runVersion},
	"model":   {"push, pull or list model versions of the Artifactory ML repository", entityCommand{"model"}.run},
	"dataset": {"push, pull or list dataset versions of the Artifactory ML repository", entityCommand{"dataset"}.run},
}

// run reads the configuration from the environment, dispatches to a
// subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, &env{cfg: config.TrainerFromEnv()}, args, stdout, stderr)
}

// runWith is run with the configuration given.
func runWith(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "trainer: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(ctx, e, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: trainer <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'trainer <command> --help' for the flags of a command.\nExit codes: 0 ok, 1 runtime failure, 2 usage error.")
}

// parseFlags parses args, printing help to stdout for --help and errors to
// stderr. It returns the exit code to use and whether to stop.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, true
	}
	if err != nil {
		fmt.Fprintf(stderr, "trainer %s: %v\n", fs.Name(), err)
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "trainer %s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return exitUsage, true
	}
	return exitOK, false
}

// usageFunc returns a FlagSet.Usage that prints a synopsis and the flags.
func usageFunc(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
}

// usageError reports a bad flag value and returns exitUsage.
func usageError(stderr io.Writer, cmd string, format string, a ...any) int {
	fmt.Fprintf(stderr, "trainer %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return exitUsage
}

// failure reports a runtime error and returns exitFailure.
func failure(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "trainer %s: %v\n", cmd, err)
	return exitFailure
}
