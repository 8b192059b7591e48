package gomlxmodels

// Config declares one network from its parts. It is complete: every choice
// that decides the computation is written in it (the registry fills in the
// defaults, in one place), and it is what a run's config.json records and
// hashes.
type Config struct {
	Inputs  int     `json:"inputs"` // input channels I
	Core    Core    `json:"core"`
	CB      *CB     `json:"cb,omitempty"` // nil: no cerebellar module
	Readout Readout `json:"readout"`
	// H0 is the law of the initial state, drawn per trial and unit:
	// H0Uniform (0.1·U(0,1), the paper) or H0Zero (the seed sketch).
	H0 string `json:"h0"`
}

// Core is the recurrent "cortex".
type Core struct {
	// Kind is CoreElman (the paper's leaky Elman: h ← (1−α)h + α·f(pre),
	// α = 1/τ), CoreGRU (the paper's GRU, CB bias in the candidate) or
	// CoreRNN (PyTorch's nn.RNNCell: h ← f(W_ih u + b_ih + W_hh h + b_hh),
	// no leak).
	Kind   string `json:"kind"`
	Hidden int    `json:"hidden"` // H
	// Act is the nonlinearity f: of the state for Elman and RNN, of the
	// candidate for the GRU (ActLeakyReLU in the paper, ActTanh for
	// nn.RNNCell).
	Act string `json:"act"`
	// Slope is LeakyReLU's negative slope (0.01) when Act is ActLeakyReLU.
	Slope float64 `json:"slope,omitempty"`
	// Tau is the Elman time constant τ (1.5); unused by the other kinds.
	Tau float64 `json:"tau,omitempty"`
	// InputProj projects the input to Hidden channels first, u_t = P x_t +
	// b_P (parameters input_proj.*), as the seed sketch does; the cell then
	// sees u_t.
	InputProj bool `json:"input_proj,omitempty"`
}

// CB is the cerebellar module: what it sees, its layers, and where its
// output goes.
type CB struct {
	// Kind is CBFeedforward (the paper's GC → PC → DCN and any other stack of
	// layers) or CBRecurrent (the authors' auxiliary-RNN control: a leaky
	// RNN of its own in place of the feedforward layers).
	Kind string `json:"kind"`
	// Name is the module's name in parameter names: "cb" (the authors'),
	// "cerebellum" (the seed sketch).
	Name string `json:"name"`
	// Sees is what the module receives at step t: SeesHiddenInput
	// (c_t = [h_{t-1}, x_t], the paper's default), SeesHidden or SeesInput.
	Sees string `json:"sees"`
	// Layers are the module's layers in order; the last is its output,
	// whose Width is 0 (it has the width of what it adds to). Feedforward:
	// e.g. gc 256 relu, pc 64 relu, dcn linear; an optional linear first
	// layer is the authors' compression bottleneck. Recurrent: the
	// auxiliary RNN (its Width is the RNN's size) and then the output.
	Layers []Layer `json:"layers"`
	// Target is where the output is added: TargetPre (the core's
	// pre-activation, the paper) or TargetInput (the core's input after its
	// projection, before the cell: the seed sketch).
	Target string `json:"target"`
	// MaxRatio (GRU core only) rescales the bias per trial so that ‖b_cb‖ ≤
	// MaxRatio·‖n_pre‖ (the authors' cb_max_ratio, 1).
	MaxRatio float64 `json:"max_ratio,omitempty"`
	// Tau is the time constant of a recurrent module (1.5).
	Tau float64 `json:"tau,omitempty"`
	// PerTask gives every readout head (task) a module of its own, named
	// Name.{k} (the seed sketch's task-specific cerebellar modules; the
	// authors' code has no counterpart). The core is shared: head k's
	// logits come from a pass of the core whose bias is module k's alone,
	// so a task whose head is idle neither contributes nor gets a gradient
	// through its module. The passes start from one initial state per
	// trial, as one network cued with the task would.
	PerTask bool `json:"per_task,omitempty"`
}

// Layer is one layer of a cerebellar module: y = act(W·in + b).
type Layer struct {
	Name  string `json:"name"`  // its parameter-name part and its dynamics key: "gc", "pc", "dcn"…
	Width int    `json:"width"` // units; 0 on the output layer
	Act   string `json:"act"`   // ActReLU, ActLinear, …
	// Init is how its weights start: InitTorch (PyTorch's Linear default,
	// weights and bias ~ U(±1/√fan_in)), "normal:STD" (weights ~ N(0, STD²),
	// bias 0; the paper's CB uses 0.01 and 0.1) or InitNormalFanIn (weights ~
	// N(0, 1/fan_in), bias 0: the authors' compression layer).
	Init string `json:"init"`
}

// Readout maps the hidden state to each head's class logits.
type Readout struct {
	Heads []int `json:"heads"` // classes per head
	// PerStep reads out at every step (the seed sketch); otherwise on the
	// last step only (the paper). A per-step readout trained on a task with
	// last-step labels learns from its last output.
	PerStep bool `json:"per_step,omitempty"`
	// Name is the readout's parameter-name pattern; "{k}" is the head's
	// index: "heads.{k}" (the authors' ModuleList) or "output" (the sketch,
	// one head).
	Name string `json:"name"`
}

// Kinds, activations, targets and initial-state laws.
const (
	CoreElman = "elman"
	CoreGRU   = "gru"
	CoreRNN   = "rnn"

	CBFeedforward = "feedforward"
	CBRecurrent   = "recurrent"

	SeesHiddenInput = "hidden+input"
	SeesHidden      = "hidden"
	SeesInput       = "input"

	TargetPre   = "pre"
	TargetInput = "input"

	ActLeakyReLU = "leaky_relu"
	ActReLU      = "relu"
	ActTanh      = "tanh"
	ActSigmoid   = "sigmoid"
	ActLinear    = "linear"

	InitTorch       = "torch"
	InitNormalFanIn = "normal:fan_in"

	H0Uniform = "uniform0.1"
	H0Zero    = "zero"
)

// DefaultSlope is LeakyReLU's negative slope where a config gives none:
// PyTorch's default, and the paper's.
const DefaultSlope = 0.01

// ParamSpec is one parameter tensor: its PyTorch name, shape ([out, in] for
// weights) and the group the trainer freezes it by.
type ParamSpec struct {
	Name  string
	Shape []int
	// Group is one of GroupCoreInput, GroupCoreRecurrent, GroupCB or
	// "head.<i>".
	Group string
	// Init is the draw of its initial values (see Layer.Init); "" draws
	// nothing (a bias left at 0).
	Init string
	// FanIn is the fan_in of the layer it belongs to, for InitTorch and
	// InitNormalFanIn.
	FanIn int
}

// Parameter groups.
const (
	GroupCoreInput     = "core.input"
	GroupCoreRecurrent = "core.recurrent"
	GroupCB            = "cb"
)

// Counts is a parameter count split by module, readout included in Total.
type Counts struct {
	Core, CB, Readout, Total int
}

// Weights holds one network's parameters by PyTorch name, row-major.
type Weights map[string][]float32
