package gomlxmodels

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
)

// paperCB is the paper's CB-RNN: Elman H64, G256, P64, CB sees input.
var paperCB = MustBuild("cb-rnn", Options{})

// small builds a registered model at test sizes.
func small(name string, o Options) Config { return MustBuild(name, o) }

// withMaxRatio returns c with its GRU CB clip ratio set (a small ratio makes
// the norm clip active).
func withMaxRatio(c Config, r float64) Config {
	cb := *c.CB
	cb.MaxRatio = r
	c.CB = &cb
	return c
}

// Small configs keep these tests fast; they cover every code path of the
// paper's sizes (the golden files pin the arithmetic). Every one of them
// has the fast path.
var smallConfigs = map[string]Config{
	"elman":        small("rnn", Options{Hidden: 5}),
	"elman_cb":     small("cb-rnn", Options{Hidden: 6, GC: 10, PC: 5}),
	"elman_cb_h":   small("cb-rnn", Options{Hidden: 6, GC: 10, PC: 5, CBSees: SeesHidden}),
	"elman_cb_x":   small("cb-rnn", Options{Hidden: 6, GC: 10, PC: 5, CBSees: SeesInput, Inputs: 2}),
	"elman_2heads": small("cb-rnn", Options{Hidden: 6, GC: 8, PC: 4, Inputs: 2, Heads: []int{2, 3}}),
	"gru":          small("gru", Options{Hidden: 5}),
	"gru_cb_clip":  withMaxRatio(small("cb-gru", Options{Hidden: 6, GC: 10, PC: 5}), 0.05),
	"gru_cb":       small("cb-gru", Options{Hidden: 6, GC: 10, PC: 5}),
}

var smallElmanCB = smallConfigs["elman_cb"]

// generalConfigs take the general path only (no hand-written backward).
var generalConfigs = map[string]Config{
	"aux_rnn_cb":  smallAux(),
	"cb_compress": small("cb-compress", Options{Hidden: 6, GC: 10, PC: 5}),
	"sketch":      SeedSketch(Options{Hidden: 5, Inputs: 2, Heads: []int{2}}.WithDefaults(), 3),
	"tanh_cb":     tanhCB(),
	"elman_cb_to_input": func() Config {
		c := small("cb-rnn", Options{Hidden: 6, GC: 10, PC: 5, Inputs: 2})
		c.CB.Target = TargetInput
		return c
	}(),
	"gru_aux_x": func() Config {
		c := smallAux()
		c.Core = GRUCore(6)
		c.CB.Target = TargetInput
		c.CB.Sees = SeesInput
		c.Inputs = 2
		return c
	}(),
}

// smallAux is aux-rnn-cb with a 7-unit auxiliary RNN.
func smallAux() Config {
	c := small("aux-rnn-cb", Options{Hidden: 6})
	c.CB.Layers[0].Width = 7
	return c
}

// tanhCB is the paper's CB on a plain tanh RNN cell (a per-step readout).
func tanhCB() Config {
	c := small("cb-rnn", Options{Hidden: 6, GC: 10, PC: 5, Heads: []int{2, 3}})
	c.Core = Core{Kind: CoreRNN, Hidden: 6, Act: ActTanh}
	c.Readout.PerStep = true
	return c
}

// randomInput draws bits x, an initial state 0.1·U(0,1) and random labels
// (one per trial) for K members with lengths Ts.
func randomInput(c Config, B int, Ts []int, rng *rand.Rand) StepInput {
	K := len(Ts)
	in := StepInput{Input: Input{B: B, T: append([]int(nil), Ts...)}}
	for k := range K {
		x := make([]float32, Ts[k]*B*c.Inputs)
		for i := range x {
			x[i] = float32(rng.IntN(2))
		}
		h0 := make([]float32, B*c.StateWidth())
		for i := range h0 {
			h0[i] = float32(0.1 * rng.Float64())
		}
		in.X = append(in.X, x)
		in.H0 = append(in.H0, h0)
		var labels [][]int32
		for _, C := range c.Readout.Heads {
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

// perStepLabels replaces in's labels by random per-step ones ([T_k, B]).
func perStepLabels(c Config, in StepInput, rng *rand.Rand) StepInput {
	in.PerStep = true
	in.Labels = nil
	for k := range in.X {
		var labels [][]int32
		for _, C := range c.Readout.Heads {
			l := make([]int32, in.T[k]*in.B)
			for j := range l {
				l[j] = int32(rng.IntN(C))
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

// gradients computes loss, the trainable-gradient norm and the raw
// (unclipped) gradients on the given path without updating anything; T = 0
// picks the bucket.
func (e *Ensemble) gradients(in StepInput, T int, path gradPath) (loss, norm []float32, grads []Weights, err error) {
	bt, err := packInput(e.cfg, in.Input, T)
	if err != nil {
		return nil, nil, nil, err
	}
	data, err := e.dataBuffers(bt)
	if err != nil {
		return nil, nil, nil, err
	}
	extra, err := e.stepBuffers(in, bt, PaperOptim())
	if err != nil {
		return nil, nil, nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindGrads, T: bt.T, B: bt.B, path: path, perStep: in.PerStep, full: bt.full, idle: e.idlePasses(in)})
	if err != nil {
		return nil, nil, nil, err
	}
	inputs := append(append(append(append([]compute.Buffer{}, e.params...), e.moms...), data...), extra...)
	donate := make([]bool, len(inputs))
	for i := 2 * len(e.specs); i < len(inputs); i++ {
		donate[i] = true
	}
	outs, err := e.run(cg, inputs, donate)
	if err != nil {
		return nil, nil, nil, err
	}
	loss, norm = make([]float32, e.k), make([]float32, e.k)
	if err := outs[0].ToFlatData(loss); err != nil {
		return nil, nil, nil, err
	}
	if err := outs[1].ToFlatData(norm); err != nil {
		return nil, nil, nil, err
	}
	grads = make([]Weights, e.k)
	for k := range grads {
		grads[k] = Weights{}
	}
	for i, p := range e.specs {
		size := p.Size()
		flat := make([]float32, e.k*size)
		if err := outs[2+i].ToFlatData(flat); err != nil {
			return nil, nil, nil, err
		}
		for k := range e.k {
			grads[k][p.Name] = flat[k*size : (k+1)*size]
		}
	}
	for _, b := range outs {
		_ = b.Finalize()
	}
	return loss, norm, grads, nil
}
