//go:build !race

package jfrog

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
