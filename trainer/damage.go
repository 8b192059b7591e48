package trainer

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// NoStateError refuses to train a run that completed epochs but has no
// state.json: its resume point is gone (deleted, or lost with a disk), and
// starting again from epoch 0 would silently truncate its stats. One stats
// line without a state is what a kill between the first epoch's stats line
// and its state leaves, and is resumed from epoch 0 as before.
type NoStateError struct {
	Run    string
	Epochs int  // completed epochs in stats.jsonl
	Done   bool // done.json is present
}

func (e *NoStateError) Error() string {
	what := fmt.Sprintf("completed %d epochs (%s)", e.Epochs, rundir.StatsFile)
	if e.Done {
		what = fmt.Sprintf("finished (%s)", rundir.DoneFile)
	}
	return fmt.Sprintf("run %s has %s but no %s: its resume point is gone, and starting again from epoch 0 would discard them. "+
		"Restore %s (and the state-….safetensors it names) from a backup, or start the run afresh in another folder",
		e.Run, what, filepath.Join(e.Run, rundir.StateFile), rundir.StateFile)
}

// checkNoState is Train's check of a run without a resume state.
func checkNoState(d *rundir.Dir) error {
	st, err := rundir.ReadStats[EpochStats](d)
	if err != nil {
		return err
	}
	done, err := d.Done()
	if err != nil {
		return err
	}
	if len(st) > 1 || done {
		return &NoStateError{Run: d.Path, Epochs: len(st), Done: done}
	}
	return nil
}

// Damage returns why Train would refuse to resume the run in d because of
// its files, nil if it would not: stats lines that are not consecutive
// epochs, a resume state that fails its checksums, holds a non-finite value,
// does not fit the model or is outside the run's curriculum, completed
// epochs without a state, or a missing or damaged provenance.json. It reads
// the directory only (no task plugin), for `cbrnn status`; a finished run
// is checked as well, since figures read it.
func Damage(d *rundir.Dir) error {
	var c Config
	if err := d.ReadConfig(&c); err != nil {
		return err
	}
	st, err := rundir.ReadStats[EpochStats](d)
	if err != nil {
		return err
	}
	var meta resumeMeta
	ts, found, err := d.LoadState(&meta)
	switch {
	case err != nil:
		return err
	case !found:
		return checkNoState(d)
	case meta.Epoch > len(st):
		return &rundir.DamagedError{File: filepath.Join(d.Path, rundir.StatsFile),
			Reason: fmt.Sprintf("it holds %d epochs, but %s is at epoch %d", len(st), rundir.StateFile, meta.Epoch)}
	}
	if c.Model.Validate() == nil {
		if _, err := FromTensors(c.Model, ts, ""); err != nil {
			return &rundir.DamagedError{File: filepath.Join(d.Path, rundir.StateFile), Reason: "its tensors do not fit the run's model: " + err.Error()}
		}
		heads := make([]int, len(c.Model.Readout.Heads))
		if err := checkState(d, meta.State, c, task.Description{Name: c.Task, Heads: heads}); err != nil {
			return err
		}
	}
	_, err = readProvenance(d)
	return err
}

// IsDamage reports whether err, from Train or Damage, is about a run's files
// rather than about this machine or process.
func IsDamage(err error) bool {
	var (
		de *rundir.DamagedError
		ns *NoStateError
		pe *ProvenanceError
	)
	return errors.As(err, &de) || errors.As(err, &ns) || errors.As(err, &pe)
}
