package gomlxmodels

import (
	"math/rand/v2"
	"testing"
)

// paperCB is the paper's CB-RNN: Elman H64, G256, P64, CB sees input.
var paperCB = Config{Core: CoreElman, Hidden: 64, CB: true, GC: 256, PC: 64}.WithDefaults()

// randomInput draws bits x, h0 = 0.1·U(0,1) and random labels for K
// members with lengths Ts.
func randomInput(c Config, B int, Ts []int, rng *rand.Rand) StepInput {
	K := len(Ts)
	in := StepInput{Input: Input{B: B, T: append([]int(nil), Ts...)}}
	for k := range K {
		x := make([]float32, Ts[k]*B*c.Inputs)
		for i := range x {
			x[i] = float32(rng.IntN(2))
		}
		h0 := make([]float32, B*c.Hidden)
		for i := range h0 {
			h0[i] = float32(0.1 * rng.Float64())
		}
		in.X = append(in.X, x)
		in.H0 = append(in.H0, h0)
		var labels [][]int32
		for _, C := range c.Heads {
			l := make([]int32, B)
			for b := range l {
				l[b] = int32(rng.IntN(C))
			}
			labels = append(labels, l)
		}
		in.Labels = append(in.Labels, labels)
	}
	return in
}

func newTestEnsemble(t testing.TB, c Config, K int, seed uint64) (*Ensemble, []Weights) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	ws := make([]Weights, K)
	for k := range ws {
		ws[k] = InitWeights(c, rng)
	}
	e, err := NewEnsemble(backendForTest(t), c, ws)
	if err != nil {
		t.Fatal(err)
	}
	return e, ws
}
