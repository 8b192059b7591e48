package gomlxmodels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// An independent float64 reference of SPEC §1, written per trial with plain
// loops from the equations (no graph code, no folded biases, PyTorch's
// [out, in] layout read straight from Weights), checked against the
// package's Dynamics, Eval and gradients. It covers what the golden PyTorch
// vectors leave out: the CB seeing only x_t, and the GRU's CB-bias scaling
// on its min(1, ·) < 1 branch (every step, some steps, no step; the
// reference asserts which). Every parameter's gradient, from both the
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

// refTrace is one trial's forward pass, per step t.
type refTrace struct {
	h, gc, pc, cb [][]float64 // cb: the bias added (after the GRU's scaling)
	scale, nNorm  []float64   // GRU+CB: s_t and the clamped ‖n_pre‖
	logits        []float64
}

// forward runs one trial: xs [T][I], h0 [H]. frozenNNorm, if not nil, is
// used in place of ‖n_pre‖ (clamped) in the GRU's scale: that is the loss
// whose derivative is the gradient with n_pre detached.
func (n *refNet) forward(xs [][]float64, h0 []float64, frozenNNorm []float64) refTrace {
	c, w := n.c, n.w
	H := c.Hidden
	alpha := 1 / c.Tau
	lrelu := func(x float64) float64 {
		if x > 0 {
			return x
		}
		return c.Slope * x
	}
	var tr refTrace
	h := append([]float64(nil), h0...)
	for t, x := range xs {
		var cb []float64
		if c.CB {
			var in []float64
			switch c.CBSees {
			case CBSeesHiddenInput:
				in = append(append(in, h...), x...)
			case CBSeesHidden:
				in = append(in, h...)
			case CBSeesInput:
				in = append(in, x...)
			default:
				panic("unknown CBSees " + c.CBSees)
			}
			gc := refRelu(refLinear(w["cb.gc.weight"], w["cb.gc.bias"], in))
			pc := refRelu(refLinear(w["cb.pc.weight"], w["cb.pc.bias"], gc))
			cb = refLinear(w["cb.dcn.weight"], w["cb.dcn.bias"], pc)
			tr.gc = append(tr.gc, gc)
			tr.pc = append(tr.pc, pc)
		}
		hNew := make([]float64, H)
		switch c.Core {
		case CoreElman:
			pre := refAdd(refLinear(w["inp.weight"], w["inp.bias"], x), refLinear(w["hh.weight"], w["hh.bias"], h))
			if cb != nil {
				pre = refAdd(pre, cb)
			}
			for i := range hNew {
				hNew[i] = (1-alpha)*h[i] + alpha*lrelu(pre[i])
			}
		case CoreGRU:
			gate := func(g string, hin []float64) []float64 {
				return refAdd(refLinear(w["x_"+g+".weight"], w["x_"+g+".bias"], x),
					refLinear(w["h_"+g+".weight"], w["h_"+g+".bias"], hin))
			}
			z := refSigmoid(gate("z", h))
			r := refSigmoid(gate("r", h))
			rh := make([]float64, H)
			for i := range rh {
				rh[i] = r[i] * h[i]
			}
			npre := gate("n", rh)
			u := npre
			if cb != nil {
				nn := math.Max(refNorm(npre), 1e-8)
				if frozenNNorm != nil {
					nn = frozenNNorm[t]
				}
				cn := math.Max(refNorm(cb), 1e-8)
				s := math.Min(1, c.GRUMaxRatio*nn/cn)
				for i := range cb {
					cb[i] *= s
				}
				tr.scale = append(tr.scale, s)
				tr.nNorm = append(tr.nNorm, nn)
				u = refAdd(npre, cb)
			}
			for i := range hNew {
				hNew[i] = (1-z[i])*h[i] + z[i]*lrelu(u[i])
			}
		default:
			panic("unknown core " + c.Core)
		}
		if cb != nil {
			tr.cb = append(tr.cb, cb)
		}
		h = hNew
		tr.h = append(tr.h, h)
	}
	tr.logits = refLinear(w["head.weight"], w["head.bias"], h)
	return tr
}

// refBatch is a batch in the reference's per-trial layout.
type refBatch struct {
	xs     [][][]float64 // [B][T][I]
	h0     [][]float64   // [B][H]
	labels []int32
}

// loss is the mean cross-entropy over the batch; frozen[b] (optional) holds
// trial b's ‖n_pre‖ per step (see forward).
func (n *refNet) loss(bt refBatch, frozen [][]float64) float64 {
	L := 0.0
	for b := range bt.xs {
		var fz []float64
		if frozen != nil {
			fz = frozen[b]
		}
		lg := n.forward(bt.xs[b], bt.h0[b], fz).logits
		m := math.Inf(-1)
		for _, v := range lg {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range lg {
			s += math.Exp(v - m)
		}
		L += m + math.Log(s) - lg[bt.labels[b]]
	}
	return L / float64(len(bt.xs))
}

// refWeights draws weights large enough that every term matters:
// U(−gain/√fan_in, gain/√fan_in) for every weight and bias (CB biases
// included), then multiplies the named parameters by the given factors.
func refWeights(c Config, rng *rand.Rand, gain float64, factors map[string]float64) Weights {
	w := Weights{}
	for _, p := range c.Params() {
		fanIn := p.Shape[len(p.Shape)-1]
		if len(p.Shape) == 1 {
			fanIn = c.Params()[c.ParamIndex(strings.TrimSuffix(p.Name, ".bias")+".weight")].Shape[1]
		}
		bound := gain / math.Sqrt(float64(fanIn))
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
	// clip: the GRU scale must be < 1 on at least this fraction of the
	// (step, trial) pairs; noClip: it must be 1 on all of them; mixed: on
	// some but not all.
	clip          float64
	noClip, mixed bool
}

func TestReference(t *testing.T) {
	base := Config{Hidden: 8, CB: true, GC: 16, PC: 8}
	with := func(f func(*Config)) Config {
		c := base
		f(&c)
		return c.WithDefaults()
	}
	bigDCN := map[string]float64{"cb.dcn.weight": 10, "cb.dcn.bias": 10}
	midDCN := map[string]float64{"cb.dcn.weight": 2.5, "cb.dcn.bias": 2.5}
	smallDCN := map[string]float64{"cb.dcn.weight": 0.02, "cb.dcn.bias": 0.02}
	cases := []refCase{
		{name: "elman_cb_hidden+input", cfg: with(func(c *Config) { c.CBSees = CBSeesHiddenInput })},
		{name: "elman_cb_hidden", cfg: with(func(c *Config) { c.CBSees = CBSeesHidden; c.Inputs = 2 })},
		{name: "elman_cb_input", cfg: with(func(c *Config) { c.CBSees = CBSeesInput; c.Inputs = 2 })},
		{name: "elman_cb_input_I1", cfg: with(func(c *Config) { c.CBSees = CBSeesInput })},
		{name: "gru_cb_clipped", cfg: with(func(c *Config) { c.Core = CoreGRU; c.Inputs = 2 }), factors: bigDCN, clip: 0.9},
		{name: "gru_cb_clipped_input", cfg: with(func(c *Config) { c.Core = CoreGRU; c.Inputs = 2; c.CBSees = CBSeesInput }),
			factors: bigDCN, clip: 0.9},
		{name: "gru_cb_mixed", cfg: with(func(c *Config) { c.Core = CoreGRU; c.Inputs = 2 }), factors: midDCN, mixed: true},
		{name: "gru_cb_unclipped", cfg: with(func(c *Config) { c.Core = CoreGRU; c.Inputs = 2 }), factors: smallDCN, noClip: true},
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
			H, I := c.Hidden, c.Inputs

			// Inputs: x ~ N(0,1) [T,B,I], h0 ~ U(−0.5,0.5) [B,H], labels.
			x := make([]float32, refT*refB*I)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			h0 := make([]float32, refB*H)
			for i := range h0 {
				h0[i] = float32(rng.Float64() - 0.5)
			}
			labels := make([]int32, refB)
			for b := range labels {
				labels[b] = int32(rng.IntN(2))
			}
			bt := refBatch{labels: labels}
			for b := range refB {
				xs := make([][]float64, refT)
				for s := range refT {
					xs[s] = make([]float64, I)
					for i := range I {
						xs[s][i] = float64(x[(s*refB+b)*I+i])
					}
				}
				hb := make([]float64, H)
				for i := range hb {
					hb[i] = float64(h0[b*H+i])
				}
				bt.xs = append(bt.xs, xs)
				bt.h0 = append(bt.h0, hb)
			}

			// Reference, flattened to the package's [T, B, width] layouts.
			ref := newRefNet(c, w)
			want := map[string][]float64{}
			var wantLogits []float64
			frozen := make([][]float64, refB)
			var scales []float64
			traces := make([]refTrace, refB)
			for b := range refB {
				traces[b] = ref.forward(bt.xs[b], bt.h0[b], nil)
				wantLogits = append(wantLogits, traces[b].logits...)
				frozen[b] = traces[b].nNorm
			}
			names := []string{"hidden"}
			if c.CB {
				names = append(names, "gc", "pc", "cb_bias")
			}
			for _, name := range names {
				for s := range refT {
					for b := range refB {
						tr := traces[b]
						v := map[string][][]float64{"hidden": tr.h, "gc": tr.gc, "pc": tr.pc, "cb_bias": tr.cb}[name]
						want[name] = append(want[name], v[s]...)
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
			if c.Core == CoreGRU && c.CB {
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

			e, err := NewEnsemble(be, c, []Weights{w})
			if err != nil {
				t.Fatal(err)
			}
			in := StepInput{
				Input:  Input{B: refB, X: [][]float32{x}, T: []int{refT}, H0: [][]float32{h0}},
				Labels: [][][]int32{{labels}},
			}

			// Dynamics: hidden, gc, pc, cb_bias (the bias actually added).
			dyn, err := e.Dynamics(0, x, refT, refB, h0, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				got, ok := dyn[name]
				if !ok {
					t.Errorf("dynamics %q missing", name)
					continue
				}
				refCheck(t, "dynamics "+name, got.Data, want[name], refRTol, refATol)
			}

			// Logits through Eval (exact bucket) and a padded bucket.
			for _, T := range []int{0, 16} {
				out, err := e.eval(EvalInput{Input: in.Input}, T)
				if err != nil {
					t.Fatal(err)
				}
				refCheck(t, fmt.Sprintf("logits(T=%d)", T), out.Logits[0][0], wantLogits, refRTol, refATol)
			}

			// Gradients vs central differences of the float64 loss with
			// ‖n_pre‖ held at its values (the detached gradient).
			L0 := ref.loss(bt, frozen)
			fdFull := map[string][]float64{} // clipped GRU: without holding ‖n_pre‖
			wantGrad := map[string][]float64{}
			full := c.Core == CoreGRU && c.CB && tc.clip > 0
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
			for _, mode := range []gradMode{gradManual, gradAutodiff} {
				loss, _, grads, err := e.gradients(in, refT, mode)
				if err != nil {
					t.Fatal(err)
				}
				refCheck(t, modeName(mode)+" loss", loss, []float64{L0}, refRTol, refATol)
				worst := 0.0
				for _, p := range c.Params() {
					worst = math.Max(worst, refCheckScaled(t, modeName(mode)+" grad "+p.Name,
						grads[0][p.Name], wantGrad[p.Name], refGradRTol, refGradATol, gradScale))
				}
				t.Logf("%s gradients: max error %.3g× tolerance (grad scale %.3g)", modeName(mode), worst, gradScale)
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
