package gomlxmodels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// bigCB returns weights with a feedforward CB's weights scaled up so that
// it matters (PyTorch's init already makes a recurrent one matter, and
// scaling it would make it explode over long inputs).
func bigCB(c Config, w Weights) Weights {
	w = w.Clone()
	if c.CB == nil || c.CB.Kind == CBRecurrent {
		return w
	}
	for _, p := range c.Params() {
		if p.Group == GroupCB && len(p.Shape) == 2 {
			for i := range w[p.Name] {
				w[p.Name][i] *= 20
			}
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
	if len(got) != len(want) {
		t.Errorf("%s: %d tensors, want %d", what, len(got), len(want))
	}
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
		Labels: [][][]int32{in.Labels[k]}, PerStep: in.PerStep}
	if in.HeadWeight != nil {
		out.HeadWeight = [][]float32{in.HeadWeight[k]}
	}
	if in.Trainable != nil {
		out.Trainable = [][]bool{in.Trainable[k]}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestFastPathCoverage: the hand-written backward pass is chosen for the
// paper's four models and the configurations it was verified on, and for
// nothing else.
func TestFastPathCoverage(t *testing.T) {
	for name, want := range map[string]bool{"cb-rnn": true, "rnn": true, "cb-gru": true, "gru": true,
		"aux-rnn-cb": false, "cb-compress": false, "seed-sketch": false} {
		c := MustBuild(name, Options{})
		if got := c.hasFastPath(); got != want {
			t.Errorf("%s: hasFastPath = %v, want %v", name, got, want)
		}
		e := newEnsemble(t, c, InitWeights(c, rand.New(rand.NewPCG(1, 1))))
		wantGrad := "autodiff"
		if want {
			wantGrad = "hand-written BPTT"
		}
		if e.Gradients() != wantGrad {
			t.Errorf("%s: ensemble computes gradients by %q, want %q", name, e.Gradients(), wantGrad)
		}
	}
	for _, name := range sortedKeys(smallConfigs) {
		if !smallConfigs[name].hasFastPath() {
			t.Errorf("small config %s: no fast path", name)
		}
	}
	for _, name := range sortedKeys(generalConfigs) {
		if generalConfigs[name].hasFastPath() {
			t.Errorf("general config %s: fast path claimed", name)
		}
	}
}

// TestFastMatchesAutodiff checks the hand-written BPTT against GoMLX's
// autodiff of the general path on every configuration the fast path
// covers: loss, norm and every gradient with padding, several members and
// member groups; then the two paths' logits and every recorded activity.
func TestFastMatchesAutodiff(t *testing.T) {
	for _, name := range sortedKeys(smallConfigs) {
		c := smallConfigs[name]
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 5))
			ws := []Weights{bigCB(c, InitWeights(c, rng)), bigCB(c, InitWeights(c, rng))}
			e := newEnsemble(t, c, ws...)
			e.groupMax = 1 // exercise member groups
			in := randomInput(c, 4, []int{9, 5}, rng)
			in.HeadWeight = make([][]float32, 2)
			for k := range in.HeadWeight {
				for h := range c.Readout.Heads {
					in.HeadWeight[k] = append(in.HeadWeight[k], float32(0.5+float64(h+k)))
				}
			}
			lossM, normM, gM, err := e.gradients(in, 0, pathFast)
			if err != nil {
				t.Fatal(err)
			}
			lossA, normA, gA, err := e.gradients(in, 0, pathGeneral)
			if err != nil {
				t.Fatal(err)
			}
			// The paths sum in different orders: float32 round-off on losses
			// up to 4e4 (the CB scaled up 20×).
			closeTo(t, "loss", lossM, lossA, 1e-5)
			closeTo(t, "norm", normM, normA, 1e-5)
			for k := range gA {
				closeWeights(t, fmt.Sprintf("member %d grad", k), gM[k], gA[k], 1e-5)
			}

			// Forward: logits and every activity agree between the paths.
			general := newEnsemble(t, c, ws...)
			general.UseAutodiff()
			outF, err := e.Eval(EvalInput{Input: in.Input})
			if err != nil {
				t.Fatal(err)
			}
			outG, err := general.Eval(EvalInput{Input: in.Input})
			if err != nil {
				t.Fatal(err)
			}
			for k := range outF.Logits {
				for h := range outF.Logits[k] {
					closeTo(t, fmt.Sprintf("member %d head %d logits", k, h), outF.Logits[k][h], outG.Logits[k][h], 1e-6)
				}
			}
			dynF, err := e.Dynamics(0, in.X[0], in.T[0], in.B, in.H0[0], true)
			if err != nil {
				t.Fatal(err)
			}
			dynG, err := general.Dynamics(0, in.X[0], in.T[0], in.B, in.H0[0], true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sortedKeys(dynF), sortedKeys(dynG)) {
				t.Errorf("dynamics names: fast %v, general %v", sortedKeys(dynF), sortedKeys(dynG))
			}
			for _, n := range sortedKeys(dynF) {
				closeTo(t, "dynamics "+n, dynF[n].Data, dynG[n].Data, 1e-6)
			}

			if name == "gru_cb_clip" {
				e2 := newEnsemble(t, withMaxRatio(c, 1000), ws[0])
				dyn2, err := e2.Dynamics(0, in.X[0], in.T[0], in.B, in.H0[0], true)
				if err != nil {
					t.Fatal(err)
				}
				// The clipped CB bias must be smaller than the unclipped one.
				var n1, n2 float64
				for i := range dynF["cb_bias"].Data {
					n1 += math.Abs(float64(dynF["cb_bias"].Data[i]))
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
// the two must still agree element by element at T = 160 and 600, i.e.
// the flush changes nothing a float32 gradient can hold.
func TestLongSequenceGradients(t *testing.T) {
	for _, T := range []int{160, 600} {
		if T > 160 && testing.Short() {
			continue
		}
		for _, c := range []Config{paperCB, MustBuild("cb-gru", Options{})} {
			t.Run(fmt.Sprintf("%s_T%d", c.Core.Kind, T), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 160))
				e := newEnsemble(t, c, InitWeights(c, rng))
				in := randomInput(c, 4, []int{T}, rng)
				_, _, gM, err := e.gradients(in, 0, pathFast)
				if err != nil {
					t.Fatal(err)
				}
				_, _, gA, err := e.gradients(in, 0, pathGeneral)
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
}

// TestFlushInterval: flushTiny runs at every step. Flushing every second
// step instead moves parameters by less than 1e-30 after four training
// steps at T = 160…139, but not by nothing (the biases of units active only
// early get deltas of ~1e-33): every step is the interval that is exact.
func TestFlushInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size network at T = 160")
	}
	defer func(n int) { flushEvery = n }(flushEvery)
	train := func(every int) Weights {
		flushEvery = every
		rng := rand.New(rand.NewPCG(3, 3))
		e := newEnsemble(t, paperCB, InitWeights(paperCB, rng))
		for s := range 4 {
			if _, err := e.TrainStep(randomInput(paperCB, 32, []int{160 - 7*s}, rng), PaperOptim()); err != nil {
				t.Fatal(err)
			}
		}
		w, err := e.Weights(0)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	every, second := train(1), train(2)
	differ := 0
	for name, w := range every {
		for i, v := range w {
			if d := math.Abs(float64(v - second[name][i])); d > 0 {
				differ++
				if d > 1e-30 {
					t.Errorf("%s[%d]: %g (flush every step) vs %g (every second step)", name, i, v, second[name][i])
				}
			}
		}
	}
	if differ == 0 {
		t.Errorf("flushing every second step changed nothing at T = 160: a longer interval may be exact now (see flushTiny)")
	}
	t.Logf("flushing every second step: %d parameters differ, all by < 1e-30", differ)
}

// TestPadding: a trial padded at the front (state held) gives the same
// logits and gradients as unpadded; two members of different lengths in one
// step give what each gives alone. On both paths, and for per-step labels.
func TestPadding(t *testing.T) {
	cases := []struct {
		name    string
		c       Config
		perStep bool
	}{
		{"elman_cb", smallConfigs["elman_cb"], false},
		{"gru_cb_clip", smallConfigs["gru_cb_clip"], false},
		{"elman_2heads", smallConfigs["elman_2heads"], false},
		{"aux_rnn_cb", generalConfigs["aux_rnn_cb"], false},
		{"sketch_last", generalConfigs["sketch"], false},
		{"sketch_per_step", generalConfigs["sketch"], true},
		{"tanh_cb_per_step", generalConfigs["tanh_cb"], true},
	}
	for _, tc := range cases {
		c := tc.c
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 9))
			w := bigCB(c, InitWeights(c, rng))
			e := newEnsemble(t, c, w)
			path := e.path
			in := randomInput(c, 4, []int{9}, rng)
			if tc.perStep {
				in = perStepLabels(c, in, rng)
			}
			ref, err := e.eval(EvalInput{Input: in.Input, PerStep: tc.perStep}, 9)
			if err != nil {
				t.Fatal(err)
			}
			lossRef, normRef, gRef, err := e.gradients(in, 9, path)
			if err != nil {
				t.Fatal(err)
			}
			for _, T := range []int{12, 17} {
				out, err := e.eval(EvalInput{Input: in.Input, PerStep: tc.perStep}, T)
				if err != nil {
					t.Fatal(err)
				}
				for h := range c.Readout.Heads {
					closeTo(t, fmt.Sprintf("T=%d logits head %d", T, h), out.Logits[0][h], ref.Logits[0][h], 1e-6)
				}
				loss, norm, g, err := e.gradients(in, T, path)
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, fmt.Sprintf("T=%d loss", T), loss, lossRef, 1e-6)
				closeTo(t, fmt.Sprintf("T=%d norm", T), norm, normRef, 1e-6)
				closeWeights(t, fmt.Sprintf("T=%d grad", T), g[0], gRef[0], 1e-6)
			}

			// Two members, lengths 7 and 13, in one step = each alone.
			w2 := bigCB(c, InitWeights(c, rng))
			pair := newEnsemble(t, c, w, w2)
			in2 := randomInput(c, 4, []int{7, 13}, rng)
			if tc.perStep {
				in2 = perStepLabels(c, in2, rng)
			}
			loss, norm, g, err := pair.gradients(in2, 0, path)
			if err != nil {
				t.Fatal(err)
			}
			for k, wk := range []Weights{w, w2} {
				alone := newEnsemble(t, c, wk)
				l1, n1, g1, err := alone.gradients(memberInput(in2, k), 0, path)
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
		perStep  bool
	}{
		{"elman_cb", smallElmanCB, 0, false},
		{"elman_cb_groups", smallElmanCB, 1, false},
		{"gru_cb", smallConfigs["gru_cb"], 2, false},
		{"aux_rnn_cb", generalConfigs["aux_rnn_cb"], 2, false},
		{"sketch_per_step", generalConfigs["sketch"], 0, true},
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
				if tc.perStep {
					in = perStepLabels(c, in, rng)
				}
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
	w := bigCB(c, InitWeights(c, rng))
	frozenCore := make([]bool, len(c.Params()))
	for i, p := range c.Params() {
		frozenCore[i] = p.Group != GroupCoreInput && p.Group != GroupCoreRecurrent
	}
	opt := Optim{LR: 0.05, Momentum: 0.5, ClipNorm: 0, Nesterov: true} // no clipping: updates comparable

	full := newEnsemble(t, c, w)
	frozen := newEnsemble(t, c, w)
	in := randomInput(c, 4, []int{8}, rng)
	_, _, grads, err := frozen.gradients(in, 0, pathFast)
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

func equal(a, b []float32) bool { return slices.Equal(a, b) }

// TestCompiledGraphsBounded: every length from 1 to 600 compiles one graph
// per bucket, plus a mask-free one where a batch fills its bucket exactly:
// at most 2·MaxBuckets(600) = 72 graphs (16 buckets of 4 steps up to 64,
// then one per 12.5 %).
func TestCompiledGraphsBounded(t *testing.T) {
	c := small("rnn", Options{Hidden: 3})
	rng := rand.New(rand.NewPCG(1, 1))
	e := newEnsemble(t, c, InitWeights(c, rng))
	want := map[[2]int]bool{} // (bucket, full)
	for T := 1; T <= 600; T++ {
		in := randomInput(c, 2, []int{T}, rng)
		if _, err := e.Eval(EvalInput{Input: in.Input}); err != nil {
			t.Fatal(err)
		}
		b := BucketFor(T)
		want[[2]int{b, map[bool]int{false: 0, true: 1}[b == T]}] = true
	}
	n, bound := e.NumCompiled(), 2*MaxBuckets(600)
	if n != len(want) || n > bound {
		t.Errorf("%d graphs compiled for lengths 1…600, want %d (bound %d)", n, len(want), bound)
	}
	t.Logf("%d graphs for lengths 1…600 (buckets %v), %v compiling", n, Buckets(600), e.CompileTime())
}

// TestAblation: Eval with CBOn=false equals the model with its CB output
// layer zeroed (Config.WithoutCB), per member, on both paths; the golden
// networks' logits stand with the CB on.
func TestAblation(t *testing.T) {
	type tcase struct {
		name string
		c    Config
		w    Weights
		in   Input
		want []float64 // golden logits with the CB on, if any
	}
	var cases []tcase
	for _, name := range []string{"elman_cb", "gru_cb", "elman_cb_hidden_only"} {
		g := loadGolden(t, name)
		cases = append(cases, tcase{name, g.config(), g.weights(), g.stepInput().Input, g.Logits.Data})
	}
	for _, name := range []string{"aux_rnn_cb", "cb_compress", "sketch", "gru_aux_x"} {
		c := generalConfigs[name]
		rng := rand.New(rand.NewPCG(2, 2))
		cases = append(cases, tcase{name, c, bigCB(c, InitWeights(c, rng)), randomInput(c, 3, []int{7}, rng).Input, nil})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, w, in := tc.c, tc.w, tc.in
			pairIn := Input{B: in.B, X: [][]float32{in.X[0], in.X[0]}, T: []int{in.T[0], in.T[0]}, H0: [][]float32{in.H0[0], in.H0[0]}}
			e := newEnsemble(t, c, w, w)
			out, err := e.Eval(EvalInput{Input: pairIn, CBOn: []bool{true, false}})
			if err != nil {
				t.Fatal(err)
			}
			ez := newEnsemble(t, c, c.WithoutCB(w))
			ref, err := ez.Eval(EvalInput{Input: in})
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "CB off", out.Logits[1][0], ref.Logits[0][0], 1e-7)
			if tc.want != nil {
				checkClose(t, "CB on (golden)", out.Logits[0][0], tc.want)
			}
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
	bad["heads.0.bias"][0] = float32(math.Inf(1))
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
		if p.Name != "heads.0.bias" && !equal(w1[p.Name], bad[p.Name]) {
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
	delete(wa, "gru_cell.h_n.bias")
	if err := b.SetWeights(0, wa); err == nil {
		t.Error("SetWeights with a missing parameter: no error")
	}
}

// TestDynamicsChunks: a long input runs in chunks carrying the whole state
// (a recurrent CB's units too): running it in one call or in two, the
// second continuing from the first's "state", gives the same activity; the
// last hidden state read out gives Eval's logits; names and shapes are as
// documented.
func TestDynamicsChunks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      Config
		widths map[string]int
	}{
		{"gru_cb", smallConfigs["gru_cb"], map[string]int{"hidden": 6, "gc": 10, "pc": 5, "cb_bias": 6, "z": 6, "r": 6, "state": 6}},
		{"aux_rnn_cb", generalConfigs["aux_rnn_cb"], map[string]int{"hidden": 6, "aux": 7, "cb_bias": 6, "state": 13}},
		{"sketch", generalConfigs["sketch"], map[string]int{"hidden": 5, "expand": 15, "cb_bias": 5, "output": 2, "state": 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			rng := rand.New(rand.NewPCG(6, 6))
			e := newEnsemble(t, c, bigCB(c, InitWeights(c, rng)))
			T, B := 300, 3
			in := randomInput(c, B, []int{T}, rng)
			dyn, err := e.Dynamics(0, in.X[0], T, B, in.H0[0], true)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sortedKeys(dyn), sortedKeys(tc.widths); !slices.Equal(got, want) {
				t.Errorf("dynamics names %v, want %v", got, want)
			}
			for name, width := range tc.widths {
				a := dyn[name]
				shape := []int{T, B, width}
				if name == "state" {
					shape = []int{B, width}
				}
				if !slices.Equal(a.Shape, shape) || len(a.Data) != prod(shape) {
					t.Errorf("%s: shape %v (%d values), want %v", name, a.Shape, len(a.Data), shape)
				}
			}
			// In two calls, the second from the first's state.
			I, cut := c.Inputs, 170
			d1, err := e.Dynamics(0, in.X[0][:cut*B*I], cut, B, in.H0[0], true)
			if err != nil {
				t.Fatal(err)
			}
			d2, err := e.Dynamics(0, in.X[0][cut*B*I:], T-cut, B, d1["state"].Data, true)
			if err != nil {
				t.Fatal(err)
			}
			for name := range tc.widths {
				if name == "state" {
					closeTo(t, "final state", d2[name].Data, dyn[name].Data, 1e-6)
					continue
				}
				closeTo(t, name+" (two calls)", append(slices.Clone(d1[name].Data), d2[name].Data...), dyn[name].Data, 1e-6)
			}
			out, err := e.Eval(EvalInput{Input: in.Input})
			if err != nil {
				t.Fatal(err)
			}
			w, _ := e.Weights(0)
			H, head := c.Core.Hidden, c.HeadName(0)
			logits := make([]float32, B*2)
			for b := range B {
				for k := range 2 {
					v := w[head+".bias"][k]
					for j := range H {
						v += w[head+".weight"][k*H+j] * dyn["hidden"].Data[((T-1)*B+b)*H+j]
					}
					logits[b*2+k] = v
				}
			}
			closeTo(t, "readout of the last hidden state", logits, out.Logits[0][0], 1e-5)
		})
	}
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}
