package gomlxmodels

import "fmt"

// The models the paper and the material around it name. A new model is one
// small file like the ones in gomlx_models/variants/: a Build that
// assembles parts, registered from init.

// builtinModels are in the registry from the start (before any init runs,
// so that package-level variables may build them).
func builtinModels() []Model {
	return []Model{{
		Name: "cb-rnn", Source: "the paper (§2, Fig 2)",
		Summary: "leaky Elman H=64 with the cerebellar module GC→PC→DCN added to its pre-activation",
		Uses:    []string{OptHidden, OptGC, OptPC, OptCBSees},
		Build:   buildCBRNN,
	}, {
		Name: "rnn", Source: "the paper (appendix B)",
		Summary: "leaky Elman without a CB, hidden size matched to cb-rnn's parameter count (202 for G=256)",
		Uses:    []string{OptHidden, OptGC, OptPC, OptCBSees},
		Build: func(o Options) (Config, error) {
			return matched(o, buildCBRNN, func(h int) Config { return PaperNetwork(o, ElmanCore(h), nil) })
		},
	}, {
		Name: "cb-gru", Source: "the paper (appendix C)",
		Summary: "GRU H=64 with the cerebellar module added to its candidate, norm-clipped to it",
		Uses:    []string{OptHidden, OptGC, OptPC, OptCBSees},
		Build:   buildCBGRU,
	}, {
		Name: "gru", Source: "the paper (appendix C)",
		Summary: "GRU without a CB, hidden size matched to cb-gru's parameter count (128 for G=256)",
		Uses:    []string{OptHidden, OptGC, OptPC, OptCBSees},
		Build: func(o Options) (Config, error) {
			return matched(o, buildCBGRU, func(h int) Config { return PaperNetwork(o, GRUCore(h), nil) })
		},
	}, {
		Name: "aux-rnn-cb", Source: "the authors' code (model/cb_rnn.py, RecurrentAuxModule; --aux_rnn_cb)",
		Summary: "control: leaky Elman H=64 whose bias comes from a small leaky RNN (139 units) instead of the CB",
		Uses:    []string{OptHidden, OptCBSees},
		Build: func(o Options) (Config, error) {
			cb := &CB{Kind: CBRecurrent, Name: "cb", Sees: o.CBSees, Target: TargetPre, Tau: PaperTau, Layers: []Layer{
				// The authors' RecurrentAuxModule keeps PyTorch's default
				// init, nn.LeakyReLU() and τ = 1.5.
				{Name: "aux", Width: AuxHidden, Act: ActLeakyReLU, Init: InitTorch},
				{Name: "out", Act: ActLinear, Init: InitTorch},
			}}
			return PaperNetwork(o, ElmanCore(o.HiddenOr(PaperHidden)), cb), nil
		},
	}, {
		Name: "cb-compress", Source: "the authors' code (model/cb_rnn.py, CB_bias compress_dim)",
		Summary: fmt.Sprintf("cb-rnn whose CB first compresses [h, x] to %d channels (linear, N(0, 1/fan_in))", CompressDim),
		Uses:    []string{OptHidden, OptGC, OptPC, OptCBSees},
		Build: func(o Options) (Config, error) {
			c, err := buildCBRNN(o)
			if err != nil {
				return c, err
			}
			compress := Layer{Name: "compress", Width: CompressDim, Act: ActLinear, Init: InitNormalFanIn}
			c.CB.Layers = append([]Layer{compress}, c.CB.Layers...)
			return c, nil
		},
	}, {
		Name: "seed-sketch", Source: "the SKILL.md sketch this package started from (paper/METHODS.md §1.5)",
		Summary: fmt.Sprintf("tanh nn.RNNCell H=64 on a projected input plus a CB (h → %d·H → H, ReLU), output every step, h0 = 0", SketchExpansion),
		Uses:    []string{OptHidden},
		Build: func(o Options) (Config, error) {
			return SeedSketch(o, SketchExpansion), nil
		},
	}, {
		Name: "seed-rnn", Source: "the baseline of the sketch's comparison (paper/METHODS.md §1.5)",
		Summary: "seed-sketch without its CB: tanh nn.RNNCell on a projected input, output every step, h0 = 0, hidden size matched to seed-sketch's parameter count",
		Uses:    []string{OptHidden},
		Build: func(o Options) (Config, error) {
			return matched(o, func(o Options) (Config, error) { return SeedSketch(o, SketchExpansion), nil },
				func(h int) Config { return SeedRNN(o, h) })
		},
	}}
}

// SeedRNN is the sketch's model without its cerebellar module, at hidden
// size H: the parameter-matched tanh RNN that the sketch's architecture is
// compared with (seed-rnn).
func SeedRNN(o Options, H int) Config {
	c := SeedSketch(o, SketchExpansion)
	c.Core.Hidden = H
	c.CB = nil
	return c
}

// AuxHidden is the size of the authors' auxiliary RNN (their default
// aux_rnn_hidden_size, chosen to match the parameters of a G=256 CB).
const AuxHidden = 139

// CompressDim is the width D of cb-compress's compression layer. The
// authors' code has the layer (--cb_compress_dim D) but no default above 0
// and no stored runs, so this is a choice (paper/METHODS.md §8.1): a
// four-fold bottleneck of the 65 channels of [h, x].
const CompressDim = 16

// SketchExpansion is the seed sketch's expansion ratio r (GC-like units per
// hidden unit).
const SketchExpansion = 4

func buildCBRNN(o Options) (Config, error) {
	return PaperNetwork(o, ElmanCore(o.HiddenOr(PaperHidden)), PaperCB(o.GC, o.PC, o.CBSees)), nil
}

func buildCBGRU(o Options) (Config, error) {
	cb := PaperCB(o.GC, o.PC, o.CBSees)
	cb.MaxRatio = 1 // the authors' cb_max_ratio
	return PaperNetwork(o, GRUCore(o.HiddenOr(PaperHidden)), cb), nil
}

// matched sizes a plain baseline: its own Hidden if given, else the size
// whose parameter count is closest to the CB model's with the same options
// and H = 64 (appendix B).
func matched(o Options, cbModel func(Options) (Config, error), plain func(h int) Config) (Config, error) {
	if o.Hidden > 0 {
		return plain(o.Hidden), nil
	}
	ref := o
	ref.Hidden = PaperHidden
	cb, err := cbModel(ref)
	if err != nil {
		return Config{}, err
	}
	return plain(MatchHidden(cb.Count().Total, plain)), nil
}

// SeedSketch is the model of the SKILL.md sketch: u_t = P x_t + b_P; the
// CB, which sees h_{t-1} only, adds C·ReLU(E h_{t-1} + b_E) + b_C to u_t;
// h_t = tanh(W_ih (u_t + cb_t) + b_ih + W_hh h_{t-1} + b_hh) (nn.RNNCell);
// an output y_t = W_o h_t + b_o at every step; h_0 = 0; PyTorch's default
// init everywhere, and the sketch's parameter names.
func SeedSketch(o Options, expansion int) Config {
	H := o.HiddenOr(PaperHidden)
	name := "output"
	if len(o.Heads) > 1 {
		name = "output.{k}"
	}
	return Config{
		Inputs: o.Inputs,
		Core:   Core{Kind: CoreRNN, Hidden: H, Act: ActTanh, InputProj: true},
		CB: &CB{Kind: CBFeedforward, Name: "cerebellum", Sees: SeesHidden, Target: TargetInput, Layers: []Layer{
			{Name: "expand", Width: expansion * H, Act: ActReLU, Init: InitTorch},
			{Name: "compress", Act: ActLinear, Init: InitTorch},
		}},
		Readout: Readout{Heads: o.Heads, PerStep: true, Name: name},
		H0:      H0Zero,
	}
}
