package gomlxmodels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// An independent float64 reference of paper/METHODS.md §1, written per
// trial with plain loops from the equations (no graph code, no folded
// biases, PyTorch's [out, in] layout read straight from Weights), checked
// against the package's Dynamics, Eval and gradients on every path a
// network has. It covers what the golden PyTorch vectors leave out: the CB
// seeing only x_t, the GRU's CB-bias scaling on its min(1, ·) < 1 branch
// (every step, some steps, no step; the reference asserts which), and every
// part only the general path computes: the authors' recurrent CB and
// compression layer, a tanh RNN cell, a CB added to the input, two granule
// layers, per-step readouts with per-step losses and several heads. Every parameter's gradient, from both the
// hand-written BPTT and autodiff, is checked against central differences
// of the float64 loss with ‖n_pre‖ held at its forward values, i.e. with
// n_pre detached in the scale; in the clipped cases the test also asserts
// that the non-detached gradient differs by far more than the tolerance,
// so a gradient flowing through n_pre would fail it.

const (
	refT, refB = 12, 3
	// Forward: |got − want| ≤ refRTol·|want| + refATol·max(1, max|want|).
	refRTol = 1e-5
	refATol = 1e-6
	// Gradients (float32 BPTT vs float64 central differences):
	// |got − want| ≤ refGradRTol·|want| + refGradATol·max|want| (over all
	// parameters of the network).
	refGradRTol = 1e-5
	refGradATol = 1e-6
	refFDStep   = 1e-6
)

// refNet is one network in float64.
type refNet struct {
	c Config
	w map[string][]float64
}

func newRefNet(c Config, w Weights) *refNet {
	n := &refNet{c: c, w: map[string][]float64{}}
	for name, v := range w {
		d := make([]float64, len(v))
		for i, x := range v {
			d[i] = float64(x)
		}
		n.w[name] = d
	}
	return n
}

// refLinear is W·x + b with W [out, in] row-major; b may be nil.
func refLinear(W, b, x []float64) []float64 {
	in := len(x)
	out := make([]float64, len(W)/in)
	for o := range out {
		s := 0.0
		if b != nil {
			s = b[o]
		}
		for i, xi := range x {
			s += W[o*in+i] * xi
		}
		out[o] = s
	}
	return out
}

func refAdd(vs ...[]float64) []float64 {
	out := make([]float64, len(vs[0]))
	for _, v := range vs {
		for i := range out {
			out[i] += v[i]
		}
	}
	return out
}

func refRelu(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Max(x, 0)
	}
	return out
}

func refSigmoid(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = 1 / (1 + math.Exp(-x))
	}
	return out
}

func refNorm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// refTrace is one trial's forward pass.
type refTrace struct {
	acts         map[string][][]float64 // per name, per step: every recorded activity (cb_bias after the GRU's scaling)
	scale, nNorm []float64              // GRU+CB: s_t and the clamped ‖n_pre‖
	logits       [][]float64            // per head: the last step's
	stepLogits   [][][]float64          // per head, per step
}

func refAct(act string, slope float64, v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		switch act {
		case ActReLU:
			out[i] = math.Max(x, 0)
		case ActLeakyReLU:
			out[i] = x
			if x <= 0 {
				out[i] = slope * x
			}
		case ActTanh:
			out[i] = math.Tanh(x)
		case ActSigmoid:
			out[i] = 1 / (1 + math.Exp(-x))
		case ActLinear:
			out[i] = x
		default:
			panic("unknown activation " + act)
		}
	}
	return out
}

// forward runs one trial: xs [T][I], s0 the initial state [S] (h, then a
// recurrent CB's units). frozenNNorm, if not nil, is used in place of
// ‖n_pre‖ (clamped) in the GRU's scale: that is the loss whose derivative
// is the gradient with n_pre detached.
func (n *refNet) forward(xs [][]float64, s0 []float64, frozenNNorm []float64) refTrace {
	c, w := n.c, n.w
	H := c.Core.Hidden
	lin := func(name string, x []float64) []float64 { return refLinear(w[name+".weight"], w[name+".bias"], x) }
	tr := refTrace{acts: map[string][][]float64{}}
	record := func(name string, v []float64) { tr.acts[name] = append(tr.acts[name], v) }
	h := append([]float64(nil), s0[:H]...)
	aux := append([]float64(nil), s0[H:]...)
	tr.stepLogits = make([][][]float64, len(c.Readout.Heads))
	for t, x := range xs {
		var cb []float64
		if c.CB != nil {
			var in []float64
			switch c.CB.Sees {
			case SeesHiddenInput:
				in = append(append(in, h...), x...)
			case SeesHidden:
				in = append(in, h...)
			case SeesInput:
				in = append(in, x...)
			}
			ls := c.CB.Layers
			last := len(ls) - 1
			if c.CB.Kind == CBRecurrent {
				a := 1 / c.CB.Tau
				f := refAct(ls[0].Act, DefaultSlope, refAdd(lin(c.CB.Name+".inp", in), lin(c.CB.Name+".hh", aux)))
				for i := range aux {
					aux[i] = (1-a)*aux[i] + a*f[i]
				}
				record(ls[0].Name, append([]float64(nil), aux...))
				cb = refAct(ls[last].Act, DefaultSlope, lin(c.CB.Name+"."+ls[last].Name, aux))
			} else {
				v := in
				for i, l := range ls {
					v = refAct(l.Act, DefaultSlope, lin(c.CB.Name+"."+l.Name, v))
					if i < last {
						record(l.Name, v)
					}
				}
				cb = v
			}
		}
		u := x
		if c.Core.InputProj {
			u = lin("input_proj", x)
		}
		if cb != nil && c.CB.Target == TargetInput {
			u = refAdd(u, cb)
		}
		toPre := cb != nil && c.CB.Target == TargetPre
		hNew := make([]float64, H)
		switch c.Core.Kind {
		case CoreElman:
			alpha := 1 / c.Core.Tau
			pre := refAdd(lin("inp", u), lin("hh", h))
			if toPre {
				pre = refAdd(pre, cb)
			}
			f := refAct(c.Core.Act, c.Core.Slope, pre)
			for i := range hNew {
				hNew[i] = (1-alpha)*h[i] + alpha*f[i]
			}
		case CoreRNN:
			pre := refAdd(refLinear(w["recurrent.weight_ih"], w["recurrent.bias_ih"], u),
				refLinear(w["recurrent.weight_hh"], w["recurrent.bias_hh"], h))
			if toPre {
				pre = refAdd(pre, cb)
			}
			hNew = refAct(c.Core.Act, c.Core.Slope, pre)
		case CoreGRU:
			gate := func(g string, hin []float64) []float64 {
				return refAdd(lin("gru_cell.x_"+g, u), lin("gru_cell.h_"+g, hin))
			}
			z := refSigmoid(gate("z", h))
			r := refSigmoid(gate("r", h))
			rh := make([]float64, H)
			for i := range rh {
				rh[i] = r[i] * h[i]
			}
			npre := gate("n", rh)
			if toPre {
				nn := math.Max(refNorm(npre), 1e-8)
				if frozenNNorm != nil {
					nn = frozenNNorm[t]
				}
				cn := math.Max(refNorm(cb), 1e-8)
				s := math.Min(1, c.CB.MaxRatio*nn/cn)
				for i := range cb {
					cb[i] *= s
				}
				tr.scale = append(tr.scale, s)
				tr.nNorm = append(tr.nNorm, nn)
				npre = refAdd(npre, cb)
			}
			f := refAct(c.Core.Act, c.Core.Slope, npre)
			for i := range hNew {
				hNew[i] = (1-z[i])*h[i] + z[i]*f[i]
			}
			record("z", z)
			record("r", r)
		default:
			panic("unknown core " + c.Core.Kind)
		}
		if cb != nil {
			record("cb_bias", cb)
		}
		h = hNew
		record("hidden", h)
		for k := range c.Readout.Heads {
			tr.stepLogits[k] = append(tr.stepLogits[k], lin(c.HeadName(k), h))
		}
	}
	for k := range c.Readout.Heads {
		tr.logits = append(tr.logits, tr.stepLogits[k][len(xs)-1])
	}
	return tr
}

// refBatch is a batch in the reference's per-trial layout.
type refBatch struct {
	xs [][][]float64 // [B][T][I]
	s0 [][]float64   // [B][S]
	// labels[head][b] (last step) or, with perStep, labels[head][t·B + b].
	labels  [][]int32
	perStep bool
}

func refCE(lg []float64, label int32) float64 {
	m := math.Inf(-1)
	for _, v := range lg {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range lg {
		s += math.Exp(v - m)
	}
	return m + math.Log(s) - lg[label]
}

// loss is the sum over heads of the mean cross-entropy over the batch (and
// over the steps, with per-step labels); frozen[b] (optional) holds trial
// b's ‖n_pre‖ per step (see forward).
func (n *refNet) loss(bt refBatch, frozen [][]float64) float64 {
	L := 0.0
	B := len(bt.xs)
	for b := range bt.xs {
		var fz []float64
		if frozen != nil {
			fz = frozen[b]
		}
		tr := n.forward(bt.xs[b], bt.s0[b], fz)
		T := len(bt.xs[b])
		for k := range n.c.Readout.Heads {
			if bt.perStep {
				for t := range T {
					L += refCE(tr.stepLogits[k][t], bt.labels[k][t*B+b]) / float64(T*B)
				}
			} else {
				L += refCE(tr.logits[k], bt.labels[k][b]) / float64(B)
			}
		}
	}
	return L
}

// refWeights draws weights large enough that every term matters:
// U(−gain/√fan_in, gain/√fan_in) for every weight and bias (CB biases
// included), then multiplies the named parameters by the given factors.
func refWeights(c Config, rng *rand.Rand, gain float64, factors map[string]float64) Weights {
	w := Weights{}
	for _, p := range c.Params() {
		bound := gain / math.Sqrt(float64(p.FanIn))
		f := 1.0
		if v, ok := factors[p.Name]; ok {
			f = v
		}
		d := make([]float32, p.Size())
		for i := range d {
			d[i] = float32(f * (2*rng.Float64() - 1) * bound)
		}
		w[p.Name] = d
	}
	return w
}

type refCase struct {
	name    string
	cfg     Config
	factors map[string]float64
	perStep bool // per-step labels
	// clip: the GRU scale must be < 1 on at least this fraction of the
	// (step, trial) pairs; noClip: it must be 1 on all of them; mixed: on
	// some but not all.
	clip          float64
	noClip, mixed bool
}

func TestReference(t *testing.T) {
	o := Options{Hidden: 8, GC: 16, PC: 8}
	with := func(model string, f func(*Options), g func(*Config)) Config {
		oo := o
		if f != nil {
			f(&oo)
		}
		c := MustBuild(model, oo)
		if g != nil {
			g(&c)
		}
		return c
	}
	inputs2 := func(o *Options) { o.Inputs = 2 }
	sees := func(s string, inputs int) func(*Options) {
		return func(o *Options) { o.CBSees, o.Inputs = s, inputs }
	}
	bigDCN := map[string]float64{"cb.dcn.weight": 10, "cb.dcn.bias": 10}
	midDCN := map[string]float64{"cb.dcn.weight": 2.5, "cb.dcn.bias": 2.5}
	smallDCN := map[string]float64{"cb.dcn.weight": 0.02, "cb.dcn.bias": 0.02}
	aux := func(c *Config) { c.CB.Layers[0].Width = 5 }
	cases := []refCase{
		// The paper's networks (fast path and autodiff).
		{name: "elman_cb_hidden+input", cfg: with("cb-rnn", nil, nil)},
		{name: "elman_cb_hidden", cfg: with("cb-rnn", sees(SeesHidden, 2), nil)},
		{name: "elman_cb_input", cfg: with("cb-rnn", sees(SeesInput, 2), nil)},
		{name: "elman_cb_input_I1", cfg: with("cb-rnn", sees(SeesInput, 1), nil)},
		{name: "gru_cb_clipped", cfg: with("cb-gru", inputs2, nil), factors: bigDCN, clip: 0.9},
		{name: "gru_cb_clipped_input", cfg: with("cb-gru", sees(SeesInput, 2), nil), factors: bigDCN, clip: 0.9},
		{name: "gru_cb_mixed", cfg: with("cb-gru", inputs2, nil), factors: midDCN, mixed: true},
		{name: "gru_cb_unclipped", cfg: with("cb-gru", inputs2, nil), factors: smallDCN, noClip: true},
		// Networks only the general path computes.
		{name: "aux_rnn_cb", cfg: with("aux-rnn-cb", inputs2, aux)},
		{name: "aux_rnn_cb_hidden", cfg: with("aux-rnn-cb", sees(SeesHidden, 1), aux)},
		{name: "cb_compress", cfg: with("cb-compress", inputs2, nil)},
		{name: "sketch_last", cfg: SeedSketch(Options{Hidden: 6, Inputs: 2, Heads: []int{2}}, 3)},
		{name: "sketch_per_step", cfg: SeedSketch(Options{Hidden: 6, Inputs: 2, Heads: []int{2}}, 3), perStep: true},
		{name: "tanh_cb_per_step_2heads", cfg: with("cb-rnn", func(o *Options) { o.Heads = []int{2, 3} }, func(c *Config) {
			c.Core = Core{Kind: CoreRNN, Hidden: 8, Act: ActTanh}
			c.Readout.PerStep = true
		}), perStep: true},
		{name: "elman_cb_to_input", cfg: with("cb-rnn", inputs2, func(c *Config) { c.CB.Target = TargetInput })},
		{name: "gru_aux_to_input", cfg: with("aux-rnn-cb", sees(SeesInput, 2), func(c *Config) {
			aux(c)
			c.Core = GRUCore(8)
			c.CB.Target = TargetInput
		})},
		{name: "two_gc_layers", cfg: with("cb-rnn", nil, func(c *Config) {
			c.CB.Layers = append([]Layer{{Name: "gc1", Width: 12, Act: ActReLU, Init: "normal:0.01"}}, c.CB.Layers...)
		})},
	}
	be := backendForTest(t)
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(1000+ci), 7))
			w := refWeights(c, rng, 1.5, tc.factors)
			S, I := c.StateWidth(), c.Inputs
			heads := c.Readout.Heads

			// Inputs: x ~ N(0,1) [T,B,I], s0 ~ U(−0.5,0.5) [B,S], labels.
			x := make([]float32, refT*refB*I)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			s0 := make([]float32, refB*S)
			for i := range s0 {
				s0[i] = float32(rng.Float64() - 0.5)
			}
			bt := refBatch{perStep: tc.perStep}
			for _, C := range heads {
				n := refB
				if tc.perStep {
					n = refT * refB
				}
				l := make([]int32, n)
				for j := range l {
					l[j] = int32(rng.IntN(C))
				}
				bt.labels = append(bt.labels, l)
			}
			for b := range refB {
				xs := make([][]float64, refT)
				for s := range refT {
					xs[s] = make([]float64, I)
					for i := range I {
						xs[s][i] = float64(x[(s*refB+b)*I+i])
					}
				}
				sb := make([]float64, S)
				for i := range sb {
					sb[i] = float64(s0[b*S+i])
				}
				bt.xs = append(bt.xs, xs)
				bt.s0 = append(bt.s0, sb)
			}

			// Reference, flattened to the package's [T, B, width] layouts.
			ref := newRefNet(c, w)
			want := map[string][]float64{}
			wantLogits := make([][]float64, len(heads))     // [B, C] per head
			wantStepLogits := make([][]float64, len(heads)) // [T, B, C] per head
			frozen := make([][]float64, refB)
			var scales []float64
			traces := make([]refTrace, refB)
			for b := range refB {
				traces[b] = ref.forward(bt.xs[b], bt.s0[b], nil)
				for k := range heads {
					wantLogits[k] = append(wantLogits[k], traces[b].logits[k]...)
				}
				frozen[b] = traces[b].nNorm
			}
			names := sortedKeys(traces[0].acts)
			for _, name := range names {
				for s := range refT {
					for b := range refB {
						want[name] = append(want[name], traces[b].acts[name][s]...)
					}
				}
			}
			for k := range heads {
				for s := range refT {
					for b := range refB {
						wantStepLogits[k] = append(wantStepLogits[k], traces[b].stepLogits[k][s]...)
					}
				}
			}
			for s := range refT {
				for b := range refB {
					if traces[b].scale != nil {
						scales = append(scales, traces[b].scale[s])
					}
				}
			}

			// The clip branch is (or is not) exercised.
			if tc.clip > 0 || tc.noClip || tc.mixed {
				clipped, minS := 0, 1.0
				for _, s := range scales {
					if s < 1 {
						clipped++
					}
					minS = math.Min(minS, s)
				}
				frac := float64(clipped) / float64(len(scales))
				t.Logf("GRU scale < 1 on %d/%d (step, trial) pairs (%.0f%%), min scale %.4g", clipped, len(scales), 100*frac, minS)
				if tc.clip > 0 && frac < tc.clip {
					t.Fatalf("clip branch exercised on %.0f%% of steps, want ≥ %.0f%%", 100*frac, 100*tc.clip)
				}
				if tc.noClip && clipped > 0 {
					t.Fatalf("clip active on %d steps, want none", clipped)
				}
				if tc.mixed && (clipped == 0 || clipped == len(scales)) {
					t.Fatalf("clip active on %d/%d steps, want some but not all", clipped, len(scales))
				}
			}

			paths := []gradPath{pathGeneral}
			if c.hasFastPath() {
				paths = []gradPath{pathFast, pathGeneral}
			}
			in := StepInput{
				Input:   Input{B: refB, X: [][]float32{x}, T: []int{refT}, H0: [][]float32{s0}},
				Labels:  [][][]int32{bt.labels},
				PerStep: tc.perStep,
			}
			for _, path := range paths {
				e, err := NewEnsemble(be, c, []Weights{w})
				if err != nil {
					t.Fatal(err)
				}
				if path == pathGeneral {
					e.UseAutodiff()
				}
				// Dynamics: every activity the reference records (cb_bias:
				// the bias actually added).
				dyn, err := e.Dynamics(0, x, refT, refB, s0, true)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range names {
					got, ok := dyn[name]
					if !ok {
						t.Errorf("%s: dynamics %q missing", path, name)
						continue
					}
					refCheck(t, fmt.Sprintf("%s dynamics %s", path, name), got.Data, want[name], refRTol, refATol)
				}

				// Logits through Eval (exact bucket) and a padded bucket: the
				// last step's, and every step's for a per-step readout.
				for _, T := range []int{0, 16} {
					out, err := e.eval(EvalInput{Input: in.Input}, T)
					if err != nil {
						t.Fatal(err)
					}
					for k := range heads {
						refCheck(t, fmt.Sprintf("%s logits head %d (T=%d)", path, k, T), out.Logits[0][k], wantLogits[k], refRTol, refATol)
					}
					if c.Readout.PerStep {
						out, err := e.eval(EvalInput{Input: in.Input, PerStep: true}, T)
						if err != nil {
							t.Fatal(err)
						}
						for k := range heads {
							refCheck(t, fmt.Sprintf("%s step logits head %d (T=%d)", path, k, T), out.Logits[0][k], wantStepLogits[k], refRTol, refATol)
						}
					}
				}
			}

			// Gradients vs central differences of the float64 loss with
			// ‖n_pre‖ held at its values (the detached gradient).
			L0 := ref.loss(bt, frozen)
			fdFull := map[string][]float64{} // clipped GRU: without holding ‖n_pre‖
			wantGrad := map[string][]float64{}
			full := tc.clip > 0
			for _, p := range c.Params() {
				v := ref.w[p.Name]
				wantGrad[p.Name] = make([]float64, len(v))
				fdFull[p.Name] = make([]float64, len(v))
				for i := range v {
					old := v[i]
					v[i] = old + refFDStep
					lp, lpFull := ref.loss(bt, frozen), 0.0
					if full {
						lpFull = ref.loss(bt, nil)
					}
					v[i] = old - refFDStep
					lm, lmFull := ref.loss(bt, frozen), 0.0
					if full {
						lmFull = ref.loss(bt, nil)
					}
					v[i] = old
					wantGrad[p.Name][i] = (lp - lm) / (2 * refFDStep)
					fdFull[p.Name][i] = (lpFull - lmFull) / (2 * refFDStep)
				}
			}
			gradScale := 0.0
			for _, g := range wantGrad {
				for _, v := range g {
					gradScale = math.Max(gradScale, math.Abs(v))
				}
			}
			e, err := NewEnsemble(be, c, []Weights{w})
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range paths {
				loss, _, grads, err := e.gradients(in, refT, path)
				if err != nil {
					t.Fatal(err)
				}
				refCheck(t, path.String()+" loss", loss, []float64{L0}, refRTol, refATol)
				worst := 0.0
				for _, p := range c.Params() {
					worst = math.Max(worst, refCheckScaled(t, path.String()+" grad "+p.Name,
						grads[0][p.Name], wantGrad[p.Name], refGradRTol, refGradATol, gradScale))
				}
				t.Logf("%s gradients: max error %.3g× tolerance (grad scale %.3g)", path, worst, gradScale)
			}
			if full {
				// The detached gradient must differ measurably from the
				// full one here, or the check above proves nothing.
				diff := 0.0
				for name, g := range wantGrad {
					for i := range g {
						diff = math.Max(diff, math.Abs(g[i]-fdFull[name][i]))
					}
				}
				t.Logf("max |detached − full| gradient difference %.3g (%.0f× the gradient tolerance)",
					diff, diff/(refGradATol*gradScale))
				if diff < 100*refGradATol*gradScale {
					t.Errorf("detaching n_pre changes the gradient by only %.3g: the check cannot tell", diff)
				}
			}
		})
	}
}

// refCheck compares got (float32) with want (float64) element-wise:
// |got − want| ≤ rtol·|want| + atol·max(1, max|want|). It logs the worst
// error as a fraction of the tolerance and the worst absolute error.
func refCheck(t *testing.T, what string, got []float32, want []float64, rtol, atol float64) {
	t.Helper()
	scale := 1.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	r := refCheckScaled(t, what, got, want, rtol, atol, scale)
	maxAbs := 0.0
	for i := range want {
		if i < len(got) {
			maxAbs = math.Max(maxAbs, math.Abs(float64(got[i])-want[i]))
		}
	}
	t.Logf("%s: max abs error %.3g (scale %.3g), %.3g× tolerance", what, maxAbs, scale, r)
}

// refCheckScaled is refCheck with the absolute tolerance atol·scale given;
// it returns the worst error as a fraction of the tolerance.
func refCheckScaled(t *testing.T, what string, got []float32, want []float64, rtol, atol, scale float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return math.Inf(1)
	}
	worst, at := 0.0, 0
	for i := range want {
		tol := rtol*math.Abs(want[i]) + atol*scale
		r := math.Abs(float64(got[i])-want[i]) / tol
		if math.IsNaN(r) {
			r = math.Inf(1)
		}
		if r > worst {
			worst, at = r, i
		}
	}
	if worst > 1 {
		t.Errorf("%s[%d] = %.9g, want %.9g (%.3g× tolerance)", what, at, got[at], want[at], worst)
	}
	return worst
}
