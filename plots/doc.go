// Package plots draws the paper's figures with gonum/plot: mean ± SEM
// curves, connected points with error bars, grouped bars, multi-panel grids
// and tables, in a consistent look (METHODS §5). Every figure is saved as both
// PNG and SVG, atomically, by Save.
//
// The helpers return *plot.Plot values, so a notebook can still tweak axes,
// legends or ranges before composing them with Grid and saving. Fonts are
// gonum/plot's built-in Liberation faces (no downloads).
package plots
