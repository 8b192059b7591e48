package gomlxmodels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The per-task-CB model (cb-rnn-pertask) against an independent float64
// reference: head k of the per-task network is, by definition (CB.PerTask),
// the paper's CB-RNN made of the shared core, module cbs.k and head k,
// started from the k-th slice of the state. The reference builds exactly
// that single-module network for each head and runs refNet on it; the
// package's Dynamics, Eval and autodiff gradients must agree, the gradients
// against central differences of the float64 loss weighted per head.

// refPerTaskHead is head k's single-module CB-RNN: module cbs.k renamed
// nothing (its parameters keep their names), head heads.k alone.
func refPerTaskHead(c Config, k int) Config {
	one := c
	cb := *c.CB
	cb.PerTask, cb.Name = false, fmt.Sprintf("%s.%d", c.CB.Name, k)
	one.CB = &cb
	one.Readout = Readout{Heads: []int{c.Readout.Heads[k]}, Name: c.HeadName(k)}
	return one
}

// refPerTaskLoss is Σ_k w_k · mean over the batch of head k's cross-entropy,
// each head from its own pass; acts (if not nil) collects every pass's
// activity as the package names them (name.k).
func refPerTaskLoss(c Config, w Weights, ref map[string][]float64, bt refBatch, hw []float64, acts map[string][][][]float64) (float64, [][]float64) {
	H := c.Core.Hidden
	L := 0.0
	logits := make([][]float64, len(c.Readout.Heads)) // [B·C] per head
	for k := range c.Readout.Heads {
		n := &refNet{c: refPerTaskHead(c, k), w: ref}
		for b := range bt.xs {
			tr := n.forward(bt.xs[b], bt.s0[b][k*H:(k+1)*H], nil)
			logits[k] = append(logits[k], tr.logits[0]...)
			L += hw[k] * refCE(tr.logits[0], bt.labels[k][b]) / float64(len(bt.xs))
			if acts != nil {
				for name, v := range tr.acts {
					key := fmt.Sprintf("%s.%d", name, k)
					acts[key] = append(acts[key], v)
				}
			}
		}
	}
	return L, logits
}

func TestPerTaskReference(t *testing.T) {
	c := MustBuild(PerTaskModel, Options{Hidden: 6, GC: 10, PC: 5, Inputs: 2, Heads: []int{2, 3}})
	if !c.PerTaskCB() || c.hasFastPath() || c.StateWidth() != 12 {
		t.Fatalf("per-task config: PerTaskCB %v, fast path %v, state width %d (want true, false, 12)", c.PerTaskCB(), c.hasFastPath(), c.StateWidth())
	}
	be := backendForTest(t)
	rng := rand.New(rand.NewPCG(77, 7))
	w := refWeights(c, rng, 1.5, nil)
	S, I, heads := c.StateWidth(), c.Inputs, c.Readout.Heads
	x := make([]float32, refT*refB*I)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	s0 := make([]float32, refB*S)
	for i := range s0 {
		s0[i] = float32(rng.Float64() - 0.5)
	}
	bt := refBatch{}
	for _, C := range heads {
		l := make([]int32, refB)
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
		bt.xs, bt.s0 = append(bt.xs, xs), append(bt.s0, sb)
	}
	ref := newRefNet(c, w).w
	// Multitask (both heads train) and a switch step (only head 1).
	for _, hw := range [][]float64{{1, 1}, {0, 1}} {
		t.Run(fmt.Sprintf("heads%v", hw), func(t *testing.T) {
			acts := map[string][][][]float64{}
			L0, wantLogits := refPerTaskLoss(c, w, ref, bt, hw, acts)
			e, err := NewEnsemble(be, c, []Weights{w})
			if err != nil {
				t.Fatal(err)
			}
			// Dynamics: every pass's activity, [T, B, width].
			dyn, err := e.Dynamics(0, x, refT, refB, s0, true)
			if err != nil {
				t.Fatal(err)
			}
			for name, perTrial := range acts {
				var want []float64
				for s := range refT {
					for b := range refB {
						want = append(want, perTrial[b][s]...)
					}
				}
				got, ok := dyn[name]
				if !ok {
					t.Errorf("dynamics %q missing (have %v)", name, sortedKeys(dyn))
					continue
				}
				refCheck(t, "dynamics "+name, got.Data, want, refRTol, refATol)
			}
			out, err := e.eval(EvalInput{Input: Input{B: refB, X: [][]float32{x}, T: []int{refT}, H0: [][]float32{s0}}}, 16)
			if err != nil {
				t.Fatal(err)
			}
			for k := range heads {
				refCheck(t, fmt.Sprintf("logits head %d", k), out.Logits[0][k], wantLogits[k], refRTol, refATol)
			}
			hw32 := make([]float32, len(hw))
			for i, v := range hw {
				hw32[i] = float32(v)
			}
			in := StepInput{Input: Input{B: refB, X: [][]float32{x}, T: []int{refT}, H0: [][]float32{s0}},
				Labels: [][][]int32{bt.labels}, HeadWeight: [][]float32{hw32}}
			// A switch step (head 0 idle for every member) skips pass 0.
			if idle, want := e.idlePasses(in), map[bool]uint64{true: 1, false: 0}[hw[0] == 0]; idle != want {
				t.Fatalf("idle passes %b, want %b", idle, want)
			}
			loss, _, grads, err := e.gradients(in, refT, pathGeneral)
			if err != nil {
				t.Fatal(err)
			}
			refCheck(t, "loss", loss, []float64{L0}, refRTol, refATol)
			want := map[string][]float64{}
			scale := 0.0
			for _, p := range c.Params() {
				v := ref[p.Name]
				want[p.Name] = make([]float64, len(v))
				for i := range v {
					old := v[i]
					v[i] = old + refFDStep
					lp, _ := refPerTaskLoss(c, w, ref, bt, hw, nil)
					v[i] = old - refFDStep
					lm, _ := refPerTaskLoss(c, w, ref, bt, hw, nil)
					v[i] = old
					want[p.Name][i] = (lp - lm) / (2 * refFDStep)
					scale = math.Max(scale, math.Abs(want[p.Name][i]))
				}
			}
			for _, p := range c.Params() {
				refCheckScaled(t, "grad "+p.Name, grads[0][p.Name], want[p.Name], refGradRTol, refGradATol, scale)
			}
			// The idle module (head weight 0) gets exactly zero gradient.
			for _, p := range c.Params() {
				if k, ok := c.CBTask(p.Name); ok && hw[k] == 0 {
					for i, g := range grads[0][p.Name] {
						if g != 0 {
							t.Fatalf("idle module's %s[%d] has gradient %g, want exactly 0", p.Name, i, g)
						}
					}
				}
			}
		})
	}
}

// Changing an idle task's module changes nothing of the active task's
// output, and changes its own head's.
func TestPerTaskIdleModule(t *testing.T) {
	c := MustBuild(PerTaskModel, Options{Hidden: 5, GC: 8, PC: 4, Heads: []int{2, 2}})
	rng := rand.New(rand.NewPCG(3, 9))
	w := refWeights(c, rng, 1.5, nil)
	changed := w.Clone()
	for name, v := range changed {
		if strings.HasPrefix(name, "cbs.0.") {
			for i := range v {
				v[i] += float32(rng.NormFloat64())
			}
		}
	}
	in := randomInput(c, 4, []int{9, 9}, rng).Input
	e, err := NewEnsemble(backendForTest(t), c, []Weights{w, changed})
	if err != nil {
		t.Fatal(err)
	}
	// Both members see the same trials.
	in.X[1], in.H0[1] = in.X[0], in.H0[0]
	out, err := e.Eval(EvalInput{Input: in})
	if err != nil {
		t.Fatal(err)
	}
	a, b := out.Logits[0], out.Logits[1]
	for i := range a[1] {
		if a[1][i] != b[1][i] {
			t.Fatalf("head 1's logit %d changed from %g to %g when only head 0's module changed", i, a[1][i], b[1][i])
		}
	}
	same := true
	for i := range a[0] {
		same = same && a[0][i] == b[0][i]
	}
	if same {
		t.Error("head 0's logits did not change with its own module: the test would prove nothing")
	}
}

// The per-task model's parts: names like the authors' heads.{k}, counts,
// the ablation zeroing every module, the initial state shared by the
// passes, and what a per-task module refuses.
func TestPerTaskConfig(t *testing.T) {
	c := MustBuild(PerTaskModel, Options{Heads: []int{2, 2}})
	one := MustBuild("cb-rnn", Options{Heads: []int{2, 2}})
	n, n1 := c.Count(), one.Count()
	if n.Core != n1.Core || n.Readout != n1.Readout || n.CB != 2*n1.CB || n.Total != n1.Total+n1.CB {
		t.Errorf("counts %+v, want cb-rnn's %+v with the CB twice", n, n1)
	}
	if c.ParamIndex("cbs.1.gc.weight") < 0 || c.ParamIndex("cbs.0.dcn.bias") < 0 || c.ParamIndex("cb.gc.weight") >= 0 {
		t.Errorf("parameter names %v", c.Params())
	}
	if got := strings.Join(c.CBOutput(), ","); got != "cbs.0.dcn.weight,cbs.0.dcn.bias,cbs.1.dcn.weight,cbs.1.dcn.bias" {
		t.Errorf("CBOutput = %s", got)
	}
	if k, ok := c.CBTask("cbs.1.pc.bias"); !ok || k != 1 {
		t.Errorf("CBTask(cbs.1.pc.bias) = %d, %v", k, ok)
	}
	if _, ok := c.CBTask("heads.1.weight"); ok {
		t.Error("CBTask claims a head")
	}
	if _, ok := one.CBTask("cb.gc.weight"); ok {
		t.Error("CBTask claims a shared module")
	}
	s := c.InitialState(rand.New(rand.NewPCG(1, 2)), 3)
	H := c.Core.Hidden
	for b := range 3 {
		for j := range H {
			if s[b*2*H+j] != s[b*2*H+H+j] || s[b*2*H+j] == 0 {
				t.Fatalf("trial %d unit %d: passes start from %g and %g, want one nonzero draw", b, j, s[b*2*H+j], s[b*2*H+H+j])
			}
		}
	}
	// Matching a baseline to it works as for the others.
	if h := MatchHidden(n.Total, func(h int) Config { return PaperNetwork(Options{Inputs: 1, Heads: []int{2, 2}}, ElmanCore(h), nil) }); h <= 202 {
		t.Errorf("matched hidden %d, want above cb-rnn's 202", h)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Core = GRUCore(c.Core.Hidden) },
		func(c *Config) { c.CB.Target = TargetInput },
		func(c *Config) { c.Readout.PerStep = true },
	} {
		cc := MustBuild(PerTaskModel, Options{Heads: []int{2, 2}})
		cb := *cc.CB
		cc.CB = &cb
		bad(&cc)
		if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), "per-task") {
			t.Errorf("%s: Validate = %v, want a per-task error", cc.Describe(), err)
		}
	}
}
