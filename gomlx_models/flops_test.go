package gomlxmodels

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// TestGraphFLOPs: the count read from a compiled graph is 2 per
// multiply-add of its DotGenerals: exact on known products, and for the
// paper's CB-RNN between the useful work of a training step (forward,
// backward through the recurrence, weight gradients; no padding) and 5 %
// above it (the zero rows that pad activations to the matmul panels).
func TestGraphFLOPs(t *testing.T) {
	g := NewGraph(backendForTest(t), "flops")
	a := Parameter(g, "a", shapes.Make(dtypes.Float32, 2, 3, 4))
	b := Parameter(g, "b", shapes.Make(dtypes.Float32, 2, 4, 5))
	c := Parameter(g, "c", shapes.Make(dtypes.Float32, 2, 5, 4))
	ab := DotGeneral(a, []int{2}, []int{0}, b, []int{1}, []int{0})   // [2, 3, 5]: 2·3·5·4 multiply-adds
	abc := DotGeneral(ab, []int{2}, []int{0}, c, []int{1}, []int{0}) // [2, 3, 4]: 2·3·4·5
	both := DotGeneral(a, []int{1, 2}, nil, a, []int{1, 2}, nil)     // [2, 2]: 2·2·12
	if got, want := graphFLOPs([]*Node{abc, both, abc}), 2*(120+120+48.0); got != want {
		t.Errorf("FLOPs %g, want %g", got, want)
	}

	const K, T, B = 2, 60, 64
	e, _ := newTestEnsemble(t, paperCB, K, 1)
	in := randomInput(paperCB, B, []int{T, T}, rand.New(rand.NewPCG(1, 2)))
	if _, err := e.TrainStep(in, PaperOptim()); err != nil {
		t.Fatal(err)
	}
	H, I, G, P := 64, 1, 256, 64
	layer := func(out, in int) float64 { return 2 * float64(out*in*B) } // one step of W·x
	fwd := layer(H, H+I+1) + layer(G, H+I+1) + layer(P, G+1) + layer(H, P+1)
	bwd := layer(H, H) + layer(P, H) + layer(G, P) + layer(H, G)
	grads := layer(H, H+I+1) + layer(G, H+I+1) + layer(P, G+1) + layer(H, P+1)
	useful := K * T * (fwd + bwd + grads)
	got := e.LastFLOPs()
	if got < useful || got > 1.05*useful {
		t.Errorf("train graph: %.1f MFLOP per member-step, useful work %.1f", got/K/1e6, useful/K/1e6)
	}
	t.Logf("train step K=%d T=%d B=%d: %.1f MFLOP per member-step executed, %.1f useful", K, T, B, got/K/1e6, useful/K/1e6)

	if gf, err := PeakGFLOPs(backendForTest(t), 128, 2); err != nil || gf <= 0 {
		t.Errorf("PeakGFLOPs: %g, %v", gf, err)
	}
}
