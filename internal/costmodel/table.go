package costmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// Table is a cost table kept in a file: the step costs of one reference
// ensemble on one backend, per bucket length, and where they come from, so
// that a plan made on a login node can price ensembles that run elsewhere.
// `cbrnn bench --estimate --save-costs FILE` writes a measured one;
// GPUAssumption builds one from a single published figure.
type Table struct {
	Backend string `json:"backend"` // what ran, in words
	// Source says how the numbers were obtained: "measured …" or
	// "ASSUMPTION: …". Plans print it next to every price.
	Source  string `json:"source"`
	Model   string `json:"model"`   // the reference model (bench's name)
	Params  int    `json:"params"`  // its trainable parameters
	Members int    `json:"members"` // K of the reference ensemble
	Batch   int    `json:"batch"`   // B of the reference batches
	// MemberCost is what each member beyond (or short of) Members adds to
	// (or takes from) a step, as a fraction of the reference step: 1/Members
	// where a step costs in proportion to its members (the Go backend runs
	// them one after another), less on an accelerator that batches them.
	MemberCost float64 `json:"member_cost"`
	// BatchScale, where measured, is a step's cost at other batch sizes
	// as a fraction of the step at Batch. Without it a step is priced in
	// proportion to its batch, which the Go backend is not at these sizes:
	// its small products cost nearly as much at 16 trials as at 32 (on
	// this machine a batch of 16 took 0.73 of the step at 64, a batch of
	// 32 0.64, not 0.25 and 0.5), and a plan that halved the price with
	// the batch underpriced the standard profile's runs about 2.3 times.
	BatchScale []BatchFactor `json:"batch_scale,omitempty"`
	Buckets    []BucketCosts `json:"buckets"`
}

// BatchFactor is one measured batch size's step cost, as a fraction of the
// step at the table's Batch.
type BatchFactor struct {
	Batch  int     `json:"batch"`
	Factor float64 `json:"factor"`
}

// batchFactor is the step cost at batch b as a fraction of the step at
// t.Batch: b/t.Batch without BatchScale; with it, interpolated linearly
// between the measured sizes (t.Batch itself being 1), the smallest
// measured size's factor below it (a smaller batch was not measured to be
// cheaper) and in proportion to the batch above the largest.
func (t Table) batchFactor(b int) float64 {
	if len(t.BatchScale) == 0 {
		return float64(b) / float64(t.Batch)
	}
	pts := append([]BatchFactor{{Batch: t.Batch, Factor: 1}}, t.BatchScale...)
	sort.Slice(pts, func(i, j int) bool { return pts[i].Batch < pts[j].Batch })
	if b <= pts[0].Batch {
		return pts[0].Factor
	}
	for i := 1; i < len(pts); i++ {
		if lo, hi := pts[i-1], pts[i]; b <= hi.Batch {
			return lo.Factor + (hi.Factor-lo.Factor)*float64(b-lo.Batch)/float64(hi.Batch-lo.Batch)
		}
	}
	last := pts[len(pts)-1]
	return last.Factor * float64(b) / float64(last.Batch)
}

// BucketCosts is one bucket length's measured costs.
type BucketCosts struct {
	T        int     `json:"t"`
	TrainMS  float64 `json:"train_ms"`  // one training step of the ensemble
	EvalMS   float64 `json:"eval_ms"`   // one test step
	CompileS float64 `json:"compile_s"` // compiling both graphs
}

// NewTable records measured Costs of a reference ensemble.
func NewTable(backend, source, model string, params, members, batch int, memberCost float64, c Costs) Table {
	t := Table{Backend: backend, Source: source, Model: model, Params: params, Members: members, Batch: batch, MemberCost: memberCost}
	for _, b := range c.Buckets() {
		sc := c[b]
		t.Buckets = append(t.Buckets, BucketCosts{T: b, TrainMS: ms64(sc.Train), EvalMS: ms64(sc.Eval), CompileS: sc.Compile.Seconds()})
	}
	return t
}

// Validate reports the first thing wrong with a table.
func (t Table) Validate() error {
	switch {
	case t.Source == "":
		return errors.New("cost table: no source (measured how, or assumed why?)")
	case t.Params <= 0 || t.Members <= 0 || t.Batch <= 0:
		return fmt.Errorf("cost table: params %d, members %d and batch %d must be positive", t.Params, t.Members, t.Batch)
	case t.MemberCost < 0:
		return fmt.Errorf("cost table: member_cost %g is negative", t.MemberCost)
	case len(t.Buckets) == 0:
		return errors.New("cost table: no buckets")
	}
	for _, f := range t.BatchScale {
		if f.Batch <= 0 || f.Batch == t.Batch || f.Factor <= 0 {
			return fmt.Errorf("cost table: batch_scale %+v needs a positive batch other than %d and a positive factor", f, t.Batch)
		}
	}
	for _, b := range t.Buckets {
		if b.T <= 0 || b.TrainMS <= 0 || b.EvalMS < 0 || b.CompileS < 0 {
			return fmt.Errorf("cost table: bucket %+v has a non-positive length or step time", b)
		}
	}
	return nil
}

// For returns the table's costs scaled to an ensemble of members networks
// of params trainable parameters at batch size batch. A step's work is
// matrix products over parameters × trials, so it scales with params and
// with the batch as BatchScale measured (batchFactor); members scale by
// MemberCost. Compilation is not scaled. This is
// an estimate for ensembles other than the reference one, and says so
// nowhere else: plans print the table's source.
func (t Table) For(params, members, batch int) (Costs, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if params <= 0 || members <= 0 || batch <= 0 {
		return nil, fmt.Errorf("cost table: cannot price %d members of %d parameters at batch %d", members, params, batch)
	}
	scale := float64(params) / float64(t.Params) * t.batchFactor(batch) *
		math.Max(1+t.MemberCost*float64(members-t.Members), t.MemberCost)
	c := Costs{}
	for _, b := range t.Buckets {
		c[b.T] = StepCost{
			Train:   time.Duration(b.TrainMS * scale * float64(time.Millisecond)),
			Eval:    time.Duration(b.EvalMS * scale * float64(time.Millisecond)),
			Compile: time.Duration(b.CompileS * float64(time.Second)),
		}
	}
	return c, nil
}

// LoadTable reads a table written by SaveTable.
func LoadTable(path string) (Table, error) {
	var t Table
	b, err := os.ReadFile(path)
	if err != nil {
		return t, fmt.Errorf("cost table: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("cost table %s: %w", path, err)
	}
	if err := t.Validate(); err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// SaveTable writes a table as indented JSON.
func SaveTable(path string, t Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	sort.Slice(t.Buckets, func(i, j int) bool { return t.Buckets[i].T < t.Buckets[j].T })
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// METHODS §7's one GPU measurement: a training step of the paper's CB-RNN
// (41,922 parameters) at T = 60, B = 64 took 4.3 ms on an H200 with XLA, and
// 6.7 ms at B = 512 (eight times the trials).
const (
	h200StepMS      = 4.3
	h200StepMS512   = 6.7
	h200RefT        = 60
	h200RefParams   = 41922
	h200CompileRefS = 12 // RECIPES: first compile of a T = 60 training graph
)

// GPUAssumption is a cost table for one H200 built from METHODS §7's single
// measurement, not measured per bucket. Its assumptions, each stated in its
// Source: a step's time grows in proportion to the sequence length (the
// recurrence runs step after step); a test step costs a third of a training
// step (the ratio the Go backend measures); each extra member adds what the
// B = 512 measurement says eight times the trials add, (6.7/4.3 − 1)/7 of a
// step; compiling both graphs of a bucket takes 12 s per 60 steps of length.
// Measure instead with `cbrnn bench --estimate --save-costs` on the GPU.
func GPUAssumption(maxT int) Table {
	t := Table{
		Backend: "XLA CUDA on one NVIDIA H200 (assumed)",
		Source: fmt.Sprintf("ASSUMPTION, not measured per bucket: METHODS §7's %.1f ms per training step (CB-RNN, T=%d, B=64, one network, H200) "+
			"scaled in proportion to T; test step = 1/3 of a training step; each extra member adds %.3f of a step (from %.1f ms at B=512); "+
			"compile %d s per %d steps of length", h200StepMS, h200RefT, (h200StepMS512/h200StepMS-1)/7, h200StepMS512, h200CompileRefS, h200RefT),
		Model: "cb-rnn", Params: h200RefParams, Members: 1, Batch: 64,
		MemberCost: (h200StepMS512/h200StepMS - 1) / 7,
	}
	for _, b := range gm.Buckets(maxT) {
		train := h200StepMS * float64(b) / h200RefT
		t.Buckets = append(t.Buckets, BucketCosts{T: b, TrainMS: train, EvalMS: train / 3, CompileS: h200CompileRefS * float64(b) / h200RefT})
	}
	return t
}

// Human writes a price for people (cluster plans and the report's "what it
// would take" table say durations the same way): "0.4 s", "12.5 min", "18.9 h", "2.1 days".
func Human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < 2*time.Hour:
		return fmt.Sprintf("%.1f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}
