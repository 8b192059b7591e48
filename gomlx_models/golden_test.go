package gomlxmodels

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
)

// Golden vectors were produced by the paper's PyTorch model in float64; we
// run in float32. Tolerance: |got − want| ≤ rtol·|want| + atol·scale, with
// rtol = 1e-4, atol = 1e-5 and scale = max|want| over the array, so entries
// far below the array's magnitude (where float32 cancellation dominates)
// are judged against the array's scale rather than their own.
const (
	goldenRTol = 1e-4
	goldenATol = 1e-5
)

type goldenArray struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type goldenFile struct {
	Name   string `json:"name"`
	Config struct {
		InputSize      int     `json:"input_size"`
		Tau            float64 `json:"tau"`
		CBSeesInput    bool    `json:"cb_sees_input"`
		Core           string  `json:"core"`
		Hidden         int     `json:"hidden"`
		CB             bool    `json:"cb"`
		GC             int     `json:"gc"`
		PC             int     `json:"pc"`
		CBMaxRatio     float64 `json:"cb_max_ratio"`
		ExpansionRatio int     `json:"expansion_ratio"` // seed sketch
		Readout        string  `json:"readout"`         // seed sketch: "last" or "per_step"
		PerStepLoss    bool    `json:"per_step_loss"`
	} `json:"config"`
	T, B        int
	Params      map[string]goldenArray `json:"params"`
	X           goldenArray            `json:"x"`
	H0          goldenArray            `json:"h0"`
	Labels      []int32                `json:"labels"`
	LabelsShape []int                  `json:"labels_shape"`
	Logits      goldenArray            `json:"logits"`
	Loss        float64                `json:"loss"`
	Dynamics    map[string]goldenArray `json:"dynamics"`
	Grads       map[string]goldenArray `json:"grads"`
	GradNorm    float64                `json:"grad_norm"`
	Optimizer   struct {
		Kind        string                 `json:"kind"`
		LR          float64                `json:"lr"`
		Momentum    float64                `json:"momentum"`
		ClipMaxNorm float64                `json:"clip_max_norm"`
		Steps       int                    `json:"steps"`
		ParamsAfter map[string]goldenArray `json:"params_after"`
	} `json:"optimizer"`
}

// goldenNames are the eight PyTorch-computed cases: the paper's Elman and
// GRU with and without the CB (one with clipping at 0.05), and the seed
// sketch with its loss on the last output and on every output.
var goldenNames = []string{"elman_cb", "elman_cb_clipped", "elman_cb_hidden_only", "elman_nocb", "gru_cb", "gru_nocb",
	"seed_sketch", "seed_sketch_perstep"}

func loadGolden(t testing.TB, name string) *goldenFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// config is the golden network as a Config.
func (g *goldenFile) config() Config {
	gc := g.Config
	o := Options{Inputs: gc.InputSize, Hidden: gc.Hidden, GC: gc.GC, PC: gc.PC}.WithDefaults()
	if gc.Core == "sketch" {
		// The sketch has an output at every step; its "readout" says which
		// outputs the loss uses (the labels' shape tells the same).
		return SeedSketch(o, gc.ExpansionRatio)
	}
	var c Config
	switch {
	case gc.Core == CoreGRU && gc.CB:
		c = MustBuild("cb-gru", o)
		c.CB.MaxRatio = gc.CBMaxRatio
	case gc.Core == CoreGRU:
		c = MustBuild("gru", o)
	case gc.CB:
		c = MustBuild("cb-rnn", o)
	default:
		c = MustBuild("rnn", o)
	}
	if gc.Tau != 0 {
		c.Core.Tau = gc.Tau
	}
	if c.CB != nil && !gc.CBSeesInput {
		c.CB.Sees = SeesHidden
	}
	return c
}

// goldenName maps a golden file's parameter name to the package's: the
// golden files name the readout "head" and the GRU's linears without the
// authors' gru_cell prefix.
func (g *goldenFile) goldenName(name string) string {
	if g.Config.Core == "sketch" {
		return name
	}
	if rest, ok := strings.CutPrefix(name, "head."); ok {
		return "heads.0." + rest
	}
	if g.Config.Core == CoreGRU && (strings.HasPrefix(name, "x_") || strings.HasPrefix(name, "h_")) {
		return "gru_cell." + name
	}
	return name
}

// goldenDynamics maps a golden dynamics key to the package's.
func (g *goldenFile) dynamicsName(name string) string {
	switch name {
	case "cb_hidden": // the sketch's expansion layer
		return "expand"
	case "outputs":
		return "output"
	}
	return name
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func (g *goldenFile) weights() Weights {
	w := Weights{}
	for name, a := range g.Params {
		w[g.goldenName(name)] = f32(a.Data)
	}
	return w
}

// perStep says the golden loss averages every step's output ([T, B] labels).
func (g *goldenFile) perStep() bool { return len(g.LabelsShape) == 2 }

func (g *goldenFile) stepInput() StepInput {
	return StepInput{
		Input:   Input{B: g.B, X: [][]float32{f32(g.X.Data)}, T: []int{g.T}, H0: [][]float32{f32(g.H0.Data)}},
		Labels:  [][][]int32{{g.Labels}},
		PerStep: g.perStep(),
	}
}

func (g *goldenFile) optim() Optim {
	return Optim{LR: g.Optimizer.LR, Momentum: g.Optimizer.Momentum, ClipNorm: g.Optimizer.ClipMaxNorm,
		Nesterov: g.Optimizer.Kind == "sgd_nesterov"}
}

var (
	testBackendOnce sync.Once
	testBackend     compute.Backend
)

func backendForTest(t testing.TB) compute.Backend {
	t.Helper()
	testBackendOnce.Do(func() {
		b, why, err := NewBackend()
		if err != nil {
			t.Fatal(err)
		}
		t.Log(why)
		testBackend = b
	})
	if testBackend == nil {
		t.Fatal("no backend")
	}
	return testBackend
}

// maxErr returns the largest violation ratio err/tol (≤ 1 passes) and where.
func maxErr(got []float32, want []float64, rtol, atol float64) (ratio float64, at int) {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		tol := rtol*math.Abs(want[i]) + atol*scale + 1e-12
		r := math.Abs(float64(got[i])-want[i]) / tol
		if math.IsNaN(r) {
			r = math.Inf(1)
		}
		if r > ratio {
			ratio, at = r, i
		}
	}
	return ratio, at
}

func checkClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	r, at := maxErr(got, want, goldenRTol, goldenATol)
	if r > 1 {
		t.Errorf("%s: [%d] got %.8g want %.8g (%.2f× tolerance)", what, at, got[at], want[at], r)
	}
}

// TestGolden checks every network against PyTorch: logits, every recorded
// activity, loss, every gradient, the gradient norm and the parameters
// after two optimiser steps, on every path the network has (the paper's
// networks: the hand-written BPTT and autodiff; the sketch: autodiff).
func TestGolden(t *testing.T) {
	be := backendForTest(t)
	for _, name := range goldenNames {
		g := loadGolden(t, name)
		c := g.config()
		paths := []gradPath{pathGeneral}
		if c.hasFastPath() {
			paths = []gradPath{pathFast, pathGeneral}
		}
		for _, path := range paths {
			t.Run(fmt.Sprintf("%s/%s", name, path), func(t *testing.T) {
				if err := c.Validate(); err != nil {
					t.Fatal(err)
				}
				e, err := NewEnsemble(be, c, []Weights{g.weights()})
				if err != nil {
					t.Fatal(err)
				}
				if path == pathGeneral {
					e.UseAutodiff()
				}
				in := g.stepInput()

				// Logits (exact length, and through the padded bucket):
				// the last step's, or every step's.
				for _, T := range []int{g.T, 0} {
					out, err := e.eval(EvalInput{Input: in.Input, PerStep: in.PerStep}, T)
					if err != nil {
						t.Fatal(err)
					}
					checkClose(t, fmt.Sprintf("logits(T=%d)", T), out.Logits[0][0], g.Logits.Data)
				}

				// Dynamics.
				dyn, err := e.Dynamics(0, in.X[0], g.T, g.B, in.H0[0], true)
				if err != nil {
					t.Fatal(err)
				}
				for gname, want := range g.Dynamics {
					dname := g.dynamicsName(gname)
					got, ok := dyn[dname]
					if !ok {
						t.Errorf("dynamics %q (golden %q) missing", dname, gname)
						continue
					}
					if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
						t.Errorf("dynamics %q shape %v, want %v", dname, got.Shape, want.Shape)
					}
					checkClose(t, "dynamics "+dname, got.Data, want.Data)
				}

				// Loss, gradients, norm.
				loss, norm, grads, err := e.gradients(in, g.T, path)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "loss", loss, []float64{g.Loss})
				checkClose(t, "grad_norm", norm, []float64{g.GradNorm})
				if len(g.Grads) != len(c.Params()) {
					t.Errorf("golden has %d gradients, model %d parameters", len(g.Grads), len(c.Params()))
				}
				for pname, want := range g.Grads {
					checkClose(t, "grad "+pname, grads[0][g.goldenName(pname)], want.Data)
				}

				// Two optimiser steps on the same batch.
				opt := g.optim()
				for step := range g.Optimizer.Steps {
					out, err := e.TrainStep(in, opt)
					if err != nil {
						t.Fatal(err)
					}
					if step == 0 {
						checkClose(t, "TrainStep loss", []float32{float32(out.Loss[0])}, []float64{g.Loss})
						checkClose(t, "TrainStep grad norm", []float32{float32(out.GradNorm[0])}, []float64{g.GradNorm})
					}
					if out.Skipped[0] {
						t.Fatal("step skipped")
					}
				}
				after, err := e.Weights(0)
				if err != nil {
					t.Fatal(err)
				}
				for pname, want := range g.Optimizer.ParamsAfter {
					checkClose(t, "params_after "+pname, after[g.goldenName(pname)], want.Data)
				}
			})
		}
	}
}
