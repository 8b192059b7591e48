package experiments

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/cbrnn/cbrnn/figdata"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Readout recovery as the authors run it (paper/METHODS §4.5;
// analysis/readout_recovery.py:
// run_cb_disabled_readout_recovery_across_multiple_runs, called in
// paper_figures.ipynb with n_train_steps=100, lr=1e-2, eval_batches=50):
// for each network and each N of the intersection of the runs'
// checkpoints, the CB is removed, the readout alone is trained by SGD (lr
// 0.01, momentum 0.1, Nesterov, no clipping, not reinitialised, one fresh
// batch per step, cross-entropy on head 0), and the network is evaluated on
// the run's fixed evaluation batches before and after. Their
// freeze_all_but_heads leaves every head trainable, but only head 0 gets a
// gradient, so training head 0 alone is the same update.

// RecoveryOptions configure one readout retraining.
type RecoveryOptions struct {
	Steps int
	LR    float64 // 0: the authors' 0.01
	// KeepCB retrains the readout of the intact network instead (a
	// control: how much the protocol itself moves a readout that is already
	// at its optimum).
	KeepCB bool
	// TraceEvery > 0 evaluates the held-out accuracy and loss every
	// TraceEvery steps (and at 0 and Steps).
	TraceEvery int
}

// RecoveryTrace is one retraining: held-out accuracy (%) and mean
// cross-entropy at the traced steps, and the accuracy (%) on each step's
// own training batch before the step.
type RecoveryTrace struct {
	Steps              []int
	HeldAcc, HeldLoss  []float64
	TrainAcc           []float64
	Start, End         float64 // held-out accuracy (%) before and after
	StartLoss, EndLoss float64 // held-out mean cross-entropy before and after
}

// heldOut evaluates head 0 on batches: accuracy (%) and mean cross-entropy.
func heldOut(ens *gm.Ensemble, bs []*task.Batch, h0 func(i, b int) []float32) (acc, loss float64, err error) {
	m := ens.Config()
	C := m.Readout.Heads[0]
	n := 0
	for i, b := range bs {
		out, err := ens.Eval(gm.EvalInput{Input: gm.Input{B: b.B, X: [][]float32{b.X}, T: []int{b.T}, H0: [][]float32{h0(i, b.B)}}})
		if err != nil {
			return 0, 0, err
		}
		lg := out.Logits[0][0]
		acc += gm.Accuracy(lg, C, b.Labels[0]) * float64(b.B)
		loss += gm.CrossEntropy(lg, C, b.Labels[0]) * float64(b.B)
		n += b.B
	}
	return 100 * acc / float64(n), loss / float64(n), nil
}

// RetrainReadout removes the CB from a checkpoint (unless o.KeepCB) and
// trains its readout by the authors' protocol, evaluating on the fixed
// batches eval (batch i from the run's evaluation h_0 i).
func (e *Env) RetrainReadout(ctx context.Context, c Checkpoint, eval []*task.Batch, o RecoveryOptions) (RecoveryTrace, error) {
	m := c.Config.Model
	w := c.Weights
	if !o.KeepCB {
		// The CB removed: its output layer zeroed, so it adds exactly
		// nothing (the authors set use_cb_bias = False; same network).
		w = m.WithoutCB(w)
	}
	ens, err := gm.NewEnsemble(e.Backend, m, []gm.Weights{w})
	if err != nil {
		return RecoveryTrace{}, err
	}
	trainable := make([]bool, len(m.Params()))
	for i, p := range m.Params() {
		trainable[i] = p.Group == "head.0"
	}
	opt := gm.PaperOptim()
	opt.ClipNorm = 0 // readout_recovery.py: train_readout_only_at_fixed_N clips nothing
	if o.LR > 0 {
		opt.LR = o.LR
	}
	h0 := func(i, b int) []float32 { return initState(m, c.Config.Seed, i, b) }
	var tr RecoveryTrace
	trace := func(s int) error {
		a, l, err := heldOut(ens, eval, h0)
		if err != nil {
			return err
		}
		tr.Steps, tr.HeldAcc, tr.HeldLoss = append(tr.Steps, s), append(tr.HeldAcc, a), append(tr.HeldLoss, l)
		return nil
	}
	if tr.Start, tr.StartLoss, err = heldOut(ens, eval, h0); err != nil {
		return tr, err
	}
	if o.TraceEvery > 0 {
		if err := trace(0); err != nil {
			return tr, err
		}
	}
	for s := 0; s < o.Steps; s++ {
		if err := ctx.Err(); err != nil {
			return tr, err
		}
		b, err := e.Source.Batch(ctx, task.Request{
			Task: c.Config.Task, Params: c.Config.TaskParams, N: c.N, B: c.Config.Batch,
			Seed: c.Config.Seed + evalSeedOffset, Index: uint64(s), Split: task.Train,
		})
		if err != nil {
			return tr, err
		}
		in := gm.Input{B: b.B, X: [][]float32{b.X}, T: []int{b.T}, H0: [][]float32{initState(m, c.Config.Seed+1, s, b.B)}}
		if o.TraceEvery > 0 {
			out, err := ens.Eval(gm.EvalInput{Input: in})
			if err != nil {
				return tr, err
			}
			tr.TrainAcc = append(tr.TrainAcc, gm.AccuracyPercent(out.Logits[0][0], m.Readout.Heads[0], b.Labels[0]))
		}
		if _, err := ens.TrainStep(gm.StepInput{Input: in, Labels: [][][]int32{b.Labels}, HeadWeight: [][]float32{{1}}, Trainable: [][]bool{trainable}}, opt); err != nil {
			return tr, err
		}
		if o.TraceEvery > 0 && ((s+1)%o.TraceEvery == 0 || s+1 == o.Steps) {
			if err := trace(s + 1); err != nil {
				return tr, err
			}
		}
	}
	if tr.End, tr.EndLoss, err = heldOut(ens, eval, h0); err != nil {
		return tr, err
	}
	return tr, nil
}

// RecoveryStudy is figdata.RecoveryStudy: the readout recovery of a group
// on one task (its type lives in figdata, for the appH notebook to read
// without GoMLX).
type RecoveryStudy = figdata.RecoveryStudy

// RecoveryStudyOf runs the recovery on every run at every N the runs share
// (at most maxNs, spread), with steps SGD steps and evalBatches fixed
// evaluation batches per run and N (drawn per run, as the authors do).
func (e *Env) RecoveryStudyOf(ctx context.Context, dirs []*rundir.Dir, steps, evalBatches, maxNs int) (*RecoveryStudy, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("readout recovery: no runs")
	}
	ns, err := CommonNs(dirs)
	if err != nil {
		return nil, err
	}
	s := &RecoveryStudy{Ns: spread(ns, maxNs), Steps: steps, EvalBatches: evalBatches}
	for _, d := range dirs {
		s.Nets = append(s.Nets, filepath.Base(d.Path))
		var with, without, rec, l0, l1 []float64
		for _, n := range s.Ns {
			cp, err := LoadCheckpointAt(d, n)
			if err != nil {
				return nil, err
			}
			s.Task, s.B = cp.Config.Task, cp.Config.Batch
			a, tr, err := e.recoverAt(ctx, cp, steps, evalBatches)
			if err != nil {
				return nil, err
			}
			with, without, rec = append(with, a.WithCB), append(without, a.NoCB), append(rec, a.Recovered)
			l0, l1 = append(l0, tr.StartLoss), append(l1, tr.EndLoss)
		}
		s.WithCB, s.NoCB, s.Recovered = append(s.WithCB, with), append(s.NoCB, without), append(s.Recovered, rec)
		s.NoCBLoss, s.RecoveredLoss = append(s.NoCBLoss, l0), append(s.RecoveredLoss, l1)
	}
	return s, nil
}

// EvalTrials draws a checkpoint's own fixed evaluation batches (the
// recovery's and the per-run probes' trials).
func (e *Env) EvalTrials(ctx context.Context, c Checkpoint, count int) ([]*task.Batch, error) {
	return e.evalBatches(ctx, c, count)
}

// RecoveryControl is figdata.RecoveryControl: the readout retraining at
// one N under the protocol and its two controls.
type RecoveryControl = figdata.RecoveryControl

// RecoveryControlsAt runs the protocol and its two controls on every run at
// N, each from the run's own fixed evaluation batches.
func (e *Env) RecoveryControlsAt(ctx context.Context, dirs []*rundir.Dir, n, steps, evalBatches int) ([]RecoveryControl, error) {
	conds := []struct {
		name string
		o    RecoveryOptions
	}{
		{"CB disabled, lr 0.01 (the protocol)", RecoveryOptions{Steps: steps}},
		{"CB disabled, lr 0.001", RecoveryOptions{Steps: steps, LR: 0.001}},
		{"CB kept, lr 0.01 (control)", RecoveryOptions{Steps: steps, KeepCB: true}},
	}
	out := make([]RecoveryControl, len(conds))
	for i, c := range conds {
		out[i] = RecoveryControl{N: n, Name: c.name}
	}
	for _, d := range dirs {
		cp, err := LoadCheckpointAt(d, n)
		if err != nil {
			return nil, err
		}
		bs, err := e.evalBatches(ctx, cp, evalBatches)
		if err != nil {
			return nil, err
		}
		for i, c := range conds {
			tr, err := e.RetrainReadout(ctx, cp, bs, c.o)
			if err != nil {
				return nil, err
			}
			r := &out[i]
			r.Start, r.End = append(r.Start, tr.Start), append(r.End, tr.End)
			r.StartLoss, r.EndLoss = append(r.StartLoss, tr.StartLoss), append(r.EndLoss, tr.EndLoss)
		}
	}
	return out, nil
}
