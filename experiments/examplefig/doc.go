// Package examplefig is the README's worked example of "Adding a figure":
// one file that declares a figure (which groups, on which task, at which
// budget) and draws it from the cohorts the experiments package trains or
// loads. It is a package of its own so that the example stays the size a
// newcomer copies, and the figure is registered wherever it is imported.
package examplefig
