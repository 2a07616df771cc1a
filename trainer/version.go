package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
)

// runVersion prints the trainer version, commit and Go version.
func runVersion(_ context.Context, _ *env, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the version as JSON")
	fs.Usage = usageFunc(fs, "trainer version [--json]")
	if code, stop := parseFlags(fs, args, stdout, stderr); stop {
		return code
	}
	if *asJSON {
		out, _ := json.Marshal(struct {
			jobspec.TrainerBuild
			ModelSchemaVersion int `json:"model_schema_version"`
		}{buildTrainer(), ml.ModelSchemaVersion})
		fmt.Fprintf(stdout, "%s\n", out)
		return exitOK
	}
	fmt.Fprintf(stdout, "trainer %s\n", buildinfo.String())
	return exitOK
}

func buildTrainer() jobspec.TrainerBuild {
	return jobspec.TrainerBuild{Version: buildinfo.Version, Commit: buildinfo.Commit, GoVersion: buildinfo.GoVersion()}
}
