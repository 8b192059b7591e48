package variants

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// TestTwoGranuleLayers builds the README's worked example, checks its parts
// and parameter count, and trains it for a few steps on a task it can learn
// (answer the last input bit): the loss falls and every parameter moves.
func TestTwoGranuleLayers(t *testing.T) {
	c, err := gm.Build("cb-rnn-2gc", gm.Options{Hidden: 8, GC: 12, PC: 6})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range c.CB.Layers {
		names = append(names, l.Name)
	}
	if !slices.Equal(names, []string{"gc", "gc2", "pc", "dcn"}) {
		t.Errorf("layers %v, want gc gc2 pc dcn", names)
	}
	// Core (1→8, 8→8) 88, CB 9→12, 12→12, 12→6, 6→8: 120+156+78+56, head 18.
	if got, want := c.Count().Total, 88+120+156+78+56+18; got != want {
		t.Errorf("%d parameters, want %d", got, want)
	}
	if c.Gradients() != "autodiff" {
		t.Errorf("gradients by %s, want autodiff", c.Gradients())
	}
	backend, _, err := gm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	w0 := gm.InitWeights(c, rng)
	e, err := gm.NewEnsemble(backend, c, []gm.Weights{w0})
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 32, 6
	batch := func() gm.StepInput {
		x := make([]float32, T*B)
		labels := make([]int32, B)
		for i := range x {
			x[i] = float32(rng.IntN(2))
		}
		for b := range labels {
			labels[b] = int32(x[(T-1)*B+b])
		}
		return gm.StepInput{Input: gm.Input{B: B, X: [][]float32{x}, T: []int{T}, H0: [][]float32{c.InitialState(rng, B)}},
			Labels: [][][]int32{{labels}}}
	}
	opt := gm.PaperOptim()
	opt.LR = 0.5
	var first, last float64
	for step := range 60 {
		out, err := e.TrainStep(batch(), opt)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(out.Loss[0]) || out.Skipped[0] {
			t.Fatalf("step %d: loss %v", step, out.Loss[0])
		}
		if step == 0 {
			first = out.Loss[0]
		}
		last = out.Loss[0]
	}
	if !(last < 0.5*first) {
		t.Errorf("loss %.3f → %.3f after 60 steps: not learning", first, last)
	}
	w, _ := e.Weights(0)
	for _, p := range c.Params() {
		if slices.Equal(w[p.Name], w0[p.Name]) {
			t.Errorf("%s did not move", p.Name)
		}
	}
}

// TestREADMEExample: the README shows this package's worked example
// verbatim, so the two cannot drift apart.
func TestREADMEExample(t *testing.T) {
	src, err := os.ReadFile("cb_rnn_2gc.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Error("README.md's \"Adding a model\" block differs from gomlx_models/variants/cb_rnn_2gc.go")
	}
}
