package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Run is one network to train: its protocol and where it lives.
type Run struct {
	Config Config
	Dir    *rundir.Dir
	// Init, if set, replaces the paper's initialisation (imported weights).
	Init gm.Weights
}

// Options are the shared resources of a Train call.
type Options struct {
	Backend  compute.Backend
	Source   task.Source
	Prefetch int       // batches fetched ahead per run (default 8)
	Progress io.Writer // one line per epoch; nil for silence
	// Accept lets runs resume despite a changed task plugin or numerics
	// (see ChangedError).
	Accept Accept
	// Layout, if set, gives the executors an ensemble of K members runs on
	// (gomlx_models.NewEnsembleOn); nil: Backend alone. It is asked before
	// every epoch and the ensemble moves when the answer changes (layout.go).
	Layout func(K int) []compute.Backend
}

// member is one run inside the ensemble.
type member struct {
	run   Run
	cu    *curriculum
	state State
	// epochsHere counts the epochs this process trained, for the ETA
	// (epochs trained by an earlier process say nothing of this one's speed).
	epochsHere int
	// failed stops this member (its weights became non-finite) while the
	// others train on; state.Done is set in memory only, nothing is written.
	failed error
	// partial is the epoch this run stopped in, when it resumes mid-epoch.
	partial *Partial
}

// Train trains the runs together in one graph until each is done. All runs
// must share the model's config (the network) and the batch size. Each run resumes from its
// directory's saved state if there is one. It returns when every run is done
// or ctx is cancelled; everything finished before stays on disk, and a
// cancellation mid-epoch saves each run's resume point at the next batch
// boundary (see preempt.go).
func Train(ctx context.Context, rs []Run, opt Options) error {
	if len(rs) == 0 {
		return errors.New("no runs to train")
	}
	if opt.Prefetch <= 0 {
		opt.Prefetch = 8
	}
	model, batch := rs[0].Config.Model, rs[0].Config.Batch
	ms := make([]*member, len(rs))
	weights := make([]gm.Weights, len(rs))
	momenta := make([]gm.Weights, len(rs))
	for k, r := range rs {
		if err := r.Config.Validate(); err != nil {
			return fmt.Errorf("run %s: %w", r.Dir.Path, err)
		}
		if c0 := rs[0].Config; !reflect.DeepEqual(model, r.Config.Model) || r.Config.Batch != batch ||
			r.Config.Steps != c0.Steps || r.Config.TestSteps != c0.TestSteps || r.Config.Optim != c0.Optim {
			return fmt.Errorf("run %s: runs trained together must share the model config, batch size, steps per epoch and optimiser", r.Dir.Path)
		}
		desc, err := opt.Source.Describe(ctx, r.Config.Task)
		if err != nil {
			return fmt.Errorf("run %s: %w", r.Dir.Path, err)
		}
		cu, err := newCurriculum(r.Config, desc)
		if err == nil {
			err = CheckTask(r.Config, desc)
		}
		if err != nil {
			return fmt.Errorf("run %s: %w", r.Dir.Path, err)
		}
		if k > 0 && desc.Labels != ms[0].cu.desc.Labels {
			return fmt.Errorf("run %s: runs trained together must all label the last step or all label every step", r.Dir.Path)
		}
		m := &member{run: r, cu: cu, state: cu.initial()}
		w, mom, st, partial, found, err := loadState(r.Dir, model)
		if err == nil && found {
			err = checkState(r.Dir, st, r.Config, desc)
		} else if err == nil {
			err = checkNoState(r.Dir)
		}
		if err != nil {
			return fmt.Errorf("run %s: cannot resume: %w", r.Dir.Path, err)
		}
		// Epochs after the saved state (or any, if a kill came before the
		// first state) were never committed: drop them so the stats stay one
		// line per completed epoch.
		if err := r.Dir.TruncateStats(st.Epoch); err != nil {
			return fmt.Errorf("run %s: %w", r.Dir.Path, err)
		}
		if found {
			m.state, m.partial = st, partial
			if resumeHook != nil {
				resumeHook(r.Dir.Path, w, mom)
			}
		} else {
			w = r.Init
			if w == nil {
				w = gm.InitWeights(model, rand.New(rand.NewPCG(r.Config.Seed, 0x5eed)))
			}
			mom = nil
		}
		what := "its starting weights"
		if found {
			what = "the weights of its resume state"
		}
		if err := CheckFinite(model, w, what); err != nil {
			return fmt.Errorf("run %s: %w", r.Dir.Path, err)
		}
		prov := provenance(opt.Backend, m.state.Epoch)
		prov.Task, prov.Numerics = identify(opt.Source, desc), ptr(currentNumerics(opt.Backend))
		if found {
			if prov.Accepted, err = checkChanges(r.Dir, prov, opt.Accept); err != nil {
				return err
			}
			prov.Accepted = slices.DeleteFunc(prov.Accepted, func(s string) bool { return s == "" })
		}
		if err := recordProvenance(r.Dir, prov); err != nil {
			return fmt.Errorf("run %s: %w", r.Dir.Path, err)
		}
		ms[k], weights[k], momenta[k] = m, w, mom
	}
	if err := alignPartials(ctx, ms, weights, momenta, opt, model); err != nil {
		return err
	}
	ens, err := gm.NewEnsembleOn(opt.executors(len(ms)), model, weights)
	if err != nil {
		return err
	}
	if err := recordLayout(ms, ens.Layout()); err != nil {
		return err
	}
	for k := range ms {
		if momenta[k] != nil {
			if err := ens.SetMomentum(k, momenta[k]); err != nil {
				return fmt.Errorf("run %s: restoring optimiser state: %w", ms[k].run.Dir.Path, err)
			}
		}
	}
	start := time.Now()
	all := ms // relayout drops the runs that are done from ms
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Runs that are done leave the graph; the executors may change.
		if ens, ms, err = relayout(ens, ms, opt); err != nil {
			return err
		}
		if len(ms) == 0 {
			return failures(all)
		}
		if err := epoch(ctx, ens, ms, opt, start); err != nil {
			return err
		}
	}
}

// resumeHook, when set by a test, sees (and may change) the weights and
// momentum a run resumes with, as they are loaded: a saved state is never
// non-finite, so a test of non-finite weights poisons them here.
var resumeHook func(dir string, w, mom gm.Weights)

// h0 draws the initial state of one batch (the model's H0 law, [b,
// StateWidth]) from a generator seeded by the batch's identity, so that it
// is the same on resume and in an ensemble as alone.
func h0(m gm.Config, seed uint64, split task.Split, index uint64, b int) []float32 {
	return m.InitialState(rand.New(rand.NewPCG(seed^0x68305f30, uint64(split)<<56^index)), b)
}

// streams prefetches each active member's batches first … count-1 for one
// split of an epoch (first > 0 when the epoch resumes mid-way).
func streams(ctx context.Context, ms []*member, opt Options, split task.Split, first, count int) []*task.Stream {
	out := make([]*task.Stream, len(ms))
	for k, m := range ms {
		if m.state.Done {
			continue
		}
		reqs := make([]task.Request, 0, count-first)
		for i := first; i < count; i++ {
			reqs = append(reqs, task.Request{
				Task: m.run.Config.Task, Params: m.cu.requestParams(m.state),
				N: m.state.N, B: m.run.Config.Batch, Seed: m.run.Config.Seed,
				Index: uint64(m.state.Epoch*count + i), Split: split,
			})
		}
		out[k] = task.Prefetch(ctx, opt.Source, reqs, opt.Prefetch)
	}
	return out
}

func closeAll(ss []*task.Stream) {
	for _, s := range ss {
		if s != nil {
			s.Close()
		}
	}
}

// input gathers the next batch of every member. A finished member (or one
// with no stream in this test pass) repeats a minimal dummy trial so the
// ensemble's shape stays fixed; it is frozen and its results are ignored.
func input(ss []*task.Stream, ms []*member, split task.Split, step, pass int, b int, m gm.Config) (gm.Input, [][][]int32, error) {
	in := gm.Input{B: b, X: make([][]float32, len(ms)), T: make([]int, len(ms)), H0: make([][]float32, len(ms))}
	labels := make([][][]int32, len(ms))
	for k, mb := range ms {
		if mb.state.Done || ss[k] == nil {
			// T = 1, so one label per trial serves last-step and per-step tasks alike.
			in.X[k], in.T[k], in.H0[k] = make([]float32, b*m.Inputs), 1, make([]float32, b*m.StateWidth())
			labels[k] = make([][]int32, len(mb.cu.desc.Heads))
			for h := range labels[k] {
				labels[k][h] = make([]int32, b)
			}
			continue
		}
		bt, err := ss[k].Next()
		if err != nil {
			return in, nil, fmt.Errorf("run %s: %w", mb.run.Dir.Path, err)
		}
		// A sliding model reads the first heads of its multi-N task.
		in.X[k], in.T[k], labels[k] = bt.X, bt.T, bt.Labels[:len(m.Readout.Heads)]
		idx := batchIndex(mb.state.Epoch, pass, mb.passes(split), mb.stepsFor(split), step)
		in.H0[k] = h0(m, mb.run.Config.Seed, split, idx, b)
	}
	return in, labels, nil
}

func (m *member) stepsFor(split task.Split) int {
	if split == task.Test {
		return m.run.Config.TestSteps
	}
	return m.run.Config.Steps
}

// epoch trains every active member for one epoch, tests it, and commits the
// result (stats line, checkpoint, resume state) for each.
func epoch(ctx context.Context, ens *gm.Ensemble, ms []*member, opt Options, start time.Time) error {
	t0 := time.Now()
	cfg := ens.Config()
	b := ms[0].run.Config.Batch
	steps, testSteps := 0, 0
	for _, m := range ms {
		if !m.state.Done {
			steps = max(steps, m.run.Config.Steps)
			testSteps = max(testSteps, m.run.Config.TestSteps)
		}
	}
	K := len(ms)
	// Members of one ensemble share a label layout (Train checks it).
	perStep := ms[0].cu.desc.Labels == task.PerStep
	lossSum, normSum := make([]float64, K), make([]float64, K)
	finite, skipped := make([]int, K), make([]int, K)
	nHeads := len(cfg.Readout.Heads)
	correct := make([][]float64, K)
	for k := range correct {
		correct[k] = make([]float64, nHeads)
	}
	acc := &sums{lossSum: lossSum, normSum: normSum, finite: finite, skipped: skipped, correct: correct,
		testLoss: make([]float64, K), testLossN: make([]int, K), lossUnknown: make([]bool, K)}
	from, err := acc.resume(ms) // batches done before a stop mid-epoch
	if err != nil {
		return err
	}
	train := streams(ctx, ms, opt, task.Train, min(from, steps), steps)
	defer closeAll(train)
	trainable := make([][]bool, K)
	weights := make([][]float32, K)
	for k, m := range ms {
		trainable[k] = m.cu.trainable(m.state)
		weights[k] = m.cu.headWeights(m.state)
		if m.state.Done {
			trainable[k] = make([]bool, len(trainable[k]))
		}
	}
	for s := min(from, steps); s < steps; s++ {
		in, labels, err := input(train, ms, task.Train, s, 0, b, cfg)
		if err := stopAt(ctx, err, ens, ms, s, acc); err != nil {
			return err
		}
		out, err := ens.TrainStep(gm.StepInput{Input: in, Labels: labels, PerStep: perStep, HeadWeight: weights, Trainable: trainable}, ms[0].run.Config.Optim)
		if err != nil {
			return fmt.Errorf("training step %d: %w", s, err)
		}
		for k := range ms {
			if out.Skipped[k] || math.IsNaN(out.Loss[k]) || math.IsInf(out.Loss[k], 0) {
				skipped[k]++
				continue
			}
			lossSum[k] += out.Loss[k]
			normSum[k] += out.GradNorm[k]
			finite[k]++
		}
	}
	closeAll(train)

	accs, err := testEpoch(ctx, ens, ms, opt, steps, testSteps, acc)
	if err != nil {
		return err
	}

	wall := time.Since(t0).Seconds()
	var lines []string
	for k, m := range ms {
		if m.state.Done {
			continue
		}
		st := EpochStats{Epoch: m.state.Epoch + 1, N: m.state.N, Phase: m.state.Phase, Skipped: skipped[k], WallS: wall}
		if finite[k] > 0 {
			st.TrainLoss = lossSum[k] / float64(finite[k])
			st.GradNorm = normSum[k] / float64(finite[k])
		} else {
			st.TrainLoss, st.GradNorm = math.NaN(), math.NaN()
		}
		if acc.testLossN[k] > 0 && !acc.lossUnknown[k] {
			tl := acc.testLoss[k] / float64(acc.testLossN[k])
			st.TestLoss = &tl
		}
		// The curriculum fills in the accuracies and decides the next state.
		next, ck := m.cu.conclude(m.state, accs[k], &st)
		if err := commit(ens, k, m, st, next, ck); err != nil {
			if !stopMember(m, err) {
				return err
			}
			lines = append(lines, err.Error())
			continue
		}
		m.epochsHere++
		lines = append(lines, progressLine(m, st, start, steps))
	}
	if opt.Progress != nil {
		if len(lines) <= compactAbove {
			for _, l := range lines {
				fmt.Fprintln(opt.Progress, l)
			}
		} else {
			fmt.Fprintln(opt.Progress, ensembleLine(ms, start, steps, wall))
		}
	}
	return nil
}

// compactAbove: ensembles with more active runs than this print one summary
// line per epoch instead of a line per run.
const compactAbove = 4

// ensembleLine summarises an epoch of a large ensemble: how many runs are
// active, the spread of their N, the slowest run's ETA.
func ensembleLine(ms []*member, start time.Time, steps int, wall float64) string {
	var ns []int
	epoch, budget, active, here := 0, 0, 0, 1
	for _, m := range ms {
		here = max(here, m.epochsHere)
		if m.state.Done {
			continue
		}
		active++
		ns = append(ns, m.state.N)
		epoch = max(epoch, m.state.Epoch)
		budget = max(budget, m.run.Config.Epochs)
	}
	if active == 0 {
		return fmt.Sprintf("ensemble of %d: all runs done", len(ms))
	}
	slices.Sort(ns)
	perEpoch := time.Since(start) / time.Duration(here)
	return fmt.Sprintf("ensemble of %d (%d training)  epoch %4d/%d  N min/median/max %d/%d/%d  %.1f steps/s  ETA ≤ %s",
		len(ms), active, epoch, budget, ns[0], ns[len(ns)/2], ns[len(ns)-1], float64(steps)/wall,
		(time.Duration(budget-epoch) * perEpoch).Round(time.Second))
}

// commit writes one member's epoch: the checkpoint of a solved N, the stats
// line, then the resume state. A kill between the stats line and the state
// leaves one stats line too many, which resume truncates.
func commit(ens *gm.Ensemble, k int, m *member, st EpochStats, next State, ck checkpoint) error {
	d := m.run.Dir
	w, err := ens.Weights(k)
	if err != nil {
		return err
	}
	shape := ens.Config()
	if name, i, v, bad := firstNonFinite(shape, w); bad {
		return &NonFiniteError{Run: d.Path, Epoch: st.Epoch, N: st.N, Param: name, Index: i, Value: v,
			TrainLoss: st.TrainLoss, Skipped: st.Skipped, Steps: m.run.Config.Steps}
	}
	if err := ck.write(d, toTensors(shape, w, "")); err != nil {
		return fmt.Errorf("run %s: checkpoint N=%d: %w", d.Path, st.N, err)
	}
	if err := d.AppendStats(st); err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	mom, err := ens.Momentum(k)
	if err != nil {
		return err
	}
	ts := append(toTensors(shape, w, ""), toTensors(shape, mom, momentumPrefix)...)
	if err := d.SaveState(next, ts); err != nil {
		return fmt.Errorf("run %s: saving state: %w", d.Path, err)
	}
	m.state = next
	if next.Done {
		if err := d.MarkDone(next); err != nil {
			return fmt.Errorf("run %s: %w", d.Path, err)
		}
	}
	return nil
}

const momentumPrefix = "momentum/"

func toTensors(c gm.Config, w gm.Weights, prefix string) []safetensors.Tensor {
	var ts []safetensors.Tensor
	for _, p := range c.Params() {
		ts = append(ts, safetensors.Tensor{Name: prefix + p.Name, Shape: p.Shape, Data: w[p.Name]})
	}
	return ts
}

// FromTensors picks the model's parameters (by PyTorch name, with an
// optional prefix) out of a tensor list, checking every shape.
func FromTensors(c gm.Config, ts []safetensors.Tensor, prefix string) (gm.Weights, error) {
	byName := map[string]safetensors.Tensor{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	w := gm.Weights{}
	for _, p := range c.Params() {
		t, ok := byName[prefix+p.Name]
		if !ok {
			return nil, fmt.Errorf("tensor %q missing", prefix+p.Name)
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(p.Shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, model wants %v", p.Name, t.Shape, p.Shape)
		}
		w[p.Name] = t.Data
	}
	return w, nil
}

func loadState(d *rundir.Dir, c gm.Config) (w, mom gm.Weights, st State, partial *Partial, found bool, err error) {
	var meta resumeMeta
	ts, found, err := d.LoadState(&meta)
	if err != nil || !found {
		return nil, nil, meta.State, nil, found, err
	}
	if w, err = FromTensors(c, ts, ""); err != nil {
		return nil, nil, meta.State, nil, false, err
	}
	if mom, err = FromTensors(c, ts, momentumPrefix); err != nil {
		return nil, nil, meta.State, nil, false, err
	}
	return w, mom, meta.State, meta.Partial, true, nil
}

func progressLine(m *member, st EpochStats, start time.Time, steps int) string {
	c := m.run.Config
	perEpoch := time.Since(start) / time.Duration(max(1, m.epochsHere))
	eta := time.Duration(c.Epochs-st.Epoch) * perEpoch
	flag := ""
	if st.Solved {
		flag = " ✓"
	}
	var extra []string
	if st.Active != "" {
		extra = append(extra, "task "+st.Active)
	}
	if st.Phase != PhaseAll {
		extra = append(extra, st.Phase)
	}
	tag := ""
	if len(extra) > 0 {
		tag = " [" + strings.Join(extra, ", ") + "]"
	}
	return fmt.Sprintf("%s  epoch %4d/%d  N=%3d%s  loss %.4f  acc %6.2f%%%s  %.1f steps/s  ETA ≤ %s",
		shortName(m.run.Dir.Path), st.Epoch, c.Epochs, st.N, tag, st.TrainLoss, st.TestAcc, flag,
		float64(steps)/st.WallS, eta.Round(time.Second))
}

func shortName(p string) string {
	if i := strings.LastIndex(strings.TrimRight(p, "/"), "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}
