package gomlxmodels

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// Host-side packing of batches into the graphs' inputs: one routine for
// training, evaluation and dynamics.

// batch is an Input packed for one bucket length T.
type batch struct {
	T, B, K int
	x       []float32 // [T, K, I+1, B], front-padded; channel I is the constant 1 (the fast path's folded biases)
	h0      []float32 // [K, S, B]: the initial state, feature-major
	mask    []float32 // [T, K]: 1 real step, 0 padding (the state is held)
	off     []int     // per member: its first real step, T − T_k
	full    bool      // no member is padded (off all 0)
}

// packInput validates in against c and front-pads every member to length T
// (0 = the bucket of the longest member). Front padding with the state held
// leaves every member's result exactly what it would be unpadded.
func packInput(c Config, in Input, T int) (*batch, error) {
	K := len(in.X)
	if in.B <= 0 {
		return nil, fmt.Errorf("gomlxmodels: batch size must be positive, got %d", in.B)
	}
	if K == 0 || len(in.T) != K || len(in.H0) != K {
		return nil, fmt.Errorf("gomlxmodels: input has %d/%d/%d members (X/T/H0)", K, len(in.T), len(in.H0))
	}
	I, S, B := c.Inputs, c.StateWidth(), in.B
	maxT := 0
	for k := range K {
		if in.T[k] <= 0 {
			return nil, fmt.Errorf("gomlxmodels: member %d: sequence length must be positive, got %d", k, in.T[k])
		}
		if len(in.X[k]) != in.T[k]*B*I {
			return nil, fmt.Errorf("gomlxmodels: member %d: X has %d values, want T·B·I = %d·%d·%d",
				k, len(in.X[k]), in.T[k], B, I)
		}
		if len(in.H0[k]) != B*S {
			return nil, fmt.Errorf("gomlxmodels: member %d: H0 has %d values, want B·S = %d·%d (the state width)", k, len(in.H0[k]), B, S)
		}
		maxT = max(maxT, in.T[k])
	}
	if T == 0 {
		T = BucketFor(maxT)
	}
	if T < maxT {
		return nil, fmt.Errorf("gomlxmodels: length %d shorter than the longest member (%d)", T, maxT)
	}
	bt := &batch{T: T, B: B, K: K, x: packX(T, K, I, B), h0: make([]float32, K*S*B), mask: make([]float32, T*K), off: make([]int, K), full: true}
	for k := range K {
		off := T - in.T[k]
		bt.off[k] = off
		bt.full = bt.full && off == 0
		// [T_k, B, I] → [T, K, I+1, B] at step offset off.
		xk := in.X[k]
		for t := range in.T[k] {
			dst := bt.x[((off+t)*K+k)*(I+1)*B:]
			for b := range B {
				for i := range I {
					dst[i*B+b] = xk[(t*B+b)*I+i]
				}
			}
		}
		transposeInto(bt.h0[k*S*B:(k+1)*S*B], in.H0[k], B, S)
		for t := off; t < T; t++ {
			bt.mask[t*K+k] = 1
		}
	}
	return bt, nil
}

// dataBuffers uploads x, h0 and mask.
func (e *Ensemble) dataBuffers(bt *batch) ([]compute.Buffer, error) {
	x, err := e.newBuffer(bt.x, bt.T, bt.K, e.cfg.Inputs+1, bt.B)
	if err != nil {
		return nil, err
	}
	h0, err := e.newBuffer(bt.h0, bt.K, e.cfg.StateWidth(), bt.B)
	if err != nil {
		return nil, err
	}
	mask, err := e.newBuffer(bt.mask, bt.T, bt.K)
	if err != nil {
		return nil, err
	}
	return []compute.Buffer{x, h0, mask}, nil
}

// dataParams declares the graph inputs matching dataBuffers. With full (no
// member padded) the mask input is left unused and the graph has no masks.
func (e *Ensemble) dataParams(g *Graph, K, T, B int, full bool) forwardInputs {
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, T, K, e.cfg.Inputs+1, B))
	h0 := Parameter(g, "h0", shapes.Make(dtypes.Float32, K, e.cfg.StateWidth(), B))
	maskF := Parameter(g, "mask", shapes.Make(dtypes.Float32, T, K))
	in := forwardInputs{x: x, h0: h0}
	if !full {
		in.mask = GreaterThan(maskF, ScalarZero(g, dtypes.Float32))
	}
	return in
}

// stepBuffers packs the training-only inputs: labels per head (with
// PerStep, then the per-output loss weights), head weights, trainable flags
// and the optimiser's hyper-parameters.
func (e *Ensemble) stepBuffers(in StepInput, bt *batch, opt Optim) ([]compute.Buffer, error) {
	nh, np, B := len(e.cfg.Readout.Heads), len(e.specs), in.B
	if len(in.Labels) != e.k {
		return nil, fmt.Errorf("gomlxmodels: labels for %d members, ensemble has %d", len(in.Labels), e.k)
	}
	if in.PerStep && !e.cfg.Readout.PerStep {
		return nil, fmt.Errorf("gomlxmodels: per-step labels need a per-step readout (this model reads out on the last step)")
	}
	cols := B // label columns per member
	if in.PerStep {
		cols = bt.T * B
	}
	var out []compute.Buffer
	for h := range nh {
		lab := make([]int32, e.k*cols)
		for k := range e.k {
			if len(in.Labels[k]) != nh {
				return nil, fmt.Errorf("gomlxmodels: member %d: labels for %d heads, config has %d", k, len(in.Labels[k]), nh)
			}
			want := B
			if in.PerStep {
				want = in.T[k] * B
			}
			ls := in.Labels[k][h]
			if len(ls) != want {
				return nil, fmt.Errorf("gomlxmodels: member %d head %d: %d labels, want %d", k, h, len(ls), want)
			}
			for j, l := range ls {
				if l < 0 || int(l) >= e.cfg.Readout.Heads[h] {
					return nil, fmt.Errorf("gomlxmodels: member %d head %d label %d: class %d outside [0,%d)", k, h, j, l, e.cfg.Readout.Heads[h])
				}
			}
			// Per-step labels sit at the member's real steps (front padding).
			start := 0
			if in.PerStep {
				start = bt.off[k] * B
			}
			copy(lab[k*cols+start:], ls)
		}
		buf, err := e.newBuffer(lab, e.k, cols)
		if err != nil {
			return nil, err
		}
		out = append(out, buf)
	}
	if in.PerStep {
		weight := make([]float32, e.k*cols)
		for k := range e.k {
			w := 1 / float32(in.T[k]*B)
			for j := bt.off[k] * B; j < cols; j++ {
				weight[k*cols+j] = w
			}
		}
		buf, err := e.newBuffer(weight, e.k, cols)
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
	// Each parameter's learning rate (Optim.RateOf its group), 0 = frozen.
	tr := make([]float32, e.k*np)
	for k := range e.k {
		for i := range np {
			tr[k*np+i] = float32(opt.RateOf(e.specs[i].Group))
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
