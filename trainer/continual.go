package trainer

import (
	"fmt"
	"slices"
)

// The continual curriculum (METHODS §3.7), as the authors' tasks/continual.py:
// continual_train runs it. A plan of tasks (e.g. dms, parity, dms) is
// trained in phases of EpochsPerPhase epochs each, the plan cycling until the
// epoch budget ends. Every task keeps its own N. In a phase only the active
// task's head trains (the others are frozen); after each epoch every task of
// the plan is tested at its own N; the active task advances after Patience
// epochs in a row at ≥ Threshold. A phase restarts its task one below the
// last N it solved. The input is the switch task's (bits and the three-step
// pulse channel), whose "active" parameter names the task.

// ContinualState is the continual curriculum's part of a run's state.
type ContinualState struct {
	Phase      int  `json:"phase"`       // plan phase (0-based); its task is the plan's entry Phase mod len(plan)
	PhaseEpoch int  `json:"phase_epoch"` // epochs done in this phase
	CoreFrozen bool `json:"core_frozen,omitempty"`
	// Tasks holds one entry per head of the task, in head order.
	Tasks []TaskState `json:"tasks"`
}

// TaskState is one task's place in the continual curriculum.
type TaskState struct {
	N      int  `json:"n"`                // N it is tested (and, when active, trained) at
	Solved int  `json:"solved"`           // N its next phase restarts at (the authors' solved_N)
	Streak int  `json:"streak,omitempty"` // epochs in a row at ≥ threshold while active
	Done   bool `json:"done,omitempty"`   // reached max N (their target_end_n)
	Warm   bool `json:"warm,omitempty"`   // per-task-once, periodic-core: its first advance happened
}

func (cs *ContinualState) clone() *ContinualState {
	out := *cs
	out.Tasks = slices.Clone(cs.Tasks)
	return &out
}

// initialContinual starts every task at StartN and opens phase 0.
func (cu *curriculum) initialContinual(s State) State {
	cs := &ContinualState{Tasks: make([]TaskState, len(cu.desc.Heads))}
	for t := range cs.Tasks {
		cs.Tasks[t] = TaskState{N: cu.cfg.StartN, Solved: cu.cfg.StartN}
	}
	s.Continual = cs
	cu.startPhase(&s, 0)
	return s
}

// startPhase opens plan phase p: its task restarts at its solved N and the
// regime's phase is decided once, from that N (the authors decide it at the
// phase start and change it inside the phase only at a task's first advance). A
// run whose every task has reached max N stops instead (checked, as theirs,
// only when a phase would start).
func (cu *curriculum) startPhase(s *State, p int) {
	cs := s.Continual
	if !slices.ContainsFunc(cs.Tasks, func(t TaskState) bool { return !t.Done }) {
		s.Done, s.Reason = true, fmt.Sprintf("every task reached N=%d", cu.cfg.MaxN)
		return
	}
	cs.Phase, cs.PhaseEpoch = p, 0
	a := cu.plan[p%len(cu.plan)]
	t := &cs.Tasks[a]
	t.N = t.Solved
	s.Active, s.N = a, t.N
	s.Phase = cu.regimePhase(cs, a, t.N)
}

// regimePhase is the phase a continual phase starts in, by regime. The
// regimes are the authors' reservoir modes: Standard = off (everything trains); FrozenCore =
// global_once (the recurrent weights train, CB frozen, until the first
// advance of any task, then the CB trains and the recurrent weights stay
// frozen); PerTaskOnce = per_task_once (the same, per task); PeriodicCore =
// periodic_refresh (as per_task_once, and the recurrent weights train as well
// in a phase whose starting N satisfies N > StartN, (N − StartN) mod k = 0).
// Under every regime the input weights and the active head train
// (tasks/continual.py: _set_active_task freezes only hh.* and cb.*).
func (cu *curriculum) regimePhase(cs *ContinualState, a, startN int) string {
	c := cu.cfg
	warm := cs.Tasks[a].Warm
	switch c.Regime {
	case FrozenCore:
		warm = cs.CoreFrozen
	case PeriodicCore:
		if warm && startN > c.StartN && (startN-c.StartN)%c.Period == 0 {
			return PhaseBoth
		}
	case Standard:
		return PhaseAll
	}
	if warm {
		return PhaseCBOnly
	}
	return PhaseInit
}

// concludeContinual applies one epoch: the active task's streak, advance
// and restart point, the regime's phase change at its first advance, the end
// of the phase and the budget.
func (cu *curriculum) concludeContinual(s State, accs []float64, st *EpochStats) (State, checkpoint) {
	c := cu.cfg
	a := s.Active
	st.Active = cu.desc.HeadNames[a]
	st.PlanPhase = s.Continual.Phase
	st.HeadAcc = slices.Clone(accs)
	for _, t := range s.Continual.Tasks {
		st.HeadN = append(st.HeadN, t.N) // before any advance, as theirs records
	}
	st.TestAcc = accs[a]

	next := s
	next.Continual = s.Continual.clone()
	cs := next.Continual
	next.Epoch++
	cs.PhaseEpoch++
	t := &cs.Tasks[a]
	if accs[a] >= c.Threshold {
		t.Streak++
	} else {
		t.Streak = 0
	}
	var ck checkpoint
	if t.Streak >= c.patience() {
		t.Streak = 0
		old := t.N
		st.Solved = true
		// checkpoints/{task}_continual_ep{global epoch}_N{old}.pt in theirs.
		ck = checkpoint{save: true, name: fmt.Sprintf("%s-ep%04d-N%03d", st.Active, next.Epoch, old),
			meta: map[string]string{"task": st.Active, "n": fmt.Sprint(old), "epoch": fmt.Sprint(next.Epoch)}}
		// The regime's phase changes once, at the first advance out of the
		// start N, and at once (not at the next phase).
		if old <= c.StartN {
			switch c.Regime {
			case FrozenCore:
				if !cs.CoreFrozen {
					cs.CoreFrozen = true
					next.Phase = PhaseCBOnly
				}
			case PerTaskOnce, PeriodicCore:
				if !t.Warm {
					t.Warm = true
					next.Phase = PhaseCBOnly
				}
			}
		}
		t.Solved = max(c.StartN, old-1) // restart_n_offset = −1
		if old < c.MaxN {
			t.N = old + 1
		}
		t.Done = t.N >= c.MaxN
		next.N = t.N
	}
	switch {
	case next.Epoch >= c.Epochs:
		next.Done, next.Reason = true, fmt.Sprintf("epoch budget %d spent", c.Epochs)
	case cs.PhaseEpoch >= c.EpochsPerPhase:
		cu.startPhase(&next, cs.Phase+1)
	}
	return next, ck
}

// ContinualPhases splits a continual run's stats into its plan phases: the
// active task of each and that task's test accuracy at every epoch of the
// phase (the authors' acc_{task}_phase{p}).
func ContinualPhases(st []EpochStats, headNames []string) ([]Phase, error) {
	var out []Phase
	for i, s := range st {
		h := slices.Index(headNames, s.Active)
		if h < 0 || h >= len(s.HeadAcc) {
			return nil, fmt.Errorf("epoch %d: active task %q has no recorded accuracy (heads %v): not a continual run", s.Epoch, s.Active, headNames)
		}
		if i == 0 || s.PlanPhase != st[i-1].PlanPhase {
			if len(out) != s.PlanPhase {
				return nil, fmt.Errorf("epoch %d starts plan phase %d after %d phases", s.Epoch, s.PlanPhase, len(out))
			}
			out = append(out, Phase{Task: s.Active})
		}
		p := &out[len(out)-1]
		if p.Task != s.Active {
			return nil, fmt.Errorf("epoch %d trains %s inside a phase of %s", s.Epoch, s.Active, p.Task)
		}
		p.Acc = append(p.Acc, s.HeadAcc[h])
	}
	return out, nil
}
