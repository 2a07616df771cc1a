//go:build race

package jfrog

// raceEnabled halves the large streaming test under the race detector,
// which slows hashing and TLS several times over.
const raceEnabled = true
