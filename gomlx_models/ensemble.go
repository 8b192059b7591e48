package gomlxmodels

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// Ensemble is K networks of one Config trained together: their parameters
// are stacked along a leading member axis and stay on the backend between
// steps; one compiled graph runs forward, backward (hand-written BPTT, see
// backward.go) and the optimiser for all K members with batched matmuls,
// one graph execution per step, with the parameter and momentum buffers
// donated to it. Graphs are compiled once per (kind, bucket length, B).
//
// Speed on the Go backend (paper CB-RNN, T=60, B=64, 2-core machine shared
// with other jobs): ~62 ms per step for K=1 and ~56 ms per member-step for
// K=8 when built with GOEXPERIMENT=simd (AVX-512 matmuls); without it ~280
// ms (K=1) and ~140 ms per member-step (K=8). Compilation takes ≤ 0.1 s per
// bucket.
//
// An Ensemble is safe for concurrent use (calls are serialised).
type Ensemble struct {
	backend compute.Backend
	cfg     Config
	specs   []ParamSpec
	k       int

	mu     sync.Mutex
	params []compute.Buffer // [K, shape...] per parameter
	moms   []compute.Buffer // momentum buffers, same shapes

	graphs      map[graphKey]*compiledGraph
	numCompiled int
	isGoBackend bool
	groupMax    int // > 0 overrides memberGroups' group size (tests, benchmarks)
	compileTime time.Duration
	grad        gradMode
}

// defaultGradMode is what new ensembles use.
var defaultGradMode = gradManual

// gradMode picks how TrainStep computes gradients.
type gradMode int

const (
	gradManual   gradMode = iota // hand-written BPTT (default, fastest)
	gradAutodiff                 // GoMLX's reverse-mode autodiff (reference)
)

type graphKind int

const (
	kindTrain graphKind = iota
	kindGrads
	kindEval
	kindDyn
)

type graphKey struct {
	kind graphKind
	T, B int
	mode gradMode
}

type compiledGraph struct {
	g        *Graph
	exec     compute.Executable
	outNames []string // kindDyn: names of the per-step outputs
}

// Array is a host tensor: row-major data with its shape.
type Array struct {
	Shape []int
	Data  []float32
}

// Input is one batch per member; members may have different lengths.
type Input struct {
	B  int
	X  [][]float32 // per member: [T_k, B, I] time-major
	T  []int       // per member T_k
	H0 [][]float32 // per member: [B, H]
}

// StepInput is one training batch per member.
type StepInput struct {
	Input
	// Labels[member][head][B]: class per trial.
	Labels [][][]int32
	// HeadWeight[member][head]: weight of that head's mean cross-entropy in
	// the loss. nil = 1 for every head.
	HeadWeight [][]float32
	// Trainable[member][param index in Params()]: false = frozen (no
	// update, momentum untouched, excluded from the clipping norm);
	// gradients still flow through frozen parameters. nil = all trainable.
	Trainable [][]bool
}

// StepOutput reports one TrainStep per member.
type StepOutput struct {
	Loss     []float64 // before the update
	GradNorm []float64 // global L2 norm of the trainable gradients before clipping
	Skipped  []bool    // loss not finite: update skipped, params & momentum unchanged
}

// EvalInput is one evaluation batch per member.
type EvalInput struct {
	Input
	// CBOn per member; false drops the CB's bias term (ablation). nil = on.
	CBOn []bool
}

// EvalOutput holds the logits: Logits[member][head] is [B, C] row-major.
type EvalOutput struct {
	Logits [][][]float32
}

// NewEnsemble puts K = len(members) networks of config c (defaulted and
// validated) on the backend, with zero momentum.
func NewEnsemble(backend compute.Backend, c Config, members []Weights) (*Ensemble, error) {
	if backend == nil {
		return nil, errors.New("gomlxmodels: nil backend")
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, errors.New("gomlxmodels: an ensemble needs at least one member")
	}
	e := &Ensemble{backend: backend, cfg: c, specs: c.Params(), k: len(members),
		graphs: map[graphKey]*compiledGraph{}, grad: defaultGradMode,
		isGoBackend: backend.String() == "go"}
	for k, w := range members {
		if err := e.checkWeights(w); err != nil {
			return nil, fmt.Errorf("gomlxmodels: member %d: %w", k, err)
		}
	}
	e.params = make([]compute.Buffer, len(e.specs))
	e.moms = make([]compute.Buffer, len(e.specs))
	for i, p := range e.specs {
		size := p.Size()
		flat := make([]float32, e.k*size)
		for k, w := range members {
			copy(flat[k*size:], w[p.Name])
		}
		var err error
		if e.params[i], err = e.newBuffer(flat, e.stackedDims(p)...); err != nil {
			return nil, err
		}
		if e.moms[i], err = e.newBuffer(make([]float32, e.k*size), e.stackedDims(p)...); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// K is the number of members.
func (e *Ensemble) K() int { return e.k }

// Config is the (defaulted) config of every member.
func (e *Ensemble) Config() Config {
	c := e.cfg
	c.Heads = append([]int(nil), c.Heads...)
	return c
}

// NumCompiled is the number of graphs compiled so far.
func (e *Ensemble) NumCompiled() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.numCompiled
}

// CompileTime is the total time spent building and compiling graphs.
func (e *Ensemble) CompileTime() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.compileTime
}

func (e *Ensemble) stackedDims(p ParamSpec) []int { return append([]int{e.k}, p.Shape...) }

func (e *Ensemble) checkWeights(w Weights) error {
	for _, p := range e.specs {
		v, ok := w[p.Name]
		if !ok {
			return fmt.Errorf("missing parameter %q", p.Name)
		}
		if len(v) != p.Size() {
			return fmt.Errorf("parameter %q has %d values, want %d (shape %v)", p.Name, len(v), p.Size(), p.Shape)
		}
	}
	if len(w) != len(e.specs) {
		for name := range w {
			if e.cfg.ParamIndex(name) < 0 {
				return fmt.Errorf("unknown parameter %q for this config", name)
			}
		}
	}
	return nil
}

func (e *Ensemble) newBuffer(flat any, dims ...int) (compute.Buffer, error) {
	var dt dtypes.DType
	switch flat.(type) {
	case []float32:
		dt = dtypes.Float32
	case []int32:
		dt = dtypes.Int32
	default:
		return nil, fmt.Errorf("gomlxmodels: unsupported buffer type %T", flat)
	}
	return e.backend.BufferFromFlatData(0, flat, shapes.Make(dt, dims...))
}

func (e *Ensemble) checkMember(k int) error {
	if k < 0 || k >= e.k {
		return fmt.Errorf("gomlxmodels: member %d out of range [0,%d)", k, e.k)
	}
	return nil
}

// readMember copies member k's slices of the stacked buffers to the host.
func (e *Ensemble) readMember(bufs []compute.Buffer, k int) (Weights, error) {
	if err := e.checkMember(k); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	w := make(Weights, len(e.specs))
	for i, p := range e.specs {
		size := p.Size()
		flat := make([]float32, e.k*size)
		if err := bufs[i].ToFlatData(flat); err != nil {
			return nil, fmt.Errorf("gomlxmodels: reading %s: %w", p.Name, err)
		}
		w[p.Name] = append([]float32(nil), flat[k*size:(k+1)*size]...)
	}
	return w, nil
}

// writeMember replaces member k's slices of the stacked buffers.
func (e *Ensemble) writeMember(bufs []compute.Buffer, k int, w Weights) error {
	if err := e.checkMember(k); err != nil {
		return err
	}
	if err := e.checkWeights(w); err != nil {
		return fmt.Errorf("gomlxmodels: member %d: %w", k, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, p := range e.specs {
		size := p.Size()
		flat := make([]float32, e.k*size)
		if err := bufs[i].ToFlatData(flat); err != nil {
			return fmt.Errorf("gomlxmodels: reading %s: %w", p.Name, err)
		}
		copy(flat[k*size:], w[p.Name])
		nb, err := e.newBuffer(flat, e.stackedDims(p)...)
		if err != nil {
			return err
		}
		_ = bufs[i].Finalize()
		bufs[i] = nb
	}
	return nil
}

// Weights copies member k's parameters back to the host.
func (e *Ensemble) Weights(k int) (Weights, error) { return e.readMember(e.params, k) }

// SetWeights replaces member k's parameters (its momentum is kept).
func (e *Ensemble) SetWeights(k int, w Weights) error { return e.writeMember(e.params, k, w) }

// Momentum copies member k's optimiser state (the momentum buffers) to the host.
func (e *Ensemble) Momentum(k int) (Weights, error) { return e.readMember(e.moms, k) }

// SetMomentum replaces member k's optimiser state, e.g. to resume exactly.
func (e *Ensemble) SetMomentum(k int, m Weights) error { return e.writeMember(e.moms, k, m) }

// getGraph returns the compiled graph for key, building it on first use.
// Must be called with e.mu held.
func (e *Ensemble) getGraph(key graphKey) (cg *compiledGraph, err error) {
	if cg, ok := e.graphs[key]; ok {
		return cg, nil
	}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlxmodels: building graph %+v: %v", key, r)
		}
	}()
	g := NewGraph(e.backend, fmt.Sprintf("cbrnn_%d_T%d_B%d_K%d", key.kind, key.T, key.B, e.k))
	cg = &compiledGraph{g: g}
	var outs []*Node
	switch key.kind {
	case kindTrain, kindGrads:
		outs = e.buildTrain(g, key)
	case kindEval:
		outs = e.buildEval(g, key)
	case kindDyn:
		outs, cg.outNames = e.buildDynamics(g, key)
	}
	if err := g.Compile(outs...); err != nil {
		return nil, err
	}
	cg.exec = g.Executable()
	e.graphs[key] = cg
	e.numCompiled++
	e.compileTime += time.Since(start)
	return cg, nil
}

// run executes a compiled graph, recovering from panics.
func (e *Ensemble) run(cg *compiledGraph, in []compute.Buffer, donate []bool) (out []compute.Buffer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlxmodels: executing %s: %v", cg.g.Name(), r)
		}
	}()
	return cg.exec.Execute(in, donate, 0)
}

// batch is the host-side packing of an Input for one bucket length.
type batch struct {
	T, B int
	x    []float32 // [T, K, I+1, B], front-padded; channel I is the constant 1
	h0   []float32 // [K, H, B]
	mask []float32 // [T, K]: 1 real step, 0 padding
}

// pack validates in and front-pads every member to length T (0 = the
// bucket of the longest member).
func (e *Ensemble) pack(in Input, T int) (*batch, error) {
	if in.B <= 0 {
		return nil, fmt.Errorf("gomlxmodels: batch size must be positive, got %d", in.B)
	}
	if len(in.X) != e.k || len(in.T) != e.k || len(in.H0) != e.k {
		return nil, fmt.Errorf("gomlxmodels: input has %d/%d/%d members (X/T/H0), ensemble has %d",
			len(in.X), len(in.T), len(in.H0), e.k)
	}
	I, H, B := e.cfg.Inputs, e.cfg.Hidden, in.B
	maxT := 0
	for k := range e.k {
		if in.T[k] <= 0 {
			return nil, fmt.Errorf("gomlxmodels: member %d: sequence length must be positive, got %d", k, in.T[k])
		}
		if len(in.X[k]) != in.T[k]*B*I {
			return nil, fmt.Errorf("gomlxmodels: member %d: X has %d values, want T·B·I = %d·%d·%d",
				k, len(in.X[k]), in.T[k], B, I)
		}
		if len(in.H0[k]) != B*H {
			return nil, fmt.Errorf("gomlxmodels: member %d: H0 has %d values, want B·H = %d·%d", k, len(in.H0[k]), B, H)
		}
		maxT = max(maxT, in.T[k])
	}
	if T == 0 {
		T = BucketFor(maxT)
	}
	if T < maxT {
		return nil, fmt.Errorf("gomlxmodels: length %d shorter than the longest member (%d)", T, maxT)
	}
	bt := &batch{T: T, B: B, x: packX(T, e.k, I, B), h0: make([]float32, e.k*H*B), mask: make([]float32, T*e.k)}
	for k := range e.k {
		off := T - in.T[k]
		// [T_k, B, I] → [T, K, I+1, B] at step offset off.
		xk := in.X[k]
		for t := range in.T[k] {
			dst := bt.x[((off+t)*e.k+k)*(I+1)*B:]
			for b := range B {
				for i := range I {
					dst[i*B+b] = xk[(t*B+b)*I+i]
				}
			}
		}
		transposeInto(bt.h0[k*H*B:(k+1)*H*B], in.H0[k], B, H)
		for t := off; t < T; t++ {
			bt.mask[t*e.k+k] = 1
		}
	}
	return bt, nil
}

// dataBuffers uploads x, h0 and mask.
func (e *Ensemble) dataBuffers(bt *batch) ([]compute.Buffer, error) {
	x, err := e.newBuffer(bt.x, bt.T, e.k, e.cfg.Inputs+1, bt.B)
	if err != nil {
		return nil, err
	}
	h0, err := e.newBuffer(bt.h0, e.k, e.cfg.Hidden, bt.B)
	if err != nil {
		return nil, err
	}
	mask, err := e.newBuffer(bt.mask, bt.T, e.k)
	if err != nil {
		return nil, err
	}
	return []compute.Buffer{x, h0, mask}, nil
}

// dataParams declares the graph inputs matching dataBuffers.
func (e *Ensemble) dataParams(g *Graph, K, T, B int) (x, h0, mask *Node) {
	x = Parameter(g, "x", shapes.Make(dtypes.Float32, T, K, e.cfg.Inputs+1, B))
	h0 = Parameter(g, "h0", shapes.Make(dtypes.Float32, K, e.cfg.Hidden, B))
	maskF := Parameter(g, "mask", shapes.Make(dtypes.Float32, T, K))
	mask = GreaterThan(maskF, ScalarZero(g, dtypes.Float32))
	return
}

// stepBuffers packs the training-only inputs: labels per head, head
// weights, trainable flags and the optimiser's hyper-parameters.
func (e *Ensemble) stepBuffers(in StepInput, opt Optim) ([]compute.Buffer, error) {
	nh, np, B := len(e.cfg.Heads), len(e.specs), in.B
	if len(in.Labels) != e.k {
		return nil, fmt.Errorf("gomlxmodels: labels for %d members, ensemble has %d", len(in.Labels), e.k)
	}
	var out []compute.Buffer
	for h := range nh {
		lab := make([]int32, e.k*B)
		for k := range e.k {
			if len(in.Labels[k]) != nh {
				return nil, fmt.Errorf("gomlxmodels: member %d: labels for %d heads, config has %d", k, len(in.Labels[k]), nh)
			}
			if len(in.Labels[k][h]) != B {
				return nil, fmt.Errorf("gomlxmodels: member %d head %d: %d labels, want B=%d", k, h, len(in.Labels[k][h]), B)
			}
			for b, l := range in.Labels[k][h] {
				if l < 0 || int(l) >= e.cfg.Heads[h] {
					return nil, fmt.Errorf("gomlxmodels: member %d head %d trial %d: label %d outside [0,%d)", k, h, b, l, e.cfg.Heads[h])
				}
			}
			copy(lab[k*B:], in.Labels[k][h])
		}
		buf, err := e.newBuffer(lab, e.k, B)
		if err != nil {
			return nil, err
		}
		out = append(out, buf)
	}
	hw := make([]float32, e.k*nh)
	for k := range e.k {
		for h := range nh {
			hw[k*nh+h] = 1
		}
		if in.HeadWeight != nil {
			if len(in.HeadWeight) != e.k || len(in.HeadWeight[k]) != nh {
				return nil, fmt.Errorf("gomlxmodels: HeadWeight must be [%d members][%d heads]", e.k, nh)
			}
			copy(hw[k*nh:], in.HeadWeight[k])
		}
	}
	tr := make([]float32, e.k*np)
	for k := range e.k {
		for i := range np {
			tr[k*np+i] = 1
		}
		if in.Trainable != nil {
			if len(in.Trainable) != e.k || len(in.Trainable[k]) != np {
				return nil, fmt.Errorf("gomlxmodels: Trainable must be [%d members][%d params]", e.k, np)
			}
			for i, v := range in.Trainable[k] {
				if !v {
					tr[k*np+i] = 0
				}
			}
		}
	}
	nest := float32(0)
	if opt.Nesterov {
		nest = 1
	}
	hyper := []float32{float32(opt.LR), float32(opt.Momentum), float32(opt.ClipNorm), nest}
	for _, v := range []struct {
		flat []float32
		dims []int
	}{{hw, []int{e.k, nh}}, {tr, []int{e.k, np}}, {hyper, []int{4}}} {
		buf, err := e.newBuffer(v.flat, v.dims...)
		if err != nil {
			return nil, err
		}
		out = append(out, buf)
	}
	return out, nil
}

// buildTrain builds the train-step graph (kindTrain) or the gradient graph
// used by the tests (kindGrads: outputs loss [K], norm [K], then the raw
// gradients).
//
// Inputs: params…, momentum…, x, h0, mask, labels (per head), headW,
// trainable, hyper. Train outputs: new params…, new momentum…, loss [K],
// grad norm [K], ok [K] (1 = updated, 0 = skipped).
func (e *Ensemble) buildTrain(g *Graph, key graphKey) []*Node {
	n := newNetGraph(g, e.cfg, e.k, key.B, key.T)
	n.exactRelu = key.mode == gradAutodiff
	P := n.addParams("p.")
	M := make([]*Node, len(P))
	for i, p := range e.specs {
		M[i] = Parameter(g, "m."+p.Name, n.paramShape(p))
	}
	x, h0, mask := e.dataParams(g, e.k, key.T, key.B)
	labels := make([]*Node, n.nHeads)
	for h := range labels {
		labels[h] = Parameter(g, fmt.Sprintf("labels.%d", h), shapes.Make(dtypes.Int32, e.k, key.B))
	}
	headW := Parameter(g, "headW", shapes.Make(dtypes.Float32, e.k, n.nHeads))
	trainable := Parameter(g, "trainable", shapes.Make(dtypes.Float32, e.k, len(P)))
	hyper := Parameter(g, "hyper", shapes.Make(dtypes.Float32, 4))

	// The recurrent part runs per group of members (see memberGroups).
	var losses []*Node
	groupGrads := make([][]*Node, len(P))
	for _, gr := range e.memberGroups(key.B) {
		sub := n.sub(gr[0], gr[1])
		sub.prepare(nil)
		hT, trace := sub.forward(forwardInputs{x: sliceK(x, 1, gr), h0: sliceK(h0, 0, gr), mask: sliceK(mask, 1, gr)})
		logits := sub.readout(hT)
		subLabels := make([]*Node, len(labels))
		for h, l := range labels {
			subLabels[h] = sliceK(l, 0, gr)
		}
		loss, parts := sub.loss(logits, subLabels, sliceK(headW, 0, gr))
		var grads []*Node
		if key.mode == gradAutodiff {
			grads = Gradient(ReduceAllSum(loss), sub.P...)
		} else {
			grads = sub.backward(hT, trace, sub.dLogits(parts))
		}
		losses = append(losses, loss)
		for i, gi := range grads {
			groupGrads[i] = append(groupGrads[i], gi)
		}
	}
	loss := concatK(losses)
	grads := make([]*Node, len(P))
	for i := range grads {
		grads[i] = concatK(groupGrads[i])
	}
	norm := n.gradNorm(grads, trainable)
	if key.kind == kindGrads {
		return append([]*Node{loss, norm}, grads...)
	}
	ok := IsFinite(loss)
	newP, newM := n.sgd(P, M, grads, norm, trainable, hyper, ok)
	okF := ConvertDType(ok, dtypes.Float32)
	out := append(newP, newM...)
	return append(out, loss, norm, okF)
}

// TrainStep runs forward, backward and one optimiser step for every member
// on its own batch, in one graph execution. Members are padded to one
// bucket length (front padding with the state held, so results equal the
// unpadded ones).
func (e *Ensemble) TrainStep(in StepInput, opt Optim) (StepOutput, error) {
	bt, err := e.pack(in.Input, 0)
	if err != nil {
		return StepOutput{}, err
	}
	return e.trainStep(in, opt, bt)
}

func (e *Ensemble) trainStep(in StepInput, opt Optim, bt *batch) (StepOutput, error) {
	data, err := e.dataBuffers(bt)
	if err != nil {
		return StepOutput{}, err
	}
	extra, err := e.stepBuffers(in, opt)
	if err != nil {
		return StepOutput{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindTrain, T: bt.T, B: bt.B, mode: e.grad})
	if err != nil {
		return StepOutput{}, err
	}
	np := len(e.specs)
	inputs := make([]compute.Buffer, 0, 2*np+len(data)+len(extra))
	inputs = append(inputs, e.params...)
	inputs = append(inputs, e.moms...)
	inputs = append(inputs, data...)
	inputs = append(inputs, extra...)
	donate := make([]bool, len(inputs))
	for i := range donate {
		donate[i] = true
	}
	outs, err := e.run(cg, inputs, donate)
	if err != nil {
		// The donated parameter buffers may be gone: the ensemble is unusable.
		return StepOutput{}, fmt.Errorf("%w (ensemble state lost)", err)
	}
	copy(e.params, outs[:np])
	copy(e.moms, outs[np:2*np])
	res := outs[2*np:]
	loss, norm, ok := make([]float32, e.k), make([]float32, e.k), make([]float32, e.k)
	for i, dst := range [][]float32{loss, norm, ok} {
		if err := res[i].ToFlatData(dst); err != nil {
			return StepOutput{}, err
		}
		_ = res[i].Finalize()
	}
	out := StepOutput{Loss: make([]float64, e.k), GradNorm: make([]float64, e.k), Skipped: make([]bool, e.k)}
	for k := range e.k {
		out.Loss[k] = float64(loss[k])
		out.GradNorm[k] = float64(norm[k])
		out.Skipped[k] = ok[k] == 0
	}
	return out, nil
}

// gradients computes loss, the trainable-gradient norm and the raw
// (unclipped) gradients without updating anything; T = 0 picks the bucket.
// Used by tests.
func (e *Ensemble) gradients(in StepInput, T int, mode gradMode) (loss, norm []float32, grads []Weights, err error) {
	bt, err := e.pack(in.Input, T)
	if err != nil {
		return nil, nil, nil, err
	}
	data, err := e.dataBuffers(bt)
	if err != nil {
		return nil, nil, nil, err
	}
	extra, err := e.stepBuffers(in, PaperOptim())
	if err != nil {
		return nil, nil, nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindGrads, T: bt.T, B: bt.B, mode: mode})
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

// buildEval: inputs params…, x, h0, mask, cbOn [K]; outputs logits per head.
func (e *Ensemble) buildEval(g *Graph, key graphKey) []*Node {
	n := newNetGraph(g, e.cfg, e.k, key.B, key.T)
	n.addParams("p.")
	x, h0, mask := e.dataParams(g, e.k, key.T, key.B)
	cbOn := Parameter(g, "cbOn", shapes.Make(dtypes.Float32, e.k))
	perHead := make([][]*Node, n.nHeads)
	for _, gr := range e.memberGroups(key.B) {
		sub := n.sub(gr[0], gr[1])
		sub.prepare(sliceK(cbOn, 0, gr))
		hT, _ := sub.forward(forwardInputs{x: sliceK(x, 1, gr), h0: sliceK(h0, 0, gr), mask: sliceK(mask, 1, gr)})
		for i, l := range sub.readout(hT) {
			perHead[i] = append(perHead[i], l)
		}
	}
	logits := make([]*Node, n.nHeads)
	for i := range logits {
		logits[i] = Transpose(concatK(perHead[i]), 1, 2) // [K, B, C]
	}
	return logits
}

// memberGroups splits the members into contiguous groups [lo, hi) whose
// recurrences are built separately in one graph. With SIMD (GOEXPERIMENT=
// simd) the Go backend's small-matrix kernel beats its packed kernel, which
// it switches to for batched matmuls of ≥ 4M multiply-adds and which repacks
// both operands on every call; groups keep every per-step matmul below that
// size (a group's batch still spreads over the cores): measured 3% less CPU
// for K=8. Without SIMD the packed kernel is the faster one (−21% for K=8),
// and other backends compile the batched graph well: one group.
func (e *Ensemble) memberGroups(B int) [][2]int {
	gmax := e.k
	if e.groupMax > 0 {
		gmax = e.groupMax
	} else if e.isGoBackend && simdCompiledIn {
		c := e.cfg
		H, I, G, P := c.Hidden, c.Inputs, c.GC, c.PC
		layer := H * (H + I + 1) // core / GRU gate matmuls
		if c.CB {
			layer = max(layer, (G+1)*(H+I+1), (P+1)*(G+1), H*(G+1))
		}
		gmax = max(1, (goSmallMatMulLimit-1)/(layer*B))
	}
	nGroups := (e.k + gmax - 1) / gmax
	out := make([][2]int, 0, nGroups)
	lo := 0
	for i := range nGroups {
		size := e.k / nGroups
		if i < e.k%nGroups {
			size++
		}
		out = append(out, [2]int{lo, lo + size})
		lo += size
	}
	return out
}

// goSmallMatMulLimit is the Go backend's switch to its packed matmul kernel
// (multiply-adds per DotGeneral).
const goSmallMatMulLimit = 4 * 1024 * 1024

// sliceK takes members [gr[0], gr[1]) along axis; no-op for all members.
func sliceK(x *Node, axis int, gr [2]int) *Node {
	if gr[0] == 0 && gr[1] == x.Shape().Dimensions[axis] {
		return x
	}
	return SliceAxis(x, axis, AxisRange(gr[0], gr[1]))
}

// concatK joins per-group results along the member axis 0.
func concatK(parts []*Node) *Node {
	if len(parts) == 1 {
		return parts[0]
	}
	return Concatenate(parts, 0)
}

// Eval computes every member's logits on its batch (no update).
func (e *Ensemble) Eval(in EvalInput) (EvalOutput, error) {
	return e.eval(in, 0)
}

func (e *Ensemble) eval(in EvalInput, T int) (EvalOutput, error) {
	bt, err := e.pack(in.Input, T)
	if err != nil {
		return EvalOutput{}, err
	}
	data, err := e.dataBuffers(bt)
	if err != nil {
		return EvalOutput{}, err
	}
	on := make([]float32, e.k)
	for k := range on {
		on[k] = 1
		if in.CBOn != nil {
			if len(in.CBOn) != e.k {
				return EvalOutput{}, fmt.Errorf("gomlxmodels: CBOn has %d members, ensemble has %d", len(in.CBOn), e.k)
			}
			if !in.CBOn[k] {
				on[k] = 0
			}
		}
	}
	onBuf, err := e.newBuffer(on, e.k)
	if err != nil {
		return EvalOutput{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindEval, T: bt.T, B: bt.B})
	if err != nil {
		return EvalOutput{}, err
	}
	inputs := append(append(append([]compute.Buffer{}, e.params...), data...), onBuf)
	donate := make([]bool, len(inputs))
	for i := len(e.specs); i < len(inputs); i++ {
		donate[i] = true
	}
	outs, err := e.run(cg, inputs, donate)
	if err != nil {
		return EvalOutput{}, err
	}
	res := EvalOutput{Logits: make([][][]float32, e.k)}
	for k := range res.Logits {
		res.Logits[k] = make([][]float32, len(e.cfg.Heads))
	}
	for h, C := range e.cfg.Heads {
		flat := make([]float32, e.k*bt.B*C)
		if err := outs[h].ToFlatData(flat); err != nil {
			return EvalOutput{}, err
		}
		_ = outs[h].Finalize()
		for k := range e.k {
			res.Logits[k][h] = flat[k*bt.B*C : (k+1)*bt.B*C]
		}
	}
	return res, nil
}

// dynChunk is the longest piece Dynamics runs in one graph; longer inputs
// are run chunk by chunk, carrying the state.
const dynChunk = 128

// buildDynamics: a K=1 forward pass that returns the final state and every
// step's activations. Inputs: params (K=1)…, x, h0, mask, cbOn. The state
// goes in and out as [1, H, B].
func (e *Ensemble) buildDynamics(g *Graph, key graphKey) ([]*Node, []string) {
	n := newNetGraph(g, e.cfg, 1, key.B, key.T)
	n.addParams("p.")
	x, h0, mask := e.dataParams(g, 1, key.T, key.B)
	cbOn := Parameter(g, "cbOn", shapes.Make(dtypes.Float32, 1))
	n.prepare(cbOn)
	hT, trace := n.forward(forwardInputs{x: x, h0: h0, mask: mask})
	collect := func(get func(*stepTrace) *Node, width int) *Node {
		steps := make([]*Node, len(trace))
		for t := range trace {
			steps[t] = get(&trace[t])
		}
		all := Stack(steps, 0) // [T, 1, W(+1), B]
		if all.Shape().Dimensions[2] != width {
			all = Slice(all, AxisRange(), AxisRange(), AxisRange(0, width))
		}
		return Transpose(all, 2, 3) // [T, 1, B, W]
	}
	H := e.cfg.Hidden
	outs := []*Node{hT, collect(func(s *stepTrace) *Node { return s.h }, H)}
	names := []string{"hidden"}
	if e.cfg.CB {
		outs = append(outs,
			collect(func(s *stepTrace) *Node { return s.gcA }, e.cfg.GC),
			collect(func(s *stepTrace) *Node { return s.pcA }, e.cfg.PC),
			collect(func(s *stepTrace) *Node { return s.cb }, H))
		names = append(names, "gc", "pc", "cb_bias")
	}
	if e.cfg.Core == CoreGRU {
		outs = append(outs,
			collect(func(s *stepTrace) *Node { return s.z }, H),
			collect(func(s *stepTrace) *Node { return s.r }, H))
		names = append(names, "z", "r")
	}
	return outs, names
}

// Dynamics runs member k on x ([t, b, I] time-major) from h0 ([b, H]) and
// returns its activations per step: "hidden" [t,b,H], and with the CB "gc"
// [t,b,G], "pc" [t,b,P], "cb_bias" [t,b,H] (the bias actually added, i.e.
// after the GRU's norm scaling; zero with cbOn false), and for the GRU the
// gates "z", "r" [t,b,H]. Long inputs run in chunks of up to 128 steps.
func (e *Ensemble) Dynamics(k int, x []float32, t, b int, h0 []float32, cbOn bool) (map[string]Array, error) {
	if err := e.checkMember(k); err != nil {
		return nil, err
	}
	I, H := e.cfg.Inputs, e.cfg.Hidden
	if t <= 0 || b <= 0 || len(x) != t*b*I || len(h0) != b*H {
		return nil, fmt.Errorf("gomlxmodels: Dynamics wants x [t=%d, b=%d, I=%d] and h0 [b, H=%d], got %d and %d values",
			t, b, I, H, len(x), len(h0))
	}
	w, err := e.Weights(k)
	if err != nil {
		return nil, err
	}
	chunk := BucketFor(t)
	if t > dynChunk {
		chunk = dynChunk
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindDyn, T: chunk, B: b})
	if err != nil {
		return nil, err
	}
	// Upload member k's weights once.
	pbufs := make([]compute.Buffer, len(e.specs))
	for i, p := range e.specs {
		if pbufs[i], err = e.newBuffer(append([]float32(nil), w[p.Name]...), append([]int{1}, p.Shape...)...); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, pb := range pbufs {
			_ = pb.Finalize()
		}
	}()
	on := float32(0)
	if cbOn {
		on = 1
	}
	widths := map[string]int{"hidden": H, "gc": e.cfg.GC, "pc": e.cfg.PC, "cb_bias": H, "z": H, "r": H}
	res := map[string]Array{}
	for _, name := range cg.outNames {
		res[name] = Array{Shape: []int{t, b, widths[name]}, Data: make([]float32, t*b*widths[name])}
	}
	h := make([]float32, H*b) // [H, b]
	transposeInto(h, h0, b, H)
	for start := 0; start < t; start += chunk {
		steps := min(chunk, t-start)
		// The last chunk is back-padded: padded steps hold the state and
		// their outputs are dropped.
		xc := packX(chunk, 1, I, b) // [chunk, 1, I+1, b]
		for t := range steps {
			for bb := range b {
				for i := range I {
					xc[(t*(I+1)+i)*b+bb] = x[((start+t)*b+bb)*I+i]
				}
			}
		}
		mask := make([]float32, chunk)
		for i := range steps {
			mask[i] = 1
		}
		bufs := make([]compute.Buffer, 0, 4)
		for _, v := range []struct {
			flat []float32
			dims []int
		}{{xc, []int{chunk, 1, I + 1, b}}, {h, []int{1, H, b}}, {mask, []int{chunk, 1}}, {[]float32{on}, []int{1}}} {
			buf, err := e.newBuffer(append([]float32(nil), v.flat...), v.dims...)
			if err != nil {
				return nil, err
			}
			bufs = append(bufs, buf)
		}
		inputs := append(append([]compute.Buffer{}, pbufs...), bufs...)
		donate := make([]bool, len(inputs))
		for i := len(pbufs); i < len(inputs); i++ {
			donate[i] = true
		}
		outs, err := e.run(cg, inputs, donate)
		if err != nil {
			return nil, err
		}
		if err := outs[0].ToFlatData(h); err != nil {
			return nil, err
		}
		for j, name := range cg.outNames {
			wd := widths[name]
			flat := make([]float32, chunk*b*wd)
			if err := outs[1+j].ToFlatData(flat); err != nil {
				return nil, err
			}
			copy(res[name].Data[start*b*wd:], flat[:steps*b*wd])
		}
		for _, o := range outs {
			_ = o.Finalize()
		}
	}
	return res, nil
}

// transposeInto writes src [rows, cols] transposed into dst [cols, rows].
func transposeInto(dst, src []float32, rows, cols int) {
	for r := range rows {
		for c := range cols {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
}

// packX returns a zeroed [T, K, I+1, B] input buffer whose channel I is 1.
func packX(T, K, I, B int) []float32 {
	x := make([]float32, T*K*(I+1)*B)
	for tk := range T * K {
		ones := x[(tk*(I+1)+I)*B : (tk*(I+1)+I+1)*B]
		for b := range ones {
			ones[b] = 1
		}
	}
	return x
}
