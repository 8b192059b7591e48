package gomlxmodels

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// Ensemble is K networks of one Config trained together: their parameters
// are stacked along a leading member axis and stay on the backend between
// steps; one compiled graph runs forward, backward and the optimiser for
// all K members with batched matmuls, one graph execution per step, with
// the parameter and momentum buffers donated to it. Graphs are compiled
// once per (kind, bucket length, B) (graphs.go).
//
// Gradients come from the hand-written backward pass where the config has
// one (Config.hasFastPath: the paper's networks), else from GoMLX's
// autodiff of the general path (cells.go); UseAutodiff forces the latter.
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
	compileTime time.Duration
	path        gradPath
	isGoBackend bool
	groupMax    int // > 0 overrides memberGroups' group size (tests, benchmarks)

	// parts: the executors of NewEnsembleOn, holding members [partLo[i],
	// partLo[i]+parts[i].k); nil for an ensemble on one backend.
	parts  []*Ensemble
	partLo []int

	lastFLOPs float64 // of the graph the last TrainStep or Eval ran
}

// gradPath is how an ensemble computes: the fast path (hand-written
// backward) or the general path (autodiff).
type gradPath int

const (
	pathFast    gradPath = iota // fastpath_*.go
	pathGeneral                 // cells.go + GoMLX autodiff
)

func (p gradPath) String() string {
	if p == pathFast {
		return "hand-written BPTT"
	}
	return "autodiff"
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
	H0 [][]float32 // per member: the initial state [B, StateWidth]
}

// StepInput is one training batch per member.
type StepInput struct {
	Input
	// Labels[member][head]: one class per trial ([B]), or with PerStep one
	// per step and trial ([T_k, B], time-major).
	Labels [][][]int32
	// PerStep says the labels are per step: the loss is the mean
	// cross-entropy over every step's output (the model must read out at
	// every step). Otherwise only the last step's output is trained.
	PerStep bool
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
	// PerStep asks for every step's logits (a per-step readout only).
	PerStep bool
}

// EvalOutput holds the logits: Logits[member][head] is [B, C] row-major,
// or with PerStep [T_k, B, C].
type EvalOutput struct {
	Logits [][][]float32
}

// NewEnsemble puts K = len(members) networks of config c (validated) on the
// backend, with zero momentum.
func NewEnsemble(backend compute.Backend, c Config, members []Weights) (*Ensemble, error) {
	if backend == nil {
		return nil, errors.New("gomlxmodels: nil backend")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, errors.New("gomlxmodels: an ensemble needs at least one member")
	}
	e := &Ensemble{backend: backend, cfg: c, specs: c.Params(), k: len(members),
		graphs: map[graphKey]*compiledGraph{}, path: pathGeneral,
		isGoBackend: backend.String() == "go"}
	if c.hasFastPath() {
		e.path = pathFast
	}
	for k, w := range members {
		if err := checkWeights(c, e.specs, w); err != nil {
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

// Config is the config of every member.
func (e *Ensemble) Config() Config { return e.cfg }

// UseAutodiff makes the ensemble compute through the general path and
// GoMLX's autodiff even where a hand-written backward pass exists (to
// compare the two, or to time them).
func (e *Ensemble) UseAutodiff() {
	for _, p := range e.parts {
		p.UseAutodiff()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.path = pathGeneral
}

// Gradients says how the ensemble computes its gradients:
// "hand-written BPTT" or "autodiff".
func (e *Ensemble) Gradients() string { return e.path.String() }

// NumCompiled is the number of graphs compiled so far.
func (e *Ensemble) NumCompiled() int {
	if e.parts != nil {
		n, _ := e.partsCompiled()
		return n
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.numCompiled
}

// LastFLOPs is the work of the graph(s) the last TrainStep or Eval ran:
// 2 per multiply-add of their DotGenerals, counted from the compiled
// graphs (padding included), all executors together.
func (e *Ensemble) LastFLOPs() float64 {
	if e.parts != nil {
		var f float64
		for _, p := range e.parts {
			f += p.LastFLOPs()
		}
		return f
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastFLOPs
}

// CompileTime is the total time spent building and compiling graphs (all
// executors together, though they compile at once).
func (e *Ensemble) CompileTime() time.Duration {
	if e.parts != nil {
		_, d := e.partsCompiled()
		return d
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.compileTime
}

func (e *Ensemble) stackedDims(p ParamSpec) []int { return append([]int{e.k}, p.Shape...) }

// checkWeights checks that w has exactly c's parameters, with their sizes.
func checkWeights(c Config, specs []ParamSpec, w Weights) error {
	for _, p := range specs {
		v, ok := w[p.Name]
		if !ok {
			return fmt.Errorf("missing parameter %q", p.Name)
		}
		if len(v) != p.Size() {
			return fmt.Errorf("parameter %q has %d values, want %d (shape %v)", p.Name, len(v), p.Size(), p.Shape)
		}
	}
	if len(w) != len(specs) {
		for name := range w {
			if c.ParamIndex(name) < 0 {
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
	if err := checkWeights(e.cfg, e.specs, w); err != nil {
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
func (e *Ensemble) Weights(k int) (Weights, error) {
	if e.parts != nil {
		p, j, err := e.route(k)
		if err != nil {
			return nil, err
		}
		return p.Weights(j)
	}
	return e.readMember(e.params, k)
}

// SetWeights replaces member k's parameters (its momentum is kept).
func (e *Ensemble) SetWeights(k int, w Weights) error {
	if e.parts != nil {
		p, j, err := e.route(k)
		if err != nil {
			return err
		}
		return p.SetWeights(j, w)
	}
	return e.writeMember(e.params, k, w)
}

// Momentum copies member k's optimiser state (the momentum buffers) to the host.
func (e *Ensemble) Momentum(k int) (Weights, error) {
	if e.parts != nil {
		p, j, err := e.route(k)
		if err != nil {
			return nil, err
		}
		return p.Momentum(j)
	}
	return e.readMember(e.moms, k)
}

// SetMomentum replaces member k's optimiser state, e.g. to resume exactly.
func (e *Ensemble) SetMomentum(k int, m Weights) error {
	if e.parts != nil {
		p, j, err := e.route(k)
		if err != nil {
			return err
		}
		return p.SetMomentum(j, m)
	}
	return e.writeMember(e.moms, k, m)
}

// route finds the executor of member k in a spread ensemble and k's index
// there.
func (e *Ensemble) route(k int) (*Ensemble, int, error) {
	if err := e.checkMember(k); err != nil {
		return nil, 0, err
	}
	p, j := e.part(k)
	return p, j, nil
}
