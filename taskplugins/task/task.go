package task

import (
	"context"
	"fmt"
	"math"
)

// Split separates the training stream from the test stream. The two never
// share a batch: the split is part of every batch's seed.
type Split int32

const (
	Train Split = 0
	Test  Split = 1
)

func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	}
	return fmt.Sprintf("split(%d)", int32(s))
}

// LabelKind says where a task's labels live in time.
type LabelKind int32

const (
	// LastStep labels are one class per trial, read out on the last step
	// (every task of the paper).
	LastStep LabelKind = 0
	// PerStep labels are one class per trial and step (for future tasks).
	PerStep LabelKind = 1
)

// Param is one option a task takes, with its default, e.g. the fixed-pool
// seed or the active task of task switching.
type Param struct {
	Key, Default, Help string
	// Domain is the values the task accepts (nil: any text); requests with
	// others are refused before the generator runs. It is checked where the
	// generator runs and does not travel over the wire.
	Domain *Domain
}

// Description is what a task declares about itself (the Describe RPC).
type Description struct {
	Name       string
	Version    string
	Summary    string // one line
	Inputs     int    // input channels I
	Heads      []int  // classes per readout head
	HeadNames  []string
	MinN, MaxN int
	Labels     LabelKind
	Params     []Param
	// MinT and MaxT bound the sequence length for a given N: the host
	// rejects a batch outside them. Expressed as T ∈ [MinTMul·N+MinTAdd, MaxTMul·N+MaxTAdd].
	MinTMul, MinTAdd, MaxTMul, MaxTAdd int
}

// TBounds returns the declared bounds of T for N.
func (d Description) TBounds(n int) (lo, hi int) {
	return d.MinTMul*n + d.MinTAdd, d.MaxTMul*n + d.MaxTAdd
}

// Request names one batch. Everything that decides the batch's content is
// here, so the same Request gives the same bytes from any process.
type Request struct {
	Task   string
	Params map[string]string
	N      int
	B      int
	Seed   uint64
	Index  uint64 // position of the batch in its stream
	Split  Split
}

func (r Request) String() string {
	return fmt.Sprintf("%s{N=%d B=%d seed=%d index=%d split=%s params=%v}",
		r.Task, r.N, r.B, r.Seed, r.Index, r.Split, r.Params)
}

// Batch is one batch of trials, time-major.
type Batch struct {
	T, B, I int
	X       []float32 // [T, B, I], row-major
	Labels  [][]int32 // [heads][B] for LastStep; [heads][T*B] for PerStep
}

// At returns x[t, b, i].
func (b *Batch) At(t, bi, i int) float32 { return b.X[(t*b.B+bi)*b.I+i] }

// Validate checks a batch against the task's declaration and the request
// that produced it; the error says what is wrong.
func (b *Batch) Validate(d Description, r Request) error {
	if b.B != r.B {
		return fmt.Errorf("batch size %d, requested %d", b.B, r.B)
	}
	if b.I != d.Inputs {
		return fmt.Errorf("%d input channels, task declares %d", b.I, d.Inputs)
	}
	lo, hi := d.TBounds(r.N)
	if b.T < lo || b.T > hi {
		return fmt.Errorf("T=%d outside the declared bounds [%d, %d] for N=%d", b.T, lo, hi, r.N)
	}
	if len(b.X) != b.T*b.B*b.I {
		return fmt.Errorf("x has %d values, want T·B·I = %d·%d·%d = %d", len(b.X), b.T, b.B, b.I, b.T*b.B*b.I)
	}
	for j, v := range b.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("x[%d] = %v is not finite", j, v)
		}
	}
	if len(b.Labels) != len(d.Heads) {
		return fmt.Errorf("%d label heads, task declares %d", len(b.Labels), len(d.Heads))
	}
	want := b.B
	if d.Labels == PerStep {
		want = b.T * b.B
	}
	for h, ls := range b.Labels {
		if len(ls) != want {
			return fmt.Errorf("head %d has %d labels, want %d", h, len(ls), want)
		}
		for j, l := range ls {
			if l < 0 || int(l) >= d.Heads[h] {
				return fmt.Errorf("head %d label[%d] = %d outside [0, %d)", h, j, l, d.Heads[h])
			}
		}
	}
	return nil
}

// Source serves batches by request. The plugin host is the real one; the
// trainer depends on this interface alone, so it never knows (or cares)
// whether a batch came from Go, Python or a file.
type Source interface {
	Describe(ctx context.Context, name string) (Description, error)
	Batch(ctx context.Context, r Request) (*Batch, error)
}
