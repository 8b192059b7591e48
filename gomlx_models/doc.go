// Package gomlxmodels implements the cortico-cerebellar RNNs of Voce,
// Giannakakis & Clopath (2026) on GoMLX, and any network declared from the
// same parts: a recurrent core (the paper's leaky Elman, its GRU, or a plain
// tanh RNN cell), an optional cerebellar module (a list of layers, or the
// authors' recurrent control), and a readout on the last step or on every
// step. A network declared this way trains, evaluates, records its dynamics
// and counts its parameters through GoMLX's autodiff; the paper's Elman and
// GRU models also have a hand-written backward pass (fastpath_*.go), chosen
// automatically because it is faster and tested against autodiff.
//
// Parameters use the PyTorch names and [out, in] layout of the authors'
// code (inp.weight, hh.bias, cb.gc.weight, heads.0.weight, …; see
// paper/METHODS.md §1), so that weights move between the two without
// renaming. registry.go names the models the paper and its sources use.
package gomlxmodels
