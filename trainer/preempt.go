package trainer

import (
	"context"
	"fmt"
	"slices"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
)

// Stopping mid-epoch. A cluster ends a job with SIGTERM (time limit,
// preemption, `scontrol requeue`) and a paper epoch lasts minutes, so a run
// must not lose the epoch it is in. When the context is cancelled, the
// trainer finishes the batch it is computing and, at that batch boundary,
// saves each run's resume point: the weights and momentum after the last
// batch, the curriculum state of the epoch's start, the number of batches
// done and the epoch's partial sums (loss, gradient norm, test accuracy).
// Batches and initial states are drawn from the run's seed and the batch's
// index, so the resumed epoch sees the same batches, adds them to the same
// sums in the same order, and ends with the stats an uninterrupted epoch has
// (wall time apart).

// Partial is an epoch stopped at a batch boundary.
type Partial struct {
	// Step counts the batches done: training batches first, then
	// Steps + test batches.
	Step    int       `json:"step"`
	LossSum float64   `json:"loss_sum"` // over the finite training batches
	NormSum float64   `json:"norm_sum"`
	Finite  int       `json:"finite"`
	Skipped int       `json:"skipped"`
	Correct []float64 `json:"correct"` // per head, summed test accuracy
	// TestLoss and TestLossN sum the test batches' cross-entropy (one term
	// per batch and head scored). A partial saved before they existed
	// has neither: its epoch's test loss is then unknown (nil).
	TestLoss  float64 `json:"test_loss,omitempty"`
	TestLossN int     `json:"test_loss_n,omitempty"`
}

// resumeMeta is state.json's meta: the curriculum state (flattened, as
// before mid-epoch stops existed) and, for a stopped epoch, its partial sums.
type resumeMeta struct {
	State
	Partial *Partial `json:"partial,omitempty"`
}

// sums are an epoch's accumulators, one entry per member.
type sums struct {
	lossSum, normSum []float64
	finite, skipped  []int
	correct          [][]float64
	// testLoss and testLossN sum the test cross-entropy per member;
	// lossUnknown marks a member resumed mid-test from a partial that did
	// not record it.
	testLoss    []float64
	testLossN   []int
	lossUnknown []bool
	// from is the batch the epoch resumed at (0 for a fresh epoch): a stop
	// there has nothing new to save.
	from int
}

// resume loads the members' partial sums, clears them, and returns the
// batch the epoch starts at. Train aligned the active members (alignPartials).
func (a *sums) resume(ms []*member) (int, error) {
	a.from = -1
	for k, m := range ms {
		if m.state.Done {
			continue
		}
		step := 0
		if p := m.partial; p != nil {
			step = p.Step
			if len(p.Correct) != len(a.correct[k]) {
				return 0, fmt.Errorf("run %s: the saved epoch has %d test heads, the model %d", m.run.Dir.Path, len(p.Correct), len(a.correct[k]))
			}
			a.lossSum[k], a.normSum[k], a.finite[k], a.skipped[k] = p.LossSum, p.NormSum, p.Finite, p.Skipped
			copy(a.correct[k], p.Correct)
			a.testLoss[k], a.testLossN[k] = p.TestLoss, p.TestLossN
			a.lossUnknown[k] = p.Step > m.run.Config.Steps && p.TestLossN == 0
			m.partial = nil
		}
		if a.from >= 0 && a.from != step {
			return 0, fmt.Errorf("trainer: members of one ensemble stopped at batches %d and %d of their epoch", a.from, step)
		}
		a.from = step
	}
	return max(a.from, 0), nil
}

// stopGrace is how long a failed batch fetch waits for a cancellation that
// may be on its way.
const stopGrace = time.Second

// stepHook, when set by a test, runs at every batch boundary (epoch counted
// from 1, the batch about to run); a test cancels the context from it to
// stop at a chosen batch.
var stepHook func(epoch, step int)

// stopAt is called at every batch boundary, after the batch's input was
// fetched (err is the fetch's error). If the context is cancelled it saves
// every active member's mid-epoch resume point at this boundary (step
// batches done) and returns the context's error; otherwise it returns err.
func stopAt(ctx context.Context, err error, ens *gm.Ensemble, ms []*member, step int, a *sums) error {
	if stepHook != nil {
		for _, m := range ms {
			if !m.state.Done {
				stepHook(m.state.Epoch+1, step)
				break
			}
		}
	}
	if err != nil && ctx.Err() == nil {
		// A kill of the whole job (scancel, requeue, preemption) reaches
		// the task plugins too: their stream can fail a moment before the
		// signal cancels ctx. Give the signal that moment, so that the run
		// still saves here.
		select {
		case <-ctx.Done():
		case <-time.After(stopGrace):
		}
	}
	if ctx.Err() == nil {
		return err
	}
	if step == a.from { // nothing done since the saved state
		return ctx.Err()
	}
	for k, m := range ms {
		if m.state.Done {
			continue
		}
		p := &Partial{Step: step, LossSum: a.lossSum[k], NormSum: a.normSum[k], Finite: a.finite[k], Skipped: a.skipped[k],
			Correct: slices.Clone(a.correct[k]), TestLoss: a.testLoss[k], TestLossN: a.testLossN[k]}
		if err := savePartial(ens, k, m, p); err != nil {
			return fmt.Errorf("stopping at batch %d of epoch %d: %w (the run resumes from its last saved point)", step, m.state.Epoch+1, err)
		}
	}
	return ctx.Err()
}

// savePartial writes member k's resume point in the middle of an epoch.
func savePartial(ens *gm.Ensemble, k int, m *member, p *Partial) error {
	shape := ens.Config()
	w, err := ens.Weights(k)
	if err != nil {
		return err
	}
	mom, err := ens.Momentum(k)
	if err != nil {
		return err
	}
	ts := append(toTensors(shape, w, ""), toTensors(shape, mom, momentumPrefix)...)
	if err := m.run.Dir.SaveState(resumeMeta{State: m.state, Partial: p}, ts); err != nil {
		return fmt.Errorf("run %s: saving state: %w", m.run.Dir.Path, err)
	}
	return nil
}

// ReadPartial returns the stopped epoch a run directory's resume point
// holds, or nil if the run stopped at an epoch boundary (or never started).
func ReadPartial(d *rundir.Dir) (*Partial, error) {
	var meta resumeMeta
	_, found, err := d.LoadState(&meta)
	if err != nil || !found {
		return nil, err
	}
	return meta.Partial, nil
}

// alignPartials finishes, before the ensemble trains, the epochs its members
// stopped at different batches: a run can join an ensemble other than the
// one it stopped in (another backend's ensemble size, or a kill while the
// members' states were being saved). Each group stopped at one batch
// finishes its epoch in an ensemble of its own; weights and momenta are
// updated in place. The ensemble then starts with every member at an epoch
// boundary, or all at the same batch.
func alignPartials(ctx context.Context, ms []*member, weights, momenta []gm.Weights, opt Options, shape gm.Config) error {
	groups := map[int][]int{}
	active := 0
	for k, m := range ms {
		if m.state.Done {
			continue
		}
		active++
		step := 0
		if m.partial != nil {
			step = m.partial.Step
		}
		groups[step] = append(groups[step], k)
	}
	if len(groups) <= 1 {
		return nil
	}
	for step, idx := range groups {
		if step == 0 {
			continue
		}
		sub := make([]*member, len(idx))
		ws := make([]gm.Weights, len(idx))
		for j, k := range idx {
			sub[j], ws[j] = ms[k], weights[k]
		}
		ens, err := gm.NewEnsembleOn(opt.executors(len(idx)), shape, ws)
		if err != nil {
			return err
		}
		for j, k := range idx {
			if err := ens.SetMomentum(j, momenta[k]); err != nil {
				return fmt.Errorf("run %s: restoring optimiser state: %w", ms[k].run.Dir.Path, err)
			}
		}
		if err := epoch(ctx, ens, sub, opt, time.Now()); err != nil {
			return err
		}
		for j, k := range idx {
			if weights[k], err = ens.Weights(j); err != nil {
				return err
			}
			if momenta[k], err = ens.Momentum(j); err != nil {
				return err
			}
		}
	}
	return nil
}
