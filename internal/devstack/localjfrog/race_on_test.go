//go:build race

package localjfrog

// raceEnabled halves the large streaming test under the race detector,
// which slows hashing and TLS several times over.
const raceEnabled = true
