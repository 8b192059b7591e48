// Package analysis holds the paper's analyses (SPEC §4) as pure functions on
// plain Go data: learning metrics over per-epoch N curves, PCA
// dimensionality, autocorrelation timescales, Treves–Rolls sparsity and
// accuracy helpers for the CB ablation / readout-recovery experiments.
//
// Nothing here depends on the models, the trainer or the run directory: the
// callers load activity / curves / logits and pass slices in. Numerics use
// gonum (stat, mat.EigenSym, dsp/fourier, optimize); the few hand-written
// formulas are one-liners whose definitions come from SPEC §4 and are
// commented where they appear.
//
// Conventions shared by the whole package:
//   - A "curve" is the N trained at each epoch (index 0 = first epoch), as a
//     []float64, exactly as recorded in stats.jsonl.
//   - Activity tensors are [trial][time][unit] (or [sample][unit] once
//     flattened); generic functions accept float32 or float64.
//   - Undefined quantities (a silent unit's autocorrelation, the sparsity of
//     an all-zero vector) are NaN and are skipped by the aggregating helpers;
//     nothing in this package panics on silent populations.
package analysis

// Float is the element type accepted by the generic helpers.
type Float interface {
	~float32 | ~float64
}
