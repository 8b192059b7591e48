package experiments

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/analysis"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/trainer"
)

// strongCB is a CB-RNN (H = 8, G = 16, P = 8) with random weights whose CB
// weights are scaled up (×5) so that the CB term is large (at initialisation it
// is tiny, and a test of its derivative would prove little).
func strongCB(t *testing.T, task string) Checkpoint {
	t.Helper()
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 8})
	w := gm.InitWeights(m, rand.New(rand.NewPCG(5, 5)))
	for name, v := range w {
		if strings.HasPrefix(name, "cb.") && strings.HasSuffix(name, ".weight") {
			for i := range v {
				v[i] *= 5
			}
		}
	}
	return Checkpoint{Config: trainer.Paper(task, m, 1), N: 4, Weights: w}
}

// TestCellMatchesDynamics: the float64 cell reproduces the package's forward
// pass step by step (hidden state and CB term), from the recorded state.
func TestCellMatchesDynamics(t *testing.T) {
	e := testEnv(t)
	c := strongCB(t, "dms")
	cell, err := CellOf(c)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := e.trials(context.Background(), c, dmsMechanismSeed, 1)
	if err != nil {
		t.Fatal(err)
	}
	trials, err := e.recordTrials(c, bs)
	if err != nil {
		t.Fatal(err)
	}
	maxCB, worst, maxH := 0.0, 0.0, 0.0
	for _, tr := range trials[:8] {
		h := make([]float64, cell.H) // h_0 = 0
		for s := range tr.x {
			b := cell.CBOutput(h, tr.x[s])
			next := cell.Step(h, tr.x[s], b)
			for u := range next {
				worst = math.Max(worst, math.Abs(next[u]-tr.hidden[s][u]))
				worst = math.Max(worst, math.Abs(b[u]-tr.cb[s][u]))
				maxCB = math.Max(maxCB, math.Abs(b[u]))
				maxH = math.Max(maxH, math.Abs(next[u]))
			}
			h = tr.hidden[s]
		}
	}
	if maxCB < 0.1 {
		t.Fatalf("CB term at most %.3g: the test network's CB does nothing", maxCB)
	}
	if maxH > 50 {
		t.Fatalf("states reach %.3g: the test network is unstable", maxH)
	}
	if worst > 1e-5 {
		t.Errorf("float64 cell differs from Dynamics by %.3g (want ≤ 1e-5, float32 rounding)", worst)
	}
}

// TestJVPAgainstDynamics: the full Jacobian-vector product equals central
// finite differences of one step of the package's forward pass (float32,
// ε = 1e-3: tolerance 2e-3 per component, dominated by float32 rounding
// / ε ≈ 1e-4 and by the rare ReLU kink inside ±ε).
func TestJVPAgainstDynamics(t *testing.T) {
	e := testEnv(t)
	c := strongCB(t, "dms")
	cell, _ := CellOf(c)
	ens, err := gm.NewEnsemble(e.Backend, c.Config.Model, []gm.Weights{c.Weights})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	const B, eps = 16, 1e-3
	H := cell.H
	h := make([]float64, B*H)
	v := make([]float64, B*H)
	x := make([]float32, B)
	for i := range h {
		h[i], v[i] = 0.5*r.NormFloat64(), r.NormFloat64()
	}
	for k := range x {
		x[k] = float32(k % 2)
	}
	step := func(sign float64) []float32 {
		s := make([]float32, B*H)
		for i := range s {
			s[i] = float32(h[i] + sign*eps*v[i])
		}
		dyn, err := ens.Dynamics(0, x, 1, B, s, true)
		if err != nil {
			t.Fatal(err)
		}
		return dyn["state"].Data
	}
	p, m := step(1), step(-1)
	bad := 0
	for k := range B {
		j := cell.JVP(h[k*H:(k+1)*H], []float64{float64(x[k])}, v[k*H:(k+1)*H], true)
		for u := range H {
			fd := (float64(p[k*H+u]) - float64(m[k*H+u])) / (2 * eps)
			if math.Abs(fd-j[u]) > 2e-3*math.Max(1, math.Abs(fd)) {
				bad++
				t.Logf("trial %d unit %d: JVP %.5f, finite difference %.5f", k, u, j[u], fd)
			}
		}
	}
	if bad > 1 { // one component may straddle a ReLU kink
		t.Errorf("%d of %d components disagree", bad, B*H)
	}
}

// TestDMSPropagationAR1: an Elman network without CB whose units are AR(1)
// processes (ar1Checkpoint: J = a·I, a = (1−α) + α·self while the
// pre-activation is positive) has a constant memory direction, so every
// q = m_{t+1}ᵀ J m_t = a, and Q = a (to 1e-4: the directions come from the
// float32 trajectories); the CB contribution is 0.
func TestDMSPropagationAR1(t *testing.T) {
	e := testEnv(t)
	c := ar1Checkpoint(0.9, []float32{1, 2, 3})
	c.N = 6
	p, err := e.DMSPropagationAt(context.Background(), c, 4)
	if err != nil {
		t.Fatal(err)
	}
	a := (1 - 2.0/3) + 2.0/3*0.9
	if len(p.Full) != c.N-2 || math.Abs(p.QFull-a) > 1e-4 || math.Abs(p.QDet-a) > 1e-4 || p.QCB != 0 {
		t.Errorf("propagation %+v, want Q = %.6f over %d transitions and no CB part", p, a, c.N-2)
	}
	if p.DirTrials != 2*c.Config.Batch || p.EvTrials != 2*c.Config.Batch {
		t.Errorf("direction/evaluation trials %d/%d, want %d each", p.DirTrials, p.EvTrials, 2*c.Config.Batch)
	}
}

// TestParitySwaps: the "Correct" step reproduces the recorded transition,
// the scores are finite, and a network without a CB is refused.
func TestParitySwaps(t *testing.T) {
	e := testEnv(t)
	c := strongCB(t, "parity")
	c.N = 3
	ctx := context.Background()
	s, err := e.ParitySwapAt(ctx, c, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range append(s.Values(), s.WrongIn, s.WrongOut, s.WrongParity) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("swap scores %+v", s)
		}
	}
	if s.Evaluated == 0 || s.Evaluated > s.Transitions/3+1 {
		t.Errorf("%d of %d transitions evaluated, want the 30 %% split", s.Evaluated, s.Transitions)
	}
	// The Correct condition steps with the recorded CB term from the
	// recorded state, which is the recorded next state.
	cell, _ := CellOf(c)
	bs, _ := e.trials(ctx, c, parityMechanismSeed, 2)
	trials, _ := e.recordTrials(c, bs)
	tr := trials[3]
	for tt := c.N; tt < len(tr.x); tt++ {
		got := cell.Step(tr.hidden[tt-1], tr.x[tt], tr.cb[tt])
		for u := range got {
			if math.Abs(got[u]-tr.hidden[tt][u]) > 1e-5 {
				t.Fatalf("step with the recorded CB term differs from the recorded state at t=%d", tt)
			}
		}
	}
	if _, err := e.ParitySwapAt(ctx, ar1Checkpoint(0.9, []float32{1}), 1); err == nil {
		t.Error("a network without CB was accepted")
	}
	if _, err := CellOf(Checkpoint{Config: trainer.Paper("dms", gm.MustBuild("gru", gm.Options{Hidden: 4}), 1)}); err == nil {
		t.Error("a GRU was accepted by CellOf")
	}
	_ = analysis.Dot
}
