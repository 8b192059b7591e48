package experiments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/analysis"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// The CB ablation as the authors compute it (paper/METHODS §4.3;
// analysis/cb_ablation.py: compare_cb_ablation_many_runs,
// evaluate_rnnonly_many_runs): N restricted to the checkpoints every run of
// the group has, and one set of evaluation trials per N shared by every
// network and both conditions.

// sharedEvalSeed is the stream of the trials (and initial states) shared by
// every network of a study. It is no run's seed plus evalSeedOffset (run
// seeds are small), so it never coincides with a per-run stream.
const sharedEvalSeed uint64 = 0xAB1A7E << 32

// RunNs are the Ns a run can be analysed at: its checkpointed Ns, or, for a
// run that solved none (tiny budgets), the N it ended at (METHODS §8.1).
func RunNs(d *rundir.Dir) ([]int, error) {
	ns, err := d.CheckpointNs()
	if err != nil || len(ns) > 0 {
		return ns, err
	}
	var st trainer.State
	_, found, err := d.LoadState(&st)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("run %s has neither a checkpoint nor a saved state", d.Path)
	}
	return []int{st.N}, nil
}

// CommonNs is the intersection of the runs' Ns (the authors'
// _resolve_shared_Ns), ascending; empty when they share none.
func CommonNs(dirs []*rundir.Dir) ([]int, error) {
	var shared []int
	for i, d := range dirs {
		ns, err := RunNs(d)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			shared = ns
			continue
		}
		shared = slices.DeleteFunc(shared, func(n int) bool { return !slices.Contains(ns, n) })
	}
	return shared, nil
}

// LoadCheckpointAt loads the model of a run at N: its checkpoint, or its
// final state when the run solved nothing and ended at N.
func LoadCheckpointAt(d *rundir.Dir, n int) (Checkpoint, error) {
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil {
		return Checkpoint{}, err
	}
	ns, err := d.CheckpointNs()
	if err != nil {
		return Checkpoint{}, err
	}
	if len(ns) == 0 {
		cps, err := Checkpoints(d, 0)
		if err != nil {
			return Checkpoint{}, err
		}
		if len(cps) == 1 && cps[0].N == n {
			return cps[0], nil
		}
		return Checkpoint{}, fmt.Errorf("run %s has no model at N=%d", d.Path, n)
	}
	ts, _, err := d.LoadCheckpoint(n)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("run %s checkpoint N=%d: %w", d.Path, n, err)
	}
	w, err := trainer.FromTensors(c.Model, ts, "")
	if err != nil {
		return Checkpoint{}, fmt.Errorf("run %s checkpoint N=%d: %w", d.Path, n, err)
	}
	return Checkpoint{Run: d, Config: c, N: n, Weights: w}, nil
}

// SharedTrials are evaluation trials at one N shared by every network of a
// study, with the initial state of each batch drawn from one stream too, so
// networks of the same width see the same h_0.
type SharedTrials struct {
	N       int
	Batches []*task.Batch
}

// SharedEvalTrials draws count batches of size b at N of a task from the
// shared stream (the authors' make_fixed_eval_batches, drawn once per N).
func (e *Env) SharedEvalTrials(ctx context.Context, taskName string, params map[string]string, n, count, b int) (SharedTrials, error) {
	st := SharedTrials{N: n, Batches: make([]*task.Batch, count)}
	for i := range st.Batches {
		bt, err := e.Source.Batch(ctx, task.Request{Task: taskName, Params: params, N: n, B: b, Seed: sharedEvalSeed, Index: uint64(i), Split: task.Test})
		if err != nil {
			return st, err
		}
		st.Batches[i] = bt
	}
	return st, nil
}

// sharedInitState is the initial state of shared batch i.
func sharedInitState(m gm.Config, i, b int) []float32 {
	return m.InitialState(rand.New(rand.NewPCG(sharedEvalSeed, uint64(i))), b)
}

// evalAccuracy evaluates head 0 of a one-member ensemble on batches (in %),
// batch i starting from h0(i).
func evalAccuracy(ens *gm.Ensemble, bs []*task.Batch, h0 func(i, b int) []float32, cbOn bool) (float64, error) {
	m := ens.Config()
	sum := 0.0
	for i, b := range bs {
		out, err := ens.Eval(gm.EvalInput{
			Input: gm.Input{B: b.B, X: [][]float32{b.X}, T: []int{b.T}, H0: [][]float32{h0(i, b.B)}},
			CBOn:  []bool{cbOn},
		})
		if err != nil {
			return 0, err
		}
		sum += gm.Accuracy(out.Logits[0][0], m.Readout.Heads[0], b.Labels[0])
	}
	return 100 * sum / float64(len(bs)), nil
}

// AblateOn measures a checkpoint with and without its CB on shared trials.
// A network without a CB has NoCB equal to WithCB.
func (e *Env) AblateOn(c Checkpoint, st SharedTrials) (Ablation, error) {
	ens, err := gm.NewEnsemble(e.Backend, c.Config.Model, []gm.Weights{c.Weights})
	if err != nil {
		return Ablation{}, err
	}
	m := c.Config.Model
	h0 := func(i, b int) []float32 { return sharedInitState(m, i, b) }
	a := Ablation{N: c.N}
	for _, b := range st.Batches {
		a.Trials += b.B
	}
	if a.WithCB, err = evalAccuracy(ens, st.Batches, h0, true); err != nil {
		return a, err
	}
	if m.CB == nil {
		a.NoCB = a.WithCB
		return a, nil
	}
	a.NoCB, err = evalAccuracy(ens, st.Batches, h0, false)
	return a, err
}

// AblationStudy is the CB ablation of one group on one task (METHODS §4.3),
// with a baseline group (RNN-202) evaluated on the same trials.
type AblationStudy struct {
	Task string
	// Ns are the checkpointed Ns every CB run has (spread to at most the
	// profile's MaxCheckpoints); BaselineNs likewise for the baseline.
	Ns, BaselineNs []int
	// Nets name the CB runs; WithCB[k][j] and NoCB[k][j] are network k's
	// accuracy (%) at Ns[j]; Baseline[k][j] a baseline network's at
	// BaselineNs[j].
	Nets            []string
	WithCB, NoCB    [][]float64
	Baseline        [][]float64
	BatchesPerN, B  int
	Trials          map[int]SharedTrials // the shared trials per N
	BaselineLabel   string
	MaxCheckpointsN int
	dirs            []*rundir.Dir // the CB runs, in Nets order
}

// AblationStudyOf runs the ablation on the CB runs and evaluates the
// baseline runs (nil for none) on the same shared trials: batches of the
// runs' batch size per N, at most maxNs Ns (0 = all).
func (e *Env) AblationStudyOf(ctx context.Context, cb, baseline []*rundir.Dir, batches, maxNs int) (*AblationStudy, error) {
	if len(cb) == 0 {
		return nil, fmt.Errorf("CB ablation: no CB runs")
	}
	ns, err := CommonNs(cb)
	if err != nil {
		return nil, err
	}
	var bns []int
	if len(baseline) > 0 {
		if bns, err = CommonNs(baseline); err != nil {
			return nil, err
		}
	}
	return e.ablationStudy(ctx, cb, baseline, batches, maxNs, spread(ns, maxNs), spread(bns, maxNs))
}

// AblationStudyAt is AblationStudyOf with the CB runs and the baseline
// evaluated at the same Ns: those every run of both groups checkpointed
// (at most maxNs, spread evenly), so that at each N the ablated networks
// and the baseline answer the very same trials (seed-ablation).
func (e *Env) AblationStudyAt(ctx context.Context, cb, baseline []*rundir.Dir, batches, maxNs int) (*AblationStudy, error) {
	if len(cb) == 0 || len(baseline) == 0 {
		return nil, fmt.Errorf("CB ablation against a baseline: %d CB runs and %d baseline runs (want both)", len(cb), len(baseline))
	}
	ns, err := CommonNs(append(append([]*rundir.Dir{}, cb...), baseline...))
	if err != nil {
		return nil, err
	}
	ns = spread(ns, maxNs)
	return e.ablationStudy(ctx, cb, baseline, batches, maxNs, ns, ns)
}

// ablationStudy evaluates the CB runs with and without their CB at ns and
// the baseline runs at bns, on one set of shared trials per N.
func (e *Env) ablationStudy(ctx context.Context, cb, baseline []*rundir.Dir, batches, maxNs int, ns, bns []int) (*AblationStudy, error) {
	var c0 trainer.Config
	if err := cb[0].ReadConfig(&c0); err != nil {
		return nil, err
	}
	s := &AblationStudy{Task: c0.Task, BatchesPerN: batches, B: c0.Batch, Trials: map[int]SharedTrials{}, MaxCheckpointsN: maxNs, dirs: cb}
	s.Ns = ns
	// ablate evaluates run d's checkpoint at N n on the shared trials of n.
	ablate := func(d *rundir.Dir, n int) (Ablation, error) {
		st, ok := s.Trials[n]
		if !ok {
			var err error
			if st, err = e.SharedEvalTrials(ctx, c0.Task, c0.TaskParams, n, batches, c0.Batch); err != nil {
				return Ablation{}, err
			}
			s.Trials[n] = st
		}
		cp, err := LoadCheckpointAt(d, n)
		if err != nil {
			return Ablation{}, err
		}
		return e.AblateOn(cp, st)
	}
	for _, d := range cb {
		s.Nets = append(s.Nets, filepath.Base(d.Path))
		var with, without []float64
		for _, n := range s.Ns {
			a, err := ablate(d, n)
			if err != nil {
				return nil, err
			}
			with, without = append(with, a.WithCB), append(without, a.NoCB)
		}
		s.WithCB, s.NoCB = append(s.WithCB, with), append(s.NoCB, without)
	}
	if len(baseline) > 0 {
		s.BaselineNs = bns
		for _, d := range baseline {
			var acc []float64
			for _, n := range s.BaselineNs {
				a, err := ablate(d, n)
				if err != nil {
					return nil, err
				}
				acc = append(acc, a.WithCB)
			}
			s.Baseline = append(s.Baseline, acc)
		}
	}
	return s, nil
}

// PerN summarises a [net][n] matrix per N (mean, SD, SEM over networks).
func PerN(m [][]float64, n int) []analysis.Summary { return figdata.PerN(m, n) }

// PerNet is each network's mean over its Ns (figdata.PerNet).
func PerNet(m [][]float64) []float64 { return figdata.PerNet(m) }

// FinalHidden runs a checkpoint on shared trials with or without its CB and
// returns the final-step hidden state of every trial ([trial][unit]) and
// its label (the authors' extract_final_module_points, module "hidden").
func (e *Env) FinalHidden(c Checkpoint, st SharedTrials, cbOn bool) (x [][]float64, labels []int32, err error) {
	ens, err := gm.NewEnsemble(e.Backend, c.Config.Model, []gm.Weights{c.Weights})
	if err != nil {
		return nil, nil, err
	}
	m := c.Config.Model
	for i, b := range st.Batches {
		dyn, err := ens.Dynamics(0, b.X, b.T, b.B, sharedInitState(m, i, b.B), cbOn)
		if err != nil {
			return nil, nil, err
		}
		h := dyn["hidden"]
		H := h.Shape[2]
		last := h.Data[(b.T-1)*b.B*H:]
		for k := range b.B {
			row := make([]float64, H)
			for u := range H {
				row[u] = float64(last[k*H+u])
			}
			x = append(x, row)
		}
		labels = append(labels, b.Labels[0]...)
	}
	return x, labels, nil
}

// AblationEmbedding is the joint t-SNE of one network's final hidden states
// with and without its CB (METHODS §4.4).
type AblationEmbedding struct {
	Run                 string
	N                   int
	Full, Ablated       [][2]float64
	FullLab, AblatedLab []int32
	Perplexity          float64
}

// EmbedAblation embeds the final hidden states of c on shared trials, with
// and without the CB, jointly (the authors'
// project_full_vs_ablated_final_points_tsne). The t-SNE reports its
// progress to e.Progress and stops when ctx is done.
func (e *Env) EmbedAblation(ctx context.Context, c Checkpoint, st SharedTrials, iters int) (AblationEmbedding, error) {
	full, fl, err := e.FinalHidden(c, st, true)
	if err != nil {
		return AblationEmbedding{}, err
	}
	abl, al, err := e.FinalHidden(c, st, false)
	if err != nil {
		return AblationEmbedding{}, err
	}
	o := analysis.DefaultTSNE(len(full) + len(abl))
	if iters > 0 {
		o.Iterations = iters
	}
	o.Progress = e.Progress
	y, err := analysis.TSNE(ctx, append(append([][]float64{}, full...), abl...), o)
	if err != nil {
		return AblationEmbedding{}, err
	}
	run := ""
	if c.Run != nil {
		run = filepath.Base(c.Run.Path)
	}
	return AblationEmbedding{Run: run, N: c.N, Full: y[:len(full)], Ablated: y[len(full):], FullLab: fl, AblatedLab: al, Perplexity: o.Perplexity}, nil
}
