//go:build !race

package localjfrog

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
