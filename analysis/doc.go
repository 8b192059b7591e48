// Package analysis holds the paper's analyses (paper/METHODS §4) as pure
// functions on plain Go data: learning metrics over per-epoch N curves, the
// task-switching metrics (switching.go), PCA dimensionality,
// autocorrelation timescales, Treves–Rolls sparsity, the cross-entropy of
// the readout-recovery experiment, t-SNE (tsne.go), and the quantities of
// the mechanism analyses with a float64 step of the Elman core and its
// Jacobian-vector products (mechanisms.go, stepmap.go).
//
// Nothing here depends on the models, the trainer or the run directory: the
// callers load activity / curves / logits and pass slices in. Numerics use
// gonum (stat, mat.EigenSym, dsp/fourier, optimize); what is written by
// hand (among it the Barnes–Hut t-SNE) says why where it appears, and its definitions come from METHODS §4.
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
