// Package nb is what the notebooks in notebooks/ need that is not science:
// where the repository is, the run profile chosen by $CBRNN_PROFILE, the
// data `cbrnn figures` saved for a figure (FigData), a context that
// Jupyter's interrupt cancels, and showing figures, tables and prose inline
// (through GoNB's gonbui). Everything a notebook computes — which runs,
// which metric, which plot — stays in its cells, written with the
// project's own packages.
//
// It links no GoMLX (internal/importrules and nbcheck keep it so): GoNB
// builds every cell as a new program, and one that links GoMLX spends
// seconds more in the linker. What trains or opens the task plugins (the
// experiments.Env) is in the sub-package live, which only the notebooks
// that train in their cells import.
//
// A notebook's first cell joins GoNB's scratch module to the repository and
// imports this package:
//
//	!*"${CBRNN_ROOT:-$GONB_DIR/..}/notebooks/nb/workspace.sh"
//	%env GOEXPERIMENT simd
//	import "github.com/cbrnn/cbrnn/notebooks/nb"
//
// (the second line builds the cells with GoMLX's SIMD kernels, as make and
// reproduce.sh build: runs record it and refuse to resume without it).
//
// GoNB runs every cell as a fresh process, re-initialising all package-level
// variables: a variable declared in one cell (var cohorts = …) is computed
// again in every later cell. A figure's data is read back from disk
// (FigData); an analysis of the notebook's own goes through Memo, which
// keeps its result on disk.
//
// Outside a notebook (tests, go run) the display functions print plain text
// instead, so the same code runs anywhere.
package nb
