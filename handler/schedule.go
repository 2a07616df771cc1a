package main

import (
	"flag"
	"fmt"
	"io"
)

// runSchedule prints the rotation schedule for a TTL.
func runSchedule(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ttl := fs.Int64("ttl", 0, "token lifetime in seconds (SECRET_TTL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintln(stderr, "handler schedule: not available in this build", *ttl)
	return 1
}
