package trainer

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// firstParam is the request parameter of the multi-N tasks (tasks.FirstParam)
// that names the N of head 0.
const firstParam = "first"

// Curricula beyond the paper's main ones, chosen by Config.Curriculum (the
// main ones follow from the task's declaration: single, multitask, switch).
const (
	// Continual is continual learning with savings (METHODS §3.7): a plan of
	// tasks in fixed-length phases, each task with its own N.
	Continual = "continual"
	// Cumulative adds heads for new Ns and keeps the old ones (METHODS §3.9).
	Cumulative = "cumulative"
	// Sliding keeps a window of Ns, forgetting the oldest (METHODS §3.9).
	Sliding = "sliding"
)

// PerTaskOnce is the regime the continual curriculum adds (METHODS §3.7; the
// authors' reservoir mode per_task_once): the recurrent weights train until a
// task's first advance, then only the CB trains while that task is active.
// The curriculum's other regimes are Standard (their off), FrozenCore
// (global_once) and PeriodicCore (periodic_refresh).
const PerTaskOnce = "per-task-once"

// Curricula holds the settings of the curricula of METHODS §3.7–3.9. The
// zero value is the paper's main protocol, and every field is omitted from
// config.json when zero, so the runs of the main figures keep their hashes.
type Curricula struct {
	// Curriculum is "" (decided by the task), Continual, Cumulative or
	// Sliding.
	Curriculum string `json:"curriculum,omitempty"`

	// Continual (the authors' --continual_plan, --continual_epochs_per_phase,
	// --continual_patience): the plan names the task's heads in training
	// order, comma-separated, and cycles; every head must appear in it.
	Plan           string `json:"plan,omitempty"`
	EpochsPerPhase int    `json:"epochs_per_phase,omitempty"` // 100
	Patience       int    `json:"patience,omitempty"`         // epochs ≥ threshold in a row before an advance (0 = 1)

	// Cumulative and sliding (--init_heads, --add_heads, --forget_heads;
	// 0 = the authors' default 1).
	InitHeads   int `json:"init_heads,omitempty"`
	AddHeads    int `json:"add_heads,omitempty"`
	ForgetHeads int `json:"forget_heads,omitempty"`

	// AdvanceEvery > 0 is the fixed-schedule curriculum (METHODS §3.8,
	// --advance_every_epochs): N advances every AdvanceEvery epochs whatever
	// the accuracy, up to MaxN (their --target_end_n).
	AdvanceEvery int `json:"advance_every,omitempty"`
}

// FixedSchedule reports whether the run follows the fixed-schedule
// curriculum (METHODS §3.8). It is not a value of Curriculum because
// config.json has always said it with advance_every alone, and a run's hash
// must not change.
func (c Curricula) FixedSchedule() bool { return c.AdvanceEvery > 0 }

// DefaultPlan is the authors' --continual_plan.
const DefaultPlan = "dms,parity,dms"

// PlanNames splits a plan into its task names.
func PlanNames(plan string) []string {
	var out []string
	for _, s := range strings.Split(plan, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func orOne(v int) int { return max(v, 1) }

func (c Curricula) patience() int { return orOne(c.Patience) }

// window is the number of Ns (heads) a sliding run trains: the authors'
// INIT_HEADS = max(init_heads, forget_heads).
func (c Curricula) window() int { return max(orOne(c.InitHeads), orOne(c.ForgetHeads)) }

// validateCurricula checks the curriculum settings against the regime; the
// task-dependent checks are in newCurriculum.
func (c Config) validateCurricula() error {
	k := c.Curricula
	for _, f := range []struct {
		name string
		v    int
	}{{"epochs per phase", k.EpochsPerPhase}, {"patience", k.Patience}, {"init heads", k.InitHeads},
		{"add heads", k.AddHeads}, {"forget heads", k.ForgetHeads}, {"advance every", k.AdvanceEvery}} {
		if f.v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", f.name, f.v)
		}
	}
	continual := k.Plan != "" || k.EpochsPerPhase != 0 || k.Patience != 0
	heads := k.InitHeads != 0 || k.AddHeads != 0 || k.ForgetHeads != 0
	switch k.Curriculum {
	case "":
		if continual || heads {
			return fmt.Errorf("plan, epochs per phase, patience and head counts need a curriculum (continual, cumulative or sliding)")
		}
	case Continual:
		if len(PlanNames(k.Plan)) == 0 {
			return fmt.Errorf("curriculum continual needs a plan of tasks, e.g. %q", DefaultPlan)
		}
		if k.EpochsPerPhase <= 0 {
			return fmt.Errorf("curriculum continual needs epochs per phase > 0, got %d", k.EpochsPerPhase)
		}
		if heads || k.AdvanceEvery != 0 {
			return fmt.Errorf("curriculum continual takes no head counts and no fixed schedule")
		}
		switch c.Regime {
		case Standard, FrozenCore, PeriodicCore, PerTaskOnce:
		default:
			return fmt.Errorf("curriculum continual takes regime %s, %s, %s or %s (the authors' off, global_once, periodic_refresh, per_task_once), not %s",
				Standard, FrozenCore, PeriodicCore, PerTaskOnce, c.Regime)
		}
	case Cumulative, Sliding:
		if continual {
			return fmt.Errorf("curriculum %s takes no plan, epochs per phase or patience", k.Curriculum)
		}
		if c.Regime != Standard {
			return fmt.Errorf("curriculum %s trains every parameter (the authors' train has no reservoir), not regime %s", k.Curriculum, c.Regime)
		}
		if k.Curriculum == Cumulative && k.ForgetHeads != 0 {
			return fmt.Errorf("curriculum cumulative forgets nothing: forget heads is for sliding")
		}
		if k.Curriculum == Sliding && k.AddHeads != 0 {
			return fmt.Errorf("curriculum sliding adds as many Ns as it forgets: add heads is for cumulative")
		}
	default:
		return fmt.Errorf("unknown curriculum %q (want %s, %s or %s)", k.Curriculum, Continual, Cumulative, Sliding)
	}
	if k.FixedSchedule() && c.Regime != Standard {
		return fmt.Errorf("the fixed schedule (advance every %d epochs) is a curriculum of the standard regime (the authors' train), not of %s", k.AdvanceEvery, c.Regime)
	}
	return nil
}

// checkCurricula checks what the curricula of METHODS §3.7–3.9 need of the
// task, and resolves the continual plan to head indices.
func (cu *curriculum) checkCurricula() error {
	c, d := cu.cfg, cu.desc
	if c.FixedSchedule() && cu.kind != Single && cu.kind != Cumulative && cu.kind != Sliding {
		return fmt.Errorf("the fixed schedule needs a single, cumulative or sliding curriculum, and task %s is %s", d.Name, cu.kind)
	}
	switch cu.kind {
	case Continual:
		if kindOf(d) != Switching {
			return fmt.Errorf("curriculum continual needs a task with a switch pulse and an %q parameter (e.g. switch); %s is a %s task", switchParam, d.Name, kindOf(d))
		}
		seen := map[int]bool{}
		for _, name := range PlanNames(c.Plan) {
			h := slices.Index(d.HeadNames, name)
			if h < 0 {
				return fmt.Errorf("plan names %q, which is not a head of task %s (heads %v)", name, d.Name, d.HeadNames)
			}
			cu.plan = append(cu.plan, h)
			if !seen[h] {
				seen[h] = true
				cu.planHeads = append(cu.planHeads, h)
			}
		}
		if len(seen) != len(d.Heads) {
			return fmt.Errorf("plan %q must name every head of task %s %v: the model has one head per task of the plan (tasks/continual.py)", c.Plan, d.Name, d.HeadNames)
		}
	case Cumulative, Sliding:
		if !slices.ContainsFunc(d.Params, func(p task.Param) bool { return p.Key == firstParam }) {
			return fmt.Errorf("curriculum %s labels several Ns on one sequence: it needs a multi-N task (dms_multin, parity_multin), and %s has no parameter %q", cu.kind, d.Name, firstParam)
		}
		if cu.kind == Cumulative && c.MaxN > c.StartN+len(d.Heads)-1 {
			return fmt.Errorf("curriculum cumulative needs a head per N from %d to max N %d, and task %s has %d heads", c.StartN, c.MaxN, d.Name, len(d.Heads))
		}
		if c.StartN+orOne(c.InitHeads)-1 > c.MaxN || c.StartN+c.window()-1 > c.MaxN {
			return fmt.Errorf("the first Ns (%d heads from N=%d) pass max N %d", max(orOne(c.InitHeads), c.window()), c.StartN, c.MaxN)
		}
	}
	return nil
}

// ModelHeads returns the heads of a task (classes per head) that the model
// reads out: all of them, except in the sliding curriculum, whose model has
// one head per N of its window (training/train.py: NUM_READOUT_HEADS =
// INIT_HEADS).
func (c Curricula) ModelHeads(heads []int) []int {
	if c.Curriculum == Sliding && len(heads) >= c.window() {
		return heads[:c.window()]
	}
	return heads
}

// checkpoint is what an epoch asks to save: the weights under N (the model
// that solved N, or with the fixed schedule the model at each advance) or,
// for the continual curriculum, under a name per task and epoch.
type checkpoint struct {
	save bool
	n    int
	name string // non-empty: a named checkpoint (continual)
	meta map[string]string
}

func (ck checkpoint) write(d *rundir.Dir, ts []safetensors.Tensor) error {
	if !ck.save {
		return nil
	}
	if ck.name != "" {
		return d.SaveNamedCheckpoint(ck.name, ts, ck.meta)
	}
	return d.SaveCheckpoint(ck.n, ts, ck.meta)
}

// conclude turns one finished epoch's per-head test accuracies (%) into the
// rest of its stats line and the next state, and says what to checkpoint.
func (cu *curriculum) conclude(s State, accs []float64, st *EpochStats) (State, checkpoint) {
	if cu.kind == Continual {
		return cu.concludeContinual(s, accs, st)
	}
	heads := cu.activeHeads(s)
	if cu.kind == Switching {
		st.Active = cu.desc.HeadNames[s.Active]
	}
	switch cu.kind {
	case Cumulative, Sliding:
		// The authors' metric_classification: the mean over the active
		// heads, recorded per N of the run (head j ↔ N = Low + j).
		st.Low, st.Heads = s.Low, s.N-s.Low+1
		sum := 0.0
		for h, on := range heads {
			if on {
				st.HeadAcc = append(st.HeadAcc, accs[h])
				sum += accs[h]
			}
		}
		st.TestAcc = sum / float64(st.Heads)
	default:
		// The advance criterion is the worst active head: a multitask
		// network advances when it solves both tasks.
		st.TestAcc = math.Inf(1)
		for h, acc := range accs {
			if len(accs) > 1 {
				st.HeadAcc = append(st.HeadAcc, acc)
			}
			if heads[h] {
				st.TestAcc = min(st.TestAcc, acc)
			}
		}
	}
	next, solved := cu.step(s, st.TestAcc)
	st.Solved = solved
	meta := map[string]string{"n": fmt.Sprint(s.N), "epoch": fmt.Sprint(next.Epoch)}
	if st.Heads > 0 {
		meta["low"] = fmt.Sprint(st.Low)
	}
	ck := checkpoint{save: solved, n: s.N, meta: meta}
	if cu.cfg.FixedSchedule() {
		// The fixed schedule saves the model at every advance, solved or not
		// (training/train.py: train saves before advancing Ns).
		ck.save = next.LastAdvance != s.LastAdvance
		meta["solved"] = fmt.Sprint(solved)
	}
	return next, ck
}
