package gomlxmodels

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute"
)

// An ensemble spread over executors: its members are split into contiguous
// parts, each an Ensemble of its own on its own backend (compiled graphs,
// parameter buffers), and every call runs the parts at once, one goroutine
// each. On the Go backend an executor is a single-threaded backend
// (NewExecutors), so n executors keep n cores busy on one ensemble; its
// non-matmul ops, which a multi-threaded backend runs on one core, then run
// on all of them. Each part pads its batch to the bucket of its own longest
// member. A member's numbers are those it gets alone (exact.go), so the
// split changes the speed, never the results.

// NewEnsembleOn puts K = len(members) networks of config c on the
// executors, ⌈K/n⌉ or ⌊K/n⌋ consecutive members each (n = len(backends),
// at most K). One backend is NewEnsemble.
func NewEnsembleOn(backends []compute.Backend, c Config, members []Weights) (*Ensemble, error) {
	if len(backends) == 0 {
		return nil, errors.New("gomlxmodels: no executor backends")
	}
	n := min(len(backends), len(members))
	if n <= 1 {
		return NewEnsemble(backends[0], c, members)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	specs := c.Params()
	for k, w := range members {
		if err := checkWeights(c, specs, w); err != nil {
			return nil, fmt.Errorf("gomlxmodels: member %d: %w", k, err)
		}
	}
	e := &Ensemble{backend: backends[0], cfg: c, specs: specs, k: len(members), path: pathGeneral,
		isGoBackend: backends[0].String() == "go"}
	if c.hasFastPath() {
		e.path = pathFast
	}
	lo := 0
	for i := range n {
		size := e.k / n
		if i < e.k%n {
			size++
		}
		p, err := NewEnsemble(backends[i], c, members[lo:lo+size])
		if err != nil {
			return nil, err
		}
		e.parts = append(e.parts, p)
		e.partLo = append(e.partLo, lo)
		lo += size
	}
	return e, nil
}

// part returns the executor holding member k and k's index there.
func (e *Ensemble) part(k int) (*Ensemble, int) {
	i := len(e.partLo) - 1
	for i > 0 && e.partLo[i] > k {
		i--
	}
	return e.parts[i], k - e.partLo[i]
}

// partRange is the members [lo, hi) of executor i.
func (e *Ensemble) partRange(i int) (lo, hi int) {
	return e.partLo[i], e.partLo[i] + e.parts[i].k
}

// eachPart runs f on every executor at once and returns the first error.
func (e *Ensemble) eachPart(f func(i int, p *Ensemble, lo, hi int) error) error {
	errs := make([]error, len(e.parts))
	var wg sync.WaitGroup
	for i, p := range e.parts {
		lo, hi := e.partRange(i)
		wg.Go(func() { errs[i] = f(i, p, lo, hi) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// subInput is members [lo, hi) of in.
func subInput(in Input, lo, hi int) Input {
	return Input{B: in.B, X: in.X[lo:hi], T: in.T[lo:hi], H0: in.H0[lo:hi]}
}

func (e *Ensemble) checkInputMembers(in Input) error {
	if len(in.X) != e.k || len(in.T) != e.k || len(in.H0) != e.k {
		return fmt.Errorf("gomlxmodels: input has %d/%d/%d members (X/T/H0), ensemble has %d", len(in.X), len(in.T), len(in.H0), e.k)
	}
	return nil
}

func (e *Ensemble) trainParts(in StepInput, opt Optim) (StepOutput, error) {
	if err := e.checkInputMembers(in.Input); err != nil {
		return StepOutput{}, err
	}
	for what, n := range map[string]int{"labels": len(in.Labels), "HeadWeight": len(in.HeadWeight), "Trainable": len(in.Trainable)} {
		if (what == "labels" || n != 0) && n != e.k {
			return StepOutput{}, fmt.Errorf("gomlxmodels: %s for %d members, ensemble has %d", what, n, e.k)
		}
	}
	out := StepOutput{Loss: make([]float64, e.k), GradNorm: make([]float64, e.k), Skipped: make([]bool, e.k)}
	err := e.eachPart(func(_ int, p *Ensemble, lo, hi int) error {
		sub := StepInput{Input: subInput(in.Input, lo, hi), Labels: in.Labels[lo:hi], PerStep: in.PerStep}
		if in.HeadWeight != nil {
			sub.HeadWeight = in.HeadWeight[lo:hi]
		}
		if in.Trainable != nil {
			sub.Trainable = in.Trainable[lo:hi]
		}
		o, err := p.TrainStep(sub, opt)
		if err != nil {
			return fmt.Errorf("members %d–%d: %w", lo, hi-1, err)
		}
		copy(out.Loss[lo:], o.Loss)
		copy(out.GradNorm[lo:], o.GradNorm)
		copy(out.Skipped[lo:], o.Skipped)
		return nil
	})
	return out, err
}

func (e *Ensemble) evalParts(in EvalInput, T int) (EvalOutput, error) {
	if err := e.checkInputMembers(in.Input); err != nil {
		return EvalOutput{}, err
	}
	if in.CBOn != nil && len(in.CBOn) != e.k {
		return EvalOutput{}, fmt.Errorf("gomlxmodels: CBOn has %d members, ensemble has %d", len(in.CBOn), e.k)
	}
	res := EvalOutput{Logits: make([][][]float32, e.k)}
	err := e.eachPart(func(_ int, p *Ensemble, lo, hi int) error {
		sub := EvalInput{Input: subInput(in.Input, lo, hi), PerStep: in.PerStep}
		if in.CBOn != nil {
			sub.CBOn = in.CBOn[lo:hi]
		}
		o, err := p.eval(sub, T)
		if err != nil {
			return fmt.Errorf("members %d–%d: %w", lo, hi-1, err)
		}
		copy(res.Logits[lo:], o.Logits)
		return nil
	})
	return res, err
}

// Executors is the number of executors the members are spread over.
func (e *Ensemble) Executors() int { return max(1, len(e.parts)) }

// Layout says how the ensemble computes, for a run's provenance: the
// executors and their members, the member groups, the backend and its
// matmul kernels, and whether a member's numbers are independent of all
// that. Example: "2 executor(s) × members [4 4], one group each; go
// backend, avx512 kernels; per-member results independent of the layout".
func (e *Ensemble) Layout() string {
	parts := e.parts
	if parts == nil {
		parts = []*Ensemble{e}
	}
	var sizes []string
	for _, p := range parts {
		sizes = append(sizes, fmt.Sprint(p.k))
	}
	groups := "one group each"
	switch p := e.dotPolicy(); {
	case e.groupMax > 0:
		groups = fmt.Sprintf("groups of at most %d", e.groupMax)
	case e.path == pathGeneral && p != nil && p.batch:
		groups = "groups small enough to keep each member on its own matmul kernels (autodiff)"
	}
	s := fmt.Sprintf("%d executor(s) × members [%s], %s; %s backend", len(parts),
		strings.Join(sizes, " "), groups, e.backend.String())
	if e.isGoBackend {
		s += ", " + goMatmulKernels() + " kernels; per-member results independent of the layout"
	} else {
		s += "; per-member results may change with the layout at round-off"
	}
	return s
}

func (e *Ensemble) partsCompiled() (n int, d time.Duration) {
	for _, p := range e.parts {
		n += p.NumCompiled()
		d += p.CompileTime()
	}
	return n, d
}
