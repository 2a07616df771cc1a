// Package buildinfo holds the version and commit stamped into every binary at
// link time (see the Makefile's LDFLAGS).
package buildinfo

import "runtime"

// Version is the release version, set with -ldflags "-X .../buildinfo.Version=...".
var Version = "dev"

// Commit is the source commit, set with -ldflags "-X .../buildinfo.Commit=...".
var Commit = "unknown"

// GoVersion is the Go toolchain that built the binary.
func GoVersion() string { return runtime.Version() }

// String returns "VERSION (COMMIT, GOVERSION)".
func String() string { return Version + " (" + Commit + ", " + runtime.Version() + ")" }
