package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/analysis"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// Probes are the analyses that run a trained network again (METHODS §4): CB
// ablation, readout recovery, PCA dimensionality and timescales. They use
// checkpoints, evaluation trials drawn from the task plugin on a stream of
// their own, and never write to the run.

// evalSeedOffset moves the analyses' evaluation trials onto a stream that
// training and testing never draw from.
const evalSeedOffset = 1 << 40

// Checkpoint is one solved N of one run.
type Checkpoint struct {
	Run     *rundir.Dir
	Config  trainer.Config
	N       int
	Weights gm.Weights
	// Unsolved marks the final weights of a run that solved no N.
	Unsolved bool
}

// Checkpoints loads up to max checkpoints of a run, spread evenly over its
// solved Ns (max 0 = all).
func Checkpoints(d *rundir.Dir, max int) ([]Checkpoint, error) {
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil {
		return nil, err
	}
	ns, err := d.CheckpointNs()
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		// A run that solved nothing (tiny budgets) is analysed as it ended,
		// at the N it was training, so the probes still run.
		var st trainer.State
		ts, found, err := d.LoadState(&st)
		if err != nil || !found {
			return nil, err
		}
		w, err := trainer.FromTensors(c.Model, ts, "")
		if err != nil {
			return nil, fmt.Errorf("run %s final state: %w", d.Path, err)
		}
		return []Checkpoint{{Run: d, Config: c, N: st.N, Weights: w, Unsolved: true}}, nil
	}
	ns = spread(ns, max)
	out := make([]Checkpoint, 0, len(ns))
	for _, n := range ns {
		ts, _, err := d.LoadCheckpoint(n)
		if err != nil {
			return nil, err
		}
		w, err := trainer.FromTensors(c.Model, ts, "")
		if err != nil {
			return nil, fmt.Errorf("run %s checkpoint N=%d: %w", d.Path, n, err)
		}
		out = append(out, Checkpoint{Run: d, Config: c, N: n, Weights: w})
	}
	return out, nil
}

// spread keeps at most max values of a sorted list, evenly spaced, always
// with the first and the last.
func spread(ns []int, max int) []int {
	if max <= 0 || len(ns) <= max {
		return ns
	}
	if max == 1 {
		return ns[len(ns)-1:]
	}
	out := make([]int, 0, max)
	for i := 0; i < max; i++ {
		out = append(out, ns[i*(len(ns)-1)/(max-1)])
	}
	return out
}

// evalBatches draws the fixed evaluation trials of a checkpoint: the same
// for every probe of the same run and N.
func (e *Env) evalBatches(ctx context.Context, c Checkpoint, count int) ([]*task.Batch, error) {
	return e.trials(ctx, c, c.Config.Seed+evalSeedOffset, count)
}

// trials draws count test batches of a checkpoint's task at its N on the
// stream seed: every analysis draws its fixed trials through it (the probes
// on the run's own evaluation stream, the mechanisms on one shared stream).
func (e *Env) trials(ctx context.Context, c Checkpoint, seed uint64, count int) ([]*task.Batch, error) {
	out := make([]*task.Batch, count)
	for i := range out {
		b, err := e.Source.Batch(ctx, task.Request{
			Task: c.Config.Task, Params: c.Config.TaskParams, N: c.N, B: c.Config.Batch,
			Seed: seed, Index: uint64(i), Split: task.Test,
		})
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// initState draws the initial state of evaluation batch i (the model's H0
// law) on the analyses' own stream.
func initState(m gm.Config, seed uint64, i, b int) []float32 {
	return m.InitialState(rand.New(rand.NewPCG(seed+evalSeedOffset, uint64(i))), b)
}

// Ablation is the accuracy of one checkpoint with and without its CB term
// on the same evaluation trials.
type Ablation struct {
	N              int
	WithCB, NoCB   float64 // %
	Recovered      float64 // % after retraining the readout alone without the CB (NaN if not run)
	RecoveredSteps int
	Trials         int // evaluation trials behind each accuracy
}

// Ablate measures a checkpoint with and without the CB (METHODS §4, CB ablation).
func (e *Env) Ablate(ctx context.Context, c Checkpoint, evalBatches int) (Ablation, error) {
	bs, err := e.evalBatches(ctx, c, evalBatches)
	if err != nil {
		return Ablation{}, err
	}
	return e.ablate(c, bs)
}

// ablate is Ablate on evaluation batches already drawn.
func (e *Env) ablate(c Checkpoint, bs []*task.Batch) (Ablation, error) {
	ens, err := gm.NewEnsemble(e.Backend, c.Config.Model, []gm.Weights{c.Weights})
	if err != nil {
		return Ablation{}, err
	}
	a := Ablation{N: c.N}
	for _, b := range bs {
		a.Trials += b.B
	}
	m := ens.Config()
	h0 := func(i, b int) []float32 { return initState(m, c.Config.Seed, i, b) }
	if a.WithCB, err = evalAccuracy(ens, bs, h0, true); err != nil {
		return a, err
	}
	if a.NoCB, err = evalAccuracy(ens, bs, h0, false); err != nil {
		return a, err
	}
	return a, nil
}

// Recover removes the CB, retrains only the readout by the authors'
// protocol (RetrainReadout: SGD lr 0.01, momentum 0.1, Nesterov, no
// clipping; steps batches at the checkpoint's N) and re-evaluates; all three
// accuracies on the same evalBatches fixed batches (METHODS §4.5).
func (e *Env) Recover(ctx context.Context, c Checkpoint, steps, evalBatches int) (Ablation, error) {
	a, _, err := e.recoverAt(ctx, c, steps, evalBatches)
	return a, err
}

// recoverAt is Recover, also returning the retraining's trace (the
// held-out losses that RecoveryStudyOf reports).
func (e *Env) recoverAt(ctx context.Context, c Checkpoint, steps, evalBatches int) (Ablation, RecoveryTrace, error) {
	bs, err := e.evalBatches(ctx, c, evalBatches)
	if err != nil {
		return Ablation{}, RecoveryTrace{}, err
	}
	a, err := e.ablate(c, bs)
	if err != nil {
		return a, RecoveryTrace{}, err
	}
	tr, err := e.RetrainReadout(ctx, c, bs, RecoveryOptions{Steps: steps})
	if err != nil {
		return a, tr, err
	}
	a.Recovered, a.RecoveredSteps = tr.End, steps
	return a, tr, nil
}

// Populations analysed for dimensionality and timescales.
var Populations = figdata.Populations

// Dims is the PCA dimensionality of each population at one checkpoint.
type Dims struct {
	N    int
	Dims map[string]analysis.Dim
	// Sparsity holds the Treves–Rolls sparseness (METHODS §4) of the rate
	// populations (ReLU: gc, pc) on the same trials; the others can be
	// negative, where the measure means nothing.
	Sparsity map[string]Sparseness
}

// Sparseness is a population's Treves–Rolls sparseness: across units per
// (step, trial) sample (population) and across samples per unit (lifetime).
type Sparseness struct {
	Population, Lifetime float64
}

// ratePopulations are the non-negative populations sparseness applies to.
var ratePopulations = map[string]bool{"gc": true, "pc": true}

// Dimensionality runs the checkpoint on batches at its N and measures each
// population (METHODS §4: flatten time × trials, centre, eigen-spectrum).
func (e *Env) Dimensionality(ctx context.Context, c Checkpoint, batches int) (Dims, error) {
	ens, err := gm.NewEnsemble(e.Backend, c.Config.Model, []gm.Weights{c.Weights})
	if err != nil {
		return Dims{}, err
	}
	bs, err := e.evalBatches(ctx, c, batches)
	if err != nil {
		return Dims{}, err
	}
	flat := map[string][]float32{}
	width := map[string]int{}
	for i, b := range bs {
		dyn, err := ens.Dynamics(0, b.X, b.T, b.B, initState(c.Config.Model, c.Config.Seed, i, b.B), true)
		if err != nil {
			return Dims{}, err
		}
		for _, pop := range Populations {
			a, ok := dyn[pop]
			if !ok {
				continue
			}
			flat[pop] = append(flat[pop], a.Data...)
			width[pop] = a.Shape[len(a.Shape)-1]
		}
	}
	out := Dims{N: c.N, Dims: map[string]analysis.Dim{}, Sparsity: map[string]Sparseness{}}
	for pop, data := range flat {
		out.Dims[pop] = analysis.DimensionalityFlat(data, width[pop])
		if ratePopulations[pop] {
			w := width[pop]
			samples := make([][]float32, len(data)/w)
			for i := range samples {
				samples[i] = data[i*w : (i+1)*w]
			}
			out.Sparsity[pop] = Sparseness{analysis.PopulationSparsity(samples), analysis.LifetimeSparsity(samples)}
		}
	}
	return out, nil
}

// Timescales drives a checkpoint with a random bit stream (METHODS §4.7) and
// returns, per population, the population timescale and the units' median
// timescale. The stream is run in chunks, carrying the hidden state, so the
// unrolled graph stays small however long the stream.
func (e *Env) Timescales(c Checkpoint, steps, trials, discard int) (map[string]PopTimescale, error) {
	return e.timescales(c, steps, trials, discard, 0)
}

// TimescalesSampled is Timescales with the unit fits on at most maxUnits
// units per population, evenly spaced (0 = all): the smoke profile's way to
// exercise the fits without paying for every unit.
func (e *Env) TimescalesSampled(c Checkpoint, steps, trials, discard, maxUnits int) (map[string]PopTimescale, error) {
	return e.timescales(c, steps, trials, discard, maxUnits)
}

// PopulationTimescales is Timescales without the unit fits (their
// UnitMedian is NaN): the population τ the authors draw against N
// (cb_timescales_utils.py: pop_e_folding_lag) costs one autocorrelation per
// population, the unit fits one per unit.
func (e *Env) PopulationTimescales(c Checkpoint, steps, trials, discard int) (map[string]PopTimescale, error) {
	return e.timescales(c, steps, trials, discard, -1)
}

// timescales: maxUnits < 0 fits no unit, 0 every unit, else at most that
// many per population.
func (e *Env) timescales(c Checkpoint, steps, trials, discard, maxUnits int) (map[string]PopTimescale, error) {
	m := c.Config.Model
	ens, err := gm.NewEnsemble(e.Backend, m, []gm.Weights{c.Weights})
	if err != nil {
		return nil, err
	}
	const chunk = 128
	r := rand.New(rand.NewPCG(c.Config.Seed+evalSeedOffset, 0x7157))
	state := initState(m, c.Config.Seed, 0, trials)
	// acts[pop][trial][time][unit]
	acts := map[string][][][]float32{}
	for done := 0; done < steps; done += chunk {
		t := min(chunk, steps-done)
		x := make([]float32, t*trials*m.Inputs)
		for i := range x {
			if m.Inputs == 1 || i%m.Inputs == 0 {
				x[i] = float32(r.IntN(2))
			}
		}
		dyn, err := ens.Dynamics(0, x, t, trials, state, true)
		if err != nil {
			return nil, err
		}
		for _, pop := range Populations {
			a, ok := dyn[pop]
			if !ok {
				continue
			}
			units := a.Shape[2]
			if acts[pop] == nil {
				acts[pop] = make([][][]float32, trials)
			}
			for tt := 0; tt < t; tt++ {
				for b := 0; b < trials; b++ {
					row := a.Data[(tt*trials+b)*units : (tt*trials+b+1)*units]
					acts[pop][b] = append(acts[pop][b], append([]float32(nil), row...))
				}
			}
		}
		state = dyn["state"].Data
	}
	out := map[string]PopTimescale{}
	maxLag := min(200, (steps-discard)/2)
	fitLags := min(30, maxLag)
	for pop, a := range acts {
		_, tau := analysis.PopulationTimescale(a, discard, maxLag)
		pt := PopTimescale{Population: tau, UnitMedian: math.NaN()}
		if maxUnits >= 0 {
			var taus []float64
			for _, u := range analysis.UnitTimescales(sampleUnits(a, maxUnits), discard, maxLag, fitLags) {
				if u.Valid {
					taus = append(taus, u.Tau)
				}
			}
			pt.UnitMedian, pt.Units = median(taus), len(taus)
		}
		out[pop] = pt
	}
	return out, nil
}

// sampleUnits keeps at most max units (evenly spaced) of
// [trial][time][unit] activity; max 0 keeps all.
func sampleUnits(a [][][]float32, max int) [][][]float32 {
	if max <= 0 || len(a) == 0 || len(a[0]) == 0 || len(a[0][0]) <= max {
		return a
	}
	units := len(a[0][0])
	keep := make([]int, max)
	for i := range keep {
		keep[i] = i * units / max
	}
	out := make([][][]float32, len(a))
	for tr, trial := range a {
		out[tr] = make([][]float32, len(trial))
		for t, row := range trial {
			r := make([]float32, max)
			for i, u := range keep {
				r[i] = row[u]
			}
			out[tr][t] = r
		}
	}
	return out
}

// PopTimescale summarises one population's timescales, in steps.
type PopTimescale struct {
	Population float64 // first lag where the summed activity's autocorrelation ≤ 1/e
	UnitMedian float64 // median unit τ over units with a fit
	Units      int
}

// median of xs (NaN when empty).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
