package gomlxmodels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Small configs keep these tests fast; they cover every code path of the
// paper's sizes (the golden files pin the arithmetic).
var (
	smallElmanCB = Config{Core: CoreElman, Hidden: 6, CB: true, GC: 10, PC: 5}.WithDefaults()
	smallConfigs = map[string]Config{
		"elman":        Config{Core: CoreElman, Hidden: 5}.WithDefaults(),
		"elman_cb":     smallElmanCB,
		"elman_cb_h":   Config{Core: CoreElman, Hidden: 6, CB: true, GC: 10, PC: 5, CBSees: CBSeesHidden}.WithDefaults(),
		"elman_cb_x":   Config{Core: CoreElman, Hidden: 6, CB: true, GC: 10, PC: 5, CBSees: CBSeesInput, Inputs: 2}.WithDefaults(),
		"elman_2heads": Config{Core: CoreElman, Hidden: 6, CB: true, GC: 8, PC: 4, Inputs: 2, Heads: []int{2, 3}}.WithDefaults(),
		"gru":          Config{Core: CoreGRU, Hidden: 5}.WithDefaults(),
		// A small ratio makes the GRU's CB-norm clipping (s < 1) active.
		"gru_cb_clip": Config{Core: CoreGRU, Hidden: 6, CB: true, GC: 10, PC: 5, GRUMaxRatio: 0.05}.WithDefaults(),
		"gru_cb":      Config{Core: CoreGRU, Hidden: 6, CB: true, GC: 10, PC: 5}.WithDefaults(),
	}
)

// bigCB returns weights with the CB scaled up so that it matters.
func bigCB(w Weights) Weights {
	w = w.Clone()
	for _, name := range []string{"cb.gc.weight", "cb.pc.weight", "cb.dcn.weight"} {
		for i := range w[name] {
			w[name][i] *= 20
		}
	}
	return w
}

// closeTo compares two float32 slices: |a−b| ≤ tol·max(1, max|b|).
func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	scale := 1.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*scale) {
			t.Errorf("%s[%d] = %.9g, want %.9g (diff %.3g > %.1g·%.3g)", what, i, got[i], want[i], d, tol, scale)
			return
		}
	}
}

func closeWeights(t *testing.T, what string, got, want Weights, tol float64) {
	t.Helper()
	for name, w := range want {
		closeTo(t, what+" "+name, got[name], w, tol)
	}
}

func newEnsemble(t testing.TB, c Config, ws ...Weights) *Ensemble {
	t.Helper()
	e, err := NewEnsemble(backendForTest(t), c, ws)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// memberInput extracts member k of a StepInput as a K=1 input.
func memberInput(in StepInput, k int) StepInput {
	out := StepInput{Input: Input{B: in.B, X: [][]float32{in.X[k]}, T: []int{in.T[k]}, H0: [][]float32{in.H0[k]}},
		Labels: [][][]int32{in.Labels[k]}}
	if in.HeadWeight != nil {
		out.HeadWeight = [][]float32{in.HeadWeight[k]}
	}
	if in.Trainable != nil {
		out.Trainable = [][]bool{in.Trainable[k]}
	}
	return out
}

// TestManualMatchesAutodiff checks the hand-written BPTT against GoMLX's
// autodiff on every config variant, with padding, several members and
// member groups.
func TestManualMatchesAutodiff(t *testing.T) {
	for name, c := range smallConfigs {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 5))
			ws := []Weights{bigCB(InitWeights(c, rng)), bigCB(InitWeights(c, rng))}
			e := newEnsemble(t, c, ws...)
			e.groupMax = 1 // exercise member groups
			in := randomInput(c, 4, []int{9, 5}, rng)
			in.HeadWeight = make([][]float32, 2)
			for k := range in.HeadWeight {
				for h := range c.Heads {
					in.HeadWeight[k] = append(in.HeadWeight[k], float32(0.5+float64(h+k)))
				}
			}
			lossM, normM, gM, err := e.gradients(in, 0, gradManual)
			if err != nil {
				t.Fatal(err)
			}
			lossA, normA, gA, err := e.gradients(in, 0, gradAutodiff)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "loss", lossM, lossA, 1e-6)
			closeTo(t, "norm", normM, normA, 1e-5)
			for k := range gA {
				closeWeights(t, fmt.Sprintf("member %d grad", k), gM[k], gA[k], 1e-5)
			}
			if name == "gru_cb_clip" {
				dyn, err := e.Dynamics(0, in.X[0], in.T[0], in.B, in.H0[0], true)
				if err != nil {
					t.Fatal(err)
				}
				c2 := c
				c2.GRUMaxRatio = 1000
				e2 := newEnsemble(t, c2, ws[0])
				dyn2, err := e2.Dynamics(0, in.X[0], in.T[0], in.B, in.H0[0], true)
				if err != nil {
					t.Fatal(err)
				}
				// The clipped CB bias must be smaller than the unclipped one.
				var n1, n2 float64
				for i := range dyn["cb_bias"].Data {
					n1 += math.Abs(float64(dyn["cb_bias"].Data[i]))
					n2 += math.Abs(float64(dyn2["cb_bias"].Data[i]))
				}
				if !(n1 < 0.5*n2) {
					t.Errorf("GRU CB scaling not active: |b_cb| %g vs unclipped %g", n1, n2)
				}
			}
		})
	}
}

// TestLongSequenceGradients: over 160 steps the state gradient of the
// paper's networks decays into float32's subnormal range, where the manual
// BPTT flushes it to zero (flushTiny, for speed). Autodiff does not flush;
// the two must still agree element by element, i.e. the flush changes
// nothing a float32 gradient can hold.
func TestLongSequenceGradients(t *testing.T) {
	for _, c := range []Config{
		{Core: CoreElman, Hidden: 64, CB: true, GC: 256, PC: 64},
		{Core: CoreGRU, Hidden: 64, CB: true, GC: 256, PC: 64},
	} {
		c = c.WithDefaults()
		t.Run(string(c.Core), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 160))
			e := newEnsemble(t, c, InitWeights(c, rng))
			in := randomInput(c, 4, []int{160}, rng)
			_, _, gM, err := e.gradients(in, 0, gradManual)
			if err != nil {
				t.Fatal(err)
			}
			_, _, gA, err := e.gradients(in, 0, gradAutodiff)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range gA[0] {
				got := gM[0][name]
				scale := 0.0
				for _, w := range want {
					scale = math.Max(scale, math.Abs(float64(w)))
				}
				for i, w := range want {
					if d := math.Abs(float64(got[i]) - float64(w)); d > 1e-4*math.Abs(float64(w))+1e-6*scale {
						t.Errorf("%s[%d] = %.9g, autodiff %.9g", name, i, got[i], w)
						break
					}
				}
			}
		})
	}
}

// TestPadding: a trial padded at the front (state held) gives the same
// logits and gradients as unpadded; two members of different lengths in one
// step give what each gives alone.
func TestPadding(t *testing.T) {
	for _, name := range []string{"elman_cb", "gru_cb_clip", "elman_2heads"} {
		c := smallConfigs[name]
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 9))
			w := bigCB(InitWeights(c, rng))
			e := newEnsemble(t, c, w)
			in := randomInput(c, 4, []int{9}, rng)
			ref, err := e.eval(EvalInput{Input: in.Input}, 9)
			if err != nil {
				t.Fatal(err)
			}
			lossRef, normRef, gRef, err := e.gradients(in, 9, gradManual)
			if err != nil {
				t.Fatal(err)
			}
			for _, T := range []int{12, 17} {
				out, err := e.eval(EvalInput{Input: in.Input}, T)
				if err != nil {
					t.Fatal(err)
				}
				for h := range c.Heads {
					closeTo(t, fmt.Sprintf("T=%d logits head %d", T, h), out.Logits[0][h], ref.Logits[0][h], 1e-6)
				}
				loss, norm, g, err := e.gradients(in, T, gradManual)
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, fmt.Sprintf("T=%d loss", T), loss, lossRef, 1e-6)
				closeTo(t, fmt.Sprintf("T=%d norm", T), norm, normRef, 1e-6)
				closeWeights(t, fmt.Sprintf("T=%d grad", T), g[0], gRef[0], 1e-6)
			}

			// Two members, lengths 7 and 13, in one step = each alone.
			w2 := bigCB(InitWeights(c, rng))
			pair := newEnsemble(t, c, w, w2)
			in2 := randomInput(c, 4, []int{7, 13}, rng)
			loss, norm, g, err := pair.gradients(in2, 0, gradManual)
			if err != nil {
				t.Fatal(err)
			}
			for k, wk := range []Weights{w, w2} {
				alone := newEnsemble(t, c, wk)
				l1, n1, g1, err := alone.gradients(memberInput(in2, k), 0, gradManual)
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, fmt.Sprintf("member %d loss", k), loss[k:k+1], l1, 1e-6)
				closeTo(t, fmt.Sprintf("member %d norm", k), norm[k:k+1], n1, 1e-6)
				closeWeights(t, fmt.Sprintf("member %d grad", k), g[k], g1[0], 1e-6)
			}
		})
	}
}

// TestEnsembleEquivalence: K=3 members stepping together (different
// weights, data and lengths) end where 3 separate K=1 ensembles end.
func TestEnsembleEquivalence(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		groupMax int
	}{
		{"elman_cb", smallElmanCB, 0},
		{"elman_cb_groups", smallElmanCB, 1},
		{"gru_cb", smallConfigs["gru_cb"], 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			rng := rand.New(rand.NewPCG(21, 2))
			ws := []Weights{InitWeights(c, rng), InitWeights(c, rng), InitWeights(c, rng)}
			e := newEnsemble(t, c, ws...)
			e.groupMax = tc.groupMax
			alone := make([]*Ensemble, 3)
			for k := range alone {
				alone[k] = newEnsemble(t, c, ws[k])
			}
			opt := Optim{LR: 0.05, Momentum: 0.5, ClipNorm: 0.5, Nesterov: true}
			for step := range 3 {
				in := randomInput(c, 4, []int{5 + step, 9, 14 - 2*step}, rng)
				out, err := e.TrainStep(in, opt)
				if err != nil {
					t.Fatal(err)
				}
				for k := range alone {
					o1, err := alone[k].TrainStep(memberInput(in, k), opt)
					if err != nil {
						t.Fatal(err)
					}
					if d := math.Abs(out.Loss[k] - o1.Loss[0]); d > 1e-5 {
						t.Errorf("step %d member %d: loss %g vs alone %g", step, k, out.Loss[k], o1.Loss[0])
					}
					if d := math.Abs(out.GradNorm[k] - o1.GradNorm[0]); d > 1e-5*math.Max(1, o1.GradNorm[0]) {
						t.Errorf("step %d member %d: norm %g vs alone %g", step, k, out.GradNorm[k], o1.GradNorm[0])
					}
				}
			}
			for k := range alone {
				got, _ := e.Weights(k)
				want, _ := alone[k].Weights(0)
				closeWeights(t, fmt.Sprintf("member %d", k), got, want, 1e-5)
				gotM, _ := e.Momentum(k)
				wantM, _ := alone[k].Momentum(0)
				closeWeights(t, fmt.Sprintf("member %d momentum", k), gotM, wantM, 1e-5)
			}
		})
	}
}

// TestFreezing: frozen parameters and their momentum stay put, the rest
// moves, the clipping norm counts only trainable gradients, and gradients
// still flow through the frozen core (the CB's first update equals the one
// of a fully trainable run).
func TestFreezing(t *testing.T) {
	c := smallElmanCB
	rng := rand.New(rand.NewPCG(5, 5))
	w := bigCB(InitWeights(c, rng))
	frozenCore := make([]bool, len(c.Params()))
	for i, p := range c.Params() {
		frozenCore[i] = p.Group != "core.input" && p.Group != "core.recurrent"
	}
	opt := Optim{LR: 0.05, Momentum: 0.5, ClipNorm: 0, Nesterov: true} // no clipping: updates comparable

	full := newEnsemble(t, c, w)
	frozen := newEnsemble(t, c, w)
	in := randomInput(c, 4, []int{8}, rng)
	_, _, grads, err := frozen.gradients(in, 0, gradManual)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := full.TrainStep(in, opt); err != nil {
		t.Fatal(err)
	}
	fin := in
	fin.Trainable = [][]bool{frozenCore}
	out, err := frozen.TrainStep(fin, opt)
	if err != nil {
		t.Fatal(err)
	}
	// The norm counts only the trainable gradients.
	var ss float64
	for i, p := range c.Params() {
		if frozenCore[i] {
			for _, g := range grads[0][p.Name] {
				ss += float64(g) * float64(g)
			}
		}
	}
	if d := math.Abs(out.GradNorm[0] - math.Sqrt(ss)); d > 1e-5*math.Sqrt(ss) {
		t.Errorf("grad norm %g, want %g (trainable only)", out.GradNorm[0], math.Sqrt(ss))
	}
	wf, _ := frozen.Weights(0)
	wt, _ := full.Weights(0)
	mf, _ := frozen.Momentum(0)
	for i, p := range c.Params() {
		if frozenCore[i] {
			closeTo(t, "CB/head after step 1 vs fully trainable: "+p.Name, wf[p.Name], wt[p.Name], 1e-6)
			if equal(wf[p.Name], w[p.Name]) {
				t.Errorf("%s did not move", p.Name)
			}
		} else {
			if !equal(wf[p.Name], w[p.Name]) {
				t.Errorf("frozen %s moved", p.Name)
			}
			if !equal(mf[p.Name], make([]float32, p.Size())) {
				t.Errorf("frozen %s momentum moved", p.Name)
			}
		}
	}

	// With momentum already non-zero, freezing keeps it as it is.
	m1, _ := full.Momentum(0)
	w1, _ := full.Weights(0)
	for range 2 {
		in := randomInput(c, 4, []int{6}, rng)
		in.Trainable = [][]bool{frozenCore}
		if _, err := full.TrainStep(in, opt); err != nil {
			t.Fatal(err)
		}
	}
	m3, _ := full.Momentum(0)
	w3, _ := full.Weights(0)
	for i, p := range c.Params() {
		if !frozenCore[i] && (!equal(m3[p.Name], m1[p.Name]) || !equal(w3[p.Name], w1[p.Name])) {
			t.Errorf("frozen %s or its momentum changed", p.Name)
		}
		if frozenCore[i] && equal(w3[p.Name], w1[p.Name]) {
			t.Errorf("trainable %s did not move", p.Name)
		}
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCompiledGraphsGrowLogarithmically: lengths 4…600 compile at most one
// graph per bucket.
func TestCompiledGraphsGrowLogarithmically(t *testing.T) {
	c := Config{Core: CoreElman, Hidden: 3}.WithDefaults()
	rng := rand.New(rand.NewPCG(1, 1))
	e := newEnsemble(t, c, InitWeights(c, rng))
	for T := 4; T <= 600; T += 29 {
		in := randomInput(c, 2, []int{T}, rng)
		if _, err := e.Eval(EvalInput{Input: in.Input}); err != nil {
			t.Fatal(err)
		}
	}
	in := randomInput(c, 2, []int{600}, rng)
	if _, err := e.Eval(EvalInput{Input: in.Input}); err != nil {
		t.Fatal(err)
	}
	if n, max := e.NumCompiled(), len(Buckets(600)); n > max || n > 16 {
		t.Errorf("%d graphs compiled for lengths 4…600, want ≤ %d", n, max)
	}
	t.Logf("%d graphs for lengths 4…600 (buckets %v)", e.NumCompiled(), Buckets(600))
}

// TestAblation: Eval with CBOn=false equals the model with its DCN output
// zeroed, per member.
func TestAblation(t *testing.T) {
	for _, name := range []string{"elman_cb", "gru_cb", "elman_cb_hidden_only"} {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			c := g.config()
			w := g.weights()
			zeroed := w.Clone()
			for i := range zeroed["cb.dcn.weight"] {
				zeroed["cb.dcn.weight"][i] = 0
			}
			for i := range zeroed["cb.dcn.bias"] {
				zeroed["cb.dcn.bias"][i] = 0
			}
			in := g.stepInput().Input
			pairIn := Input{B: in.B, X: [][]float32{in.X[0], in.X[0]}, T: []int{in.T[0], in.T[0]}, H0: [][]float32{in.H0[0], in.H0[0]}}
			e := newEnsemble(t, c, w, w)
			out, err := e.Eval(EvalInput{Input: pairIn, CBOn: []bool{true, false}})
			if err != nil {
				t.Fatal(err)
			}
			ez := newEnsemble(t, c, zeroed)
			ref, err := ez.Eval(EvalInput{Input: in})
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "CB off", out.Logits[1][0], ref.Logits[0][0], 1e-7)
			checkClose(t, "CB on (golden)", out.Logits[0][0], g.Logits.Data)
			if equal(out.Logits[0][0], out.Logits[1][0]) {
				t.Error("ablation changed nothing")
			}
			dyn, err := e.Dynamics(0, in.X[0], in.T[0], in.B, in.H0[0], false)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range dyn["cb_bias"].Data {
				if v != 0 {
					t.Fatalf("cb_bias[%d] = %g with the CB off", i, v)
				}
			}
		})
	}
}

// TestSkipNonFinite: a member whose loss is not finite is skipped (params
// and momentum unchanged) while the others train.
func TestSkipNonFinite(t *testing.T) {
	c := smallElmanCB
	rng := rand.New(rand.NewPCG(8, 8))
	good, bad := InitWeights(c, rng), InitWeights(c, rng)
	bad["head.bias"][0] = float32(math.Inf(1))
	e := newEnsemble(t, c, good, bad)
	in := randomInput(c, 4, []int{6, 6}, rng)
	out, err := e.TrainStep(in, PaperOptim())
	if err != nil {
		t.Fatal(err)
	}
	if out.Skipped[0] || !out.Skipped[1] {
		t.Fatalf("Skipped = %v, want [false true] (losses %v)", out.Skipped, out.Loss)
	}
	w1, _ := e.Weights(1)
	m1, _ := e.Momentum(1)
	for _, p := range c.Params() {
		if p.Name != "head.bias" && !equal(w1[p.Name], bad[p.Name]) {
			t.Errorf("skipped member's %s moved", p.Name)
		}
		if !equal(m1[p.Name], make([]float32, p.Size())) {
			t.Errorf("skipped member's %s momentum moved", p.Name)
		}
	}
	w0, _ := e.Weights(0)
	if equal(w0["hh.weight"], good["hh.weight"]) {
		t.Error("good member did not train")
	}
}

// TestStateRoundTrip: SetWeights/SetMomentum then stepping equals stepping
// an ensemble that reached that state by training (exact resume).
func TestStateRoundTrip(t *testing.T) {
	c := smallConfigs["gru_cb"]
	rng := rand.New(rand.NewPCG(4, 4))
	w := InitWeights(c, rng)
	a := newEnsemble(t, c, w)
	ins := []StepInput{randomInput(c, 3, []int{7}, rng), randomInput(c, 3, []int{10}, rng)}
	if _, err := a.TrainStep(ins[0], PaperOptim()); err != nil {
		t.Fatal(err)
	}
	wa, _ := a.Weights(0)
	ma, _ := a.Momentum(0)
	b := newEnsemble(t, c, InitWeights(c, rng), InitWeights(c, rng))
	if err := b.SetWeights(1, wa); err != nil {
		t.Fatal(err)
	}
	if err := b.SetMomentum(1, ma); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TrainStep(ins[1], PaperOptim()); err != nil {
		t.Fatal(err)
	}
	pairIn := randomInput(c, 3, []int{5, 10}, rng)
	pairIn.X[1], pairIn.H0[1], pairIn.Labels[1] = ins[1].X[0], ins[1].H0[0], ins[1].Labels[0]
	if _, err := b.TrainStep(pairIn, PaperOptim()); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Weights(1)
	want, _ := a.Weights(0)
	closeWeights(t, "resumed", got, want, 1e-6)
	if err := b.SetWeights(2, wa); err == nil {
		t.Error("SetWeights(2) on K=2: no error")
	}
	delete(wa, "h_n.bias")
	if err := b.SetWeights(0, wa); err == nil {
		t.Error("SetWeights with a missing parameter: no error")
	}
}

// TestDynamicsChunks: a long input runs in chunks; the last hidden state
// read out gives Eval's logits, and shapes are as documented.
func TestDynamicsChunks(t *testing.T) {
	c := smallConfigs["gru_cb"]
	rng := rand.New(rand.NewPCG(6, 6))
	e := newEnsemble(t, c, bigCB(InitWeights(c, rng)))
	T, B := 300, 3
	in := randomInput(c, B, []int{T}, rng)
	dyn, err := e.Dynamics(0, in.X[0], T, B, in.H0[0], true)
	if err != nil {
		t.Fatal(err)
	}
	for name, width := range map[string]int{"hidden": c.Hidden, "gc": c.GC, "pc": c.PC, "cb_bias": c.Hidden, "z": c.Hidden, "r": c.Hidden} {
		a, ok := dyn[name]
		if !ok || fmt.Sprint(a.Shape) != fmt.Sprint([]int{T, B, width}) || len(a.Data) != T*B*width {
			t.Errorf("%s: shape %v (%d values), want [%d %d %d]", name, a.Shape, len(a.Data), T, B, width)
		}
	}
	out, err := e.Eval(EvalInput{Input: in.Input})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e.Weights(0)
	H := c.Hidden
	logits := make([]float32, B*2)
	for b := range B {
		for k := range 2 {
			v := w["head.bias"][k]
			for j := range H {
				v += w["head.weight"][k*H+j] * dyn["hidden"].Data[((T-1)*B+b)*H+j]
			}
			logits[b*2+k] = v
		}
	}
	closeTo(t, "readout of the last hidden state", logits, out.Logits[0][0], 1e-5)
}
