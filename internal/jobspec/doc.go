// Package jobspec is the contract between the job service
// (internal/jobs, in the handler) and the trainer that runs in the job: the
// environment the job sets, the named outputs of its command, and the files
// the trainer writes there. Both sides use these declarations, so a name
// or a field changes in one place.
//
// The package has no dependencies beyond the standard library: the handler
// imports it without the trainer's numerics.
package jobspec
