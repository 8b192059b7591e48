// Package importrules holds one test and no code: it checks that every
// package of the module imports only the module packages its row in the
// test's table allows, so that the layering (leaves at the bottom, the CLI
// and the notebooks at the top) stays as drawn and a new upward arrow fails
// the build's tests with its name instead of creeping in.
package importrules
