// Package figdata is what a figure notebook needs from `cbrnn figures`,
// without GoMLX: the profiles, the claims file, the repository and output
// folders, the figure data store and the panels drawn from its data.
//
// GoNB builds and links every notebook cell as a new Go program. A cell
// that imports experiments links GoMLX (a 27 MB binary) and spends most of
// its time in the linker; one that imports only this package (through
// notebooks/nb) links a third of that. So the data a figure computes is
// saved by `cbrnn figures` when it draws the figure (Save), and the
// figure's notebook reads it back (Load) instead of computing it again: no
// analysis is computed twice, and a cell that reads cached results builds
// in seconds.
//
// experiments imports this package, never the other way round
// (internal/importrules keeps it so).
package figdata
