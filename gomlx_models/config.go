// Package gomlxmodels implements the cortico-cerebellar RNNs of Voce,
// Giannakakis & Clopath (2026) on GoMLX: the Elman and GRU cores, the
// cerebellar module (GC → PC → DCN), parameter counting and matching, and a
// training step with the paper's optimiser, for K networks at once.
//
// Parameters use the PyTorch names and [out, in] layout of the paper's code
// (inp.weight, hh.bias, cb.gc.weight, head.weight, …) so that weights move
// between the two without renaming.
package gomlxmodels

// Config describes one network. The zero values of Tau, Slope, PC, CBSees,
// Heads and Inputs are replaced by the paper's defaults in WithDefaults.
type Config struct {
	Core   string // "elman" or "gru"
	Inputs int    // input channels I (1 for the single tasks, 2 for switching)
	Hidden int    // H
	CB     bool   // cerebellar module on
	GC, PC int    // granule and Purkinje widths (paper: G = 64…512, P = 64)
	// CBSees is what the granule layer receives: "hidden+input" (the paper's
	// default, c_t = [h_{t-1}, x_t]), "hidden" or "input".
	CBSees      string
	Heads       []int   // classes per readout head; default one head of 2
	Tau         float64 // Elman time constant, default 1.5
	Slope       float64 // LeakyReLU negative slope, default 0.01
	GRUMaxRatio float64 // GRU: ‖b_cb‖ is clipped to this × ‖n_pre‖, default 1
}

// ParamSpec is one parameter tensor: its PyTorch name, shape ([out, in] for
// weights) and the group the trainer freezes it by.
type ParamSpec struct {
	Name  string
	Shape []int
	// Group is one of "core.input", "core.recurrent", "cb", "head.<i>".
	Group string
}

// Counts is a parameter count split by module, readout included in Total.
type Counts struct {
	Core, CB, Readout, Total int
}

// Weights holds one network's parameters by PyTorch name, row-major.
type Weights map[string][]float32
