package gomlxmodels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCBLearningRate checks the two-group optimiser (Optim.CBLR, the
// authors' --rnn_lr and --cb_lr): from the same weights and batch, one step
// with the core at 0.001 and the CB at 0.01 moves every CB parameter
// exactly as the one-rate step at 0.01 does, and every core and readout
// parameter by a tenth of it (the first step's momentum buffer is the
// clipped gradient, which does not involve the rate). And a one-rate Optim
// with CBLR = 0 steps exactly as before.
func TestCBLearningRate(t *testing.T) {
	for _, c := range []Config{small("cb-rnn", Options{Hidden: 6, GC: 10, PC: 5}), smallAux()} {
		in := randomInput(c, 4, []int{7}, rand.New(rand.NewPCG(3, 4)))
		step := func(opt Optim) (before, after Weights) {
			e, ws := newTestEnsemble(t, c, 1, 11)
			if _, err := e.TrainStep(in, opt); err != nil {
				t.Fatal(err)
			}
			w, err := e.Weights(0)
			if err != nil {
				t.Fatal(err)
			}
			return ws[0], w
		}
		one := PaperOptim()
		two := PaperOptim()
		two.LR, two.CBLR = 0.001, 0.01
		w0, w1 := step(one)
		_, w2 := step(two)
		if two.RateOf(GroupCB) != 0.01 || two.RateOf(GroupCoreRecurrent) != 0.001 || one.RateOf(GroupCB) != 0.01 {
			t.Fatalf("RateOf: CB %g, core %g, one-rate CB %g", two.RateOf(GroupCB), two.RateOf(GroupCoreRecurrent), one.RateOf(GroupCB))
		}
		moved := 0
		for _, p := range c.Params() {
			scale := 0.1
			if p.Group == GroupCB {
				scale = 1
			}
			for i := range w0[p.Name] {
				d1 := float64(w1[p.Name][i] - w0[p.Name][i])
				d2 := float64(w2[p.Name][i] - w0[p.Name][i])
				if d1 != 0 {
					moved++
				}
				// float32 rounds p − step to half an ulp of p.
				tol := 1e-6*math.Abs(d1) + 2*ulp32(w0[p.Name][i])
				if math.Abs(d2-scale*d1) > tol {
					t.Fatalf("%s %s[%d]: step %g with two rates, want %g × %g", c.CB.Name, p.Name, i, d2, scale, d1)
				}
			}
		}
		if moved == 0 {
			t.Fatal("the one-rate step moved nothing: the test checks nothing")
		}
		same := PaperOptim()
		same.CBLR = same.LR
		_, w3 := step(same)
		for name, v := range w1 {
			for i := range v {
				if w3[name][i] != v[i] {
					t.Fatalf("CBLR = LR: %s[%d] = %g, the one-rate step gives %g", name, i, w3[name][i], v[i])
				}
			}
		}
	}
}

// ulp32 is the spacing of float32 values at x.
func ulp32(x float32) float64 {
	a := math.Abs(float64(x))
	return float64(math.Nextafter32(float32(a), float32(math.Inf(1))) - float32(a))
}
