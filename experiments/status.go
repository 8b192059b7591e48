package experiments

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// RunState is where a run stands, read from its directory.
type RunState string

// The states of a run.
const (
	NotStarted  RunState = "not started" // no directory, or no epoch and no state
	Running     RunState = "running"     // a process on this machine holds its lock
	Interrupted RunState = "interrupted" // started, not finished, nobody training it here
	Finished    RunState = "finished"    // done.json
	// Unreadable: the folder is not a readable run (no or a corrupt
	// config.json, no permission); Err says why.
	Unreadable RunState = "unreadable"
	// Damaged: a file of the run fails the checks training applies
	// (trainer.Damage), so training refuses to resume it; Err says which
	// file and why.
	Damaged RunState = "damaged"
)

// RunStatus is one run's progress, from its directory alone.
type RunStatus struct {
	Path   string
	State  RunState
	Epoch  int    // epochs completed
	Budget int    // the run's epoch budget
	N      int    // N of the last completed epoch (0 if none)
	Batch  int    // batches done in a stopped epoch (0: stopped at an epoch boundary)
	Reason string // why a finished run stopped
	// EpochS is the mean wall time of the last completed epochs (up to
	// five), the basis of the ETA.
	EpochS float64
	// ETA bounds the time left: the epochs left of the budget at EpochS (a
	// run also stops early when N reaches its maximum). 0 when unknown or
	// finished.
	ETA time.Duration
	// Updated is the last time the run wrote its stats or state.
	Updated time.Time
	// LockKnown is false where this machine cannot tell whether the run's
	// lock is held (Running is then never reported).
	LockKnown bool
	Err       error // why the run is Unreadable or Damaged
}

// InspectRun reads a run directory's progress. It never fails: a problem is
// in Err.
func InspectRun(path string) RunStatus {
	s := RunStatus{Path: path, State: NotStarted, LockKnown: true}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return s
	}
	d, err := rundir.Open(path)
	if err != nil {
		s.State, s.Err = Unreadable, err
		return s
	}
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil {
		s.State, s.Err = Unreadable, err
		return s
	}
	s.Budget = c.Epochs
	// A run that a process here is training is not checked: its files
	// change under the reader.
	if held, _ := d.LockHeld(); !held {
		if err := damage(d); err != nil {
			return s.damaged(d, err)
		}
	}
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil {
		s.State, s.Err = Damaged, err
		return s
	}
	s.Epoch = len(st)
	if len(st) > 0 {
		s.N = st[len(st)-1].N
		recent := st[max(0, len(st)-5):]
		for _, e := range recent {
			s.EpochS += e.WallS
		}
		s.EpochS /= float64(len(recent))
	}
	for _, f := range []string{rundir.StatsFile, rundir.StateFile, rundir.DoneFile} {
		if fi, err := os.Stat(filepath.Join(path, f)); err == nil && fi.ModTime().After(s.Updated) {
			s.Updated = fi.ModTime()
		}
	}
	done, err := d.Done()
	if err != nil {
		s.State, s.Err = Unreadable, err
		return s
	}
	if done {
		s.State = Finished
		var final trainer.State
		if err := d.ReadDone(&final); err == nil {
			s.Reason = final.Reason
		}
		return s
	}
	p, err := trainer.ReadPartial(d)
	if err != nil {
		s.State, s.Err = Damaged, err
		return s
	}
	if p != nil {
		s.Batch = p.Step
	}
	held, known := d.LockHeld()
	s.LockKnown = known
	switch {
	case held:
		s.State = Running
	case s.Epoch > 0 || p != nil:
		s.State = Interrupted
	}
	if s.EpochS > 0 {
		s.ETA = time.Duration(float64(s.Budget-s.Epoch) * s.EpochS * float64(time.Second))
	}
	return s
}

// damage is why training would refuse the run's files (trainer.Damage);
// a finished run, which is not resumed, only needs readable stats.
func damage(d *rundir.Dir) error {
	if done, err := d.Done(); err == nil && done {
		_, err := rundir.ReadStats[trainer.EpochStats](d)
		return err
	}
	return trainer.Damage(d)
}

// damaged sets s to Damaged (or Unreadable, for an I/O error rather than
// the run's content) with err as the reason.
func (s RunStatus) damaged(d *rundir.Dir, err error) RunStatus {
	s.State, s.Err = Damaged, err
	if !trainer.IsDamage(err) {
		s.State = Unreadable
	}
	if st, err := rundir.ReadStats[trainer.EpochStats](d); err == nil {
		s.Epoch = len(st)
	}
	return s
}

// Progress is the status in a few words: "epoch 12/150, N=5, batch 3",
// "finished after 150 epochs (budget)", "not started".
func (s RunStatus) Progress() string {
	switch {
	case s.Err != nil:
		return string(s.State) + ": " + s.Err.Error()
	case s.State == NotStarted:
		return string(NotStarted)
	case s.State == Finished:
		r := ""
		if s.Reason != "" {
			r = ", " + s.Reason
		}
		return fmt.Sprintf("finished after %d epochs%s", s.Epoch, r)
	}
	out := fmt.Sprintf("%s, epoch %d/%d", s.State, s.Epoch, s.Budget)
	if s.N > 0 {
		out += fmt.Sprintf(", N=%d", s.N)
	}
	if s.Batch > 0 {
		out += fmt.Sprintf(", stopped at batch %d of epoch %d", s.Batch, s.Epoch+1)
	}
	return out
}

// Status inspects every run the figures ids need (all if empty), each once,
// in Needs' order.
func (e *Env) Status(ctx context.Context, p Profile, ids []string) ([]RunStatus, error) {
	cfgs, err := e.Needs(ctx, p, ids)
	if err != nil {
		return nil, err
	}
	var out []RunStatus
	seen := map[string]bool{}
	for _, c := range cfgs {
		path, err := e.RunPath(c)
		if err != nil {
			return nil, err
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		out = append(out, InspectRun(path))
	}
	return out, nil
}
