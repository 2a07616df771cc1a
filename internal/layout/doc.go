// Package layout holds the checks of the module's package graph: which
// packages may import which. It has no code of its own; its tests load the
// import graph with `go list` and fail on a forbidden edge, such as
// production code that imports the local stack.
package layout
