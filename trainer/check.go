package trainer

import (
	"fmt"
	"path/filepath"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// CheckTask checks the N bounds of c against what its task declares, so that
// a curriculum the task cannot serve (--max-n 5000 on a task that stops at
// 1000) is refused before anything is written, rather than failing at the
// plugin hours later.
func CheckTask(c Config, d task.Description) error {
	ns := []struct {
		what string
		n    int
	}{{"start N", c.StartN}, {"max N", c.MaxN}}
	if c.Regime == FixedN {
		ns = []struct {
			what string
			n    int
		}{{"fixed N", c.FixedN}}
	}
	for _, x := range ns {
		if x.n < d.MinN || x.n > d.MaxN {
			return fmt.Errorf("%s %d is outside the N range [%d, %d] of task %s", x.what, x.n, d.MinN, d.MaxN, d.Name)
		}
	}
	return nil
}

// checkState refuses a resume state that this run could never have written:
// a damaged or hand-edited state.json would otherwise surface as a request
// the task plugin refuses, and the plugin would take the blame.
func checkState(dir *rundir.Dir, s State, c Config, d task.Description) error {
	lo, hi := c.StartN, c.MaxN
	if c.Regime == FixedN {
		lo, hi = c.FixedN, c.FixedN
	}
	var bad string
	switch {
	case s.Epoch < 0 || s.Epoch > c.Epochs:
		bad = fmt.Sprintf("epoch %d is outside the run's budget [0, %d]", s.Epoch, c.Epochs)
	case s.N < lo || s.N > hi:
		bad = fmt.Sprintf("N=%d is outside the run's curriculum [%d, %d]", s.N, lo, hi)
	case s.Phase != PhaseAll && s.Phase != PhaseInit && s.Phase != PhaseCBOnly && s.Phase != PhaseBoth:
		bad = fmt.Sprintf("phase %q is not one of %s, %s, %s, %s", s.Phase, PhaseAll, PhaseInit, PhaseCBOnly, PhaseBoth)
	case s.Active < 0 || s.Active >= len(d.Heads):
		bad = fmt.Sprintf("active head %d does not exist (task %s has %d)", s.Active, d.Name, len(d.Heads))
	default:
		return nil
	}
	return &rundir.DamagedError{File: filepath.Join(dir.Path, rundir.StateFile), Reason: bad}
}
