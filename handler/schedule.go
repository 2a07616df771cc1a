package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/frogbridge/frogbridge/internal/rotation"
)

// runSchedule prints the NCRONTAB rotation schedule for a token lifetime:
// a run at 80 % of the TTL, rounded down to a period the six-field syntax
// can express. terraform computes ROTATION_SCHEDULE with the same rule.
func runSchedule(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ttl := fs.Int64("ttl", 0, "token lifetime in seconds (SECRET_TTL)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: handler schedule --ttl SECONDS")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *ttl <= 0 || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	expr, err := rotation.Schedule(time.Duration(*ttl) * time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "handler schedule: %v\n", err)
		return 2
	}
	fmt.Fprintln(stdout, expr)
	return 0
}
