package authors

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/pytorchtest"
	"github.com/cbrnn/cbrnn/internal/torchio"
	"github.com/cbrnn/cbrnn/safetensors"
)

// These tests run a real PyTorch (Debian's, through internal/pytorchtest)
// on a module with the authors' parameter names built from the
// constructor arguments a file records.

// logitTol is "the same logits to float32 precision": the largest
// difference allowed, relative to max(1, |logit|). Sums of a few hundred
// float32 products over tens of steps, in a different order, differ by a
// few ulps (~1e-7 each).
const logitTol = 2e-5

var (
	backendOnce sync.Once
	backend     compute.Backend
	backendErr  error
)

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backend, _, backendErr = gm.NewBackend() })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backend
}

// randomWeights draws every parameter from U(±2/√fan_in), so that each
// moves the logits (the paper's CB init, N(0, 0.01²), would hide wiring
// errors in the CB).
func randomWeights(c gm.Config, seed uint64) gm.Weights {
	r := rand.New(rand.NewPCG(seed, 7))
	w := gm.Weights{}
	for _, p := range c.Params() {
		fan := p.Shape[len(p.Shape)-1]
		if len(p.Shape) == 1 {
			fan = p.Shape[0]
		}
		v := make([]float32, p.Size())
		for i := range v {
			v[i] = float32((2*r.Float64() - 1) * 2 / math.Sqrt(float64(fan)))
		}
		w[p.Name] = v
	}
	return w
}

// batch is one set of inputs both sides run: x [T, B, I], the initial
// state split into h0 [B, H] and the auxiliary RNN's aux0 [B, A], labels.
type batch struct {
	T, B   int
	x, s0  []float32 // s0: cbrnn's state [B, StateWidth] = [h0 | aux0] per trial
	labels []int32
}

func newBatch(c gm.Config, T, B int, seed uint64) batch {
	r := rand.New(rand.NewPCG(seed, 11))
	b := batch{T: T, B: B, x: make([]float32, T*B*c.Inputs), s0: c.InitialState(r, B), labels: make([]int32, B)}
	for i := range b.x {
		b.x[i] = float32(r.IntN(2)) // bits, like the tasks
	}
	for i := range b.labels {
		b.labels[i] = int32(r.IntN(c.Readout.Heads[0]))
	}
	return b
}

// write saves the batch as the script's inputs.
func (b batch) write(t *testing.T, c gm.Config, path string) {
	t.Helper()
	H, A := c.Core.Hidden, c.StateWidth()-c.Core.Hidden
	h0, aux0 := make([]float32, 0, b.B*H), make([]float32, 0, b.B*A)
	for i := 0; i < b.B; i++ {
		row := b.s0[i*(H+A) : (i+1)*(H+A)]
		h0, aux0 = append(h0, row[:H]...), append(aux0, row[H:]...)
	}
	labels := make([]float32, b.B)
	for i, l := range b.labels {
		labels[i] = float32(l)
	}
	ts := []safetensors.Tensor{
		{Name: "x", Shape: []int{b.T, b.B, c.Inputs}, Data: b.x},
		{Name: "h0", Shape: []int{b.B, H}, Data: h0},
		{Name: "labels", Shape: []int{b.B}, Data: labels},
	}
	if A > 0 {
		ts = append(ts, safetensors.Tensor{Name: "aux0", Shape: []int{b.B, A}, Data: aux0})
	}
	if err := safetensors.WriteFile(path, ts, nil); err != nil {
		t.Fatal(err)
	}
}

// goLogits evaluates network (c, w) on the batch: logits per head [B, C].
func goLogits(t *testing.T, c gm.Config, w gm.Weights, b batch) [][]float32 {
	t.Helper()
	ens, err := gm.NewEnsemble(testBackend(t), c, []gm.Weights{w})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ens.Eval(gm.EvalInput{Input: gm.Input{B: b.B, X: [][]float32{b.x}, T: []int{b.T}, H0: [][]float32{b.s0}}, CBOn: []bool{true}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Logits[0]
}

// maxDiff is the largest |a−b|/max(1,|b|) over the heads' logits; it logs
// the largest absolute difference and logit too.
func maxDiff(t *testing.T, ours [][]float32, theirs map[string]safetensors.Tensor) float64 {
	t.Helper()
	worst, abs, big := 0.0, 0.0, 0.0
	defer func() { t.Logf("largest |Δlogit| %.3g (largest |logit| %.3g)", abs, big) }()
	for k, l := range ours {
		th, ok := theirs[fmt.Sprintf("logits.%d", k)]
		if !ok || len(th.Data) != len(l) {
			t.Fatalf("PyTorch gave no logits for head %d of %d values", k, len(l))
		}
		for i := range l {
			a := math.Abs(float64(l[i] - th.Data[i]))
			d := a / math.Max(1, math.Abs(float64(th.Data[i])))
			worst, abs, big = math.Max(worst, d), math.Max(abs, a), math.Max(big, math.Abs(float64(th.Data[i])))
		}
	}
	return worst
}

// exportCases are the networks of every model their code has, at test
// sizes, with the options that change the layout (inputs, heads, what the
// CB sees).
func exportCases() []struct {
	name string
	c    gm.Config
} {
	small := gm.Options{Inputs: 3, Heads: []int{3, 3}, Hidden: 12, GC: 24, PC: 6}
	with := func(o gm.Options, f func(*gm.Options)) gm.Options { f(&o); return o }
	return []struct {
		name string
		c    gm.Config
	}{
		{"cb-rnn", gm.MustBuild("cb-rnn", small)},
		{"cb-rnn sees hidden", gm.MustBuild("cb-rnn", with(small, func(o *gm.Options) { o.CBSees = gm.SeesHidden }))},
		{"cb-rnn sees input", gm.MustBuild("cb-rnn", with(small, func(o *gm.Options) { o.CBSees = gm.SeesInput }))},
		{"cb-rnn paper size", gm.MustBuild("cb-rnn", gm.Options{})},
		{"rnn", gm.MustBuild("rnn", small)},
		{"cb-compress", gm.MustBuild("cb-compress", small)},
		{"aux-rnn-cb", gm.MustBuild("aux-rnn-cb", small)},
		{"aux-rnn-cb sees hidden", gm.MustBuild("aux-rnn-cb", with(small, func(o *gm.Options) { o.CBSees = gm.SeesHidden }))},
		{"cb-gru", gm.MustBuild("cb-gru", small)},
		{"cb-gru sees input", gm.MustBuild("cb-gru", with(small, func(o *gm.Options) { o.CBSees = gm.SeesInput }))},
		{"cb-gru clipped", func() gm.Config { c := gm.MustBuild("cb-gru", small); c.CB.MaxRatio = 0.05; return c }()}, // the clip acts at every step
		{"gru", gm.MustBuild("gru", small)},
	}
}

// TestExportLoadsIntoPyTorch: cbrnn → a safetensors file in their layout
// with their constructor arguments → PyTorch (load_state_dict strict) →
// the same logits; and PyTorch's torch.save of what it loaded → cbrnn →
// bit-identical weights.
func TestExportLoadsIntoPyTorch(t *testing.T) {
	pytorchtest.Require(t)
	type job struct {
		w         gm.Weights
		b         batch
		out, ckpt string
	}
	cases := exportCases()
	jobs := make([]job, len(cases))
	var argv [][]string
	for i, tc := range cases {
		dir := t.TempDir()
		c := tc.c
		j := job{w: randomWeights(c, uint64(i)), b: newBatch(c, 9, 5, uint64(i)),
			out: filepath.Join(dir, "out.safetensors"), ckpt: filepath.Join(dir, "rnn_N9_N9")}
		meta, err := Metadata(c)
		if err != nil {
			t.Fatal(err)
		}
		file, in := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "in.safetensors")
		if err := safetensors.WriteFile(file, tensorsOf(c, j.w), meta); err != nil {
			t.Fatal(err)
		}
		j.b.write(t, c, in)
		jobs[i] = j
		argv = append(argv, []string{"logits", "--weights", file, "--inputs", in, "--out", j.out, "--save-torch", j.ckpt})
	}
	pytorchtest.RunAll(t, argv)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, j := tc.c, jobs[i]
			d := maxDiff(t, goLogits(t, c, j.w, j.b), pytorchtest.ReadOutputs(t, j.out))
			t.Logf("%s: cbrnn → PyTorch: largest logit difference %.3g (relative to max(1,|logit|))", tc.name, d)
			if d > logitTol {
				t.Errorf("logits differ by %.3g > %g", d, logitTol)
			}
			back, _, err := LoadWeights(j.ckpt, c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, j.w) {
				t.Error("the weights PyTorch saved differ from those cbrnn exported")
			}
		})
	}
}

// TestPyTorchCheckpointIntoCbrnn: a network made in PyTorch in their layout
// and saved as they save it (torch.save({"state_dict": …})) → cbrnn →
// the same logits and the same accuracy.
func TestPyTorchCheckpointIntoCbrnn(t *testing.T) {
	pytorchtest.Require(t)
	type job struct {
		b         batch
		out, ckpt string
	}
	cases := exportCases()
	jobs := make([]job, len(cases))
	var argv [][]string
	for i, tc := range cases {
		dir := t.TempDir()
		k, err := ConstructorFor(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		kw, _ := json.Marshal(k.Kwargs)
		j := job{b: newBatch(tc.c, 11, 64, uint64(100+i)), out: filepath.Join(dir, "out.safetensors"), ckpt: filepath.Join(dir, "rnn_N11_N11")}
		in := filepath.Join(dir, "in.safetensors")
		j.b.write(t, tc.c, in)
		jobs[i] = j
		argv = append(argv, []string{"make", "--class", k.Class, "--kwargs", string(kw), "--seed", fmt.Sprint(i), "--out", j.ckpt, "--inputs", in, "--logits", j.out})
	}
	pytorchtest.RunAll(t, argv)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, j := tc.c, jobs[i]
			if f, _ := torchio.Sniff(j.ckpt); f != torchio.TorchZip {
				t.Fatalf("PyTorch wrote a %v file", f)
			}
			w, meta, err := LoadWeights(j.ckpt, c)
			if err != nil {
				t.Fatal(err)
			}
			if meta != nil {
				t.Errorf("a torch file has no metadata, got %v", meta)
			}
			theirs := pytorchtest.ReadOutputs(t, j.out)
			ours := goLogits(t, c, w, j.b)
			d := maxDiff(t, ours, theirs)
			t.Logf("%s: PyTorch → cbrnn: largest logit difference %.3g (relative to max(1,|logit|))", tc.name, d)
			if d > logitTol {
				t.Errorf("logits differ by %.3g > %g", d, logitTol)
			}
			acc := gm.Accuracy(ours[0], c.Readout.Heads[0], j.b.labels)
			if th := float64(theirs["accuracy"].Data[0]); math.Abs(acc-th) > 1e-6 {
				t.Errorf("accuracy %.4f in cbrnn, %.4f in PyTorch", acc, th)
			}
		})
	}
}
