package trainer

import (
	"fmt"
	"strings"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Curriculum kinds, decided by what the task declares.
const (
	Single    = "single"    // one head
	Multitask = "multitask" // several heads on one sequence, all trained, one shared N
	Switching = "switch"    // one head per task, only the active one trains
)

// switchParam is the request parameter a switching task declares to learn
// which head is active.
const switchParam = "active"

// kindOf derives the curriculum from a task's declaration: a task that takes
// an "active" parameter is a switching task, one with several heads is a
// multitask, anything else is single. New tasks get the right curriculum
// without the trainer knowing their names.
func kindOf(d task.Description) string {
	for _, p := range d.Params {
		if p.Key == switchParam {
			return Switching
		}
	}
	if len(d.Heads) > 1 {
		return Multitask
	}
	return Single
}

// State is a run's position in its curriculum; it is saved after every epoch
// so that a killed run resumes exactly.
type State struct {
	Epoch  int    `json:"epoch"` // epochs completed
	N      int    `json:"n"`     // N to train next (cumulative, sliding: the largest)
	Phase  string `json:"phase"`
	Active int    `json:"active,omitempty"` // switching, continual: index of the active head
	Done   bool   `json:"done"`
	Reason string `json:"reason,omitempty"` // why it stopped
	// Low is the smallest N of a cumulative or sliding run (their Ns[0]).
	Low int `json:"low,omitempty"`
	// LastAdvance is the epoch count at the fixed schedule's last advance.
	LastAdvance int `json:"last_advance,omitempty"`
	// Continual is the per-task state of the continual curriculum.
	Continual *ContinualState `json:"continual,omitempty"`
}

func initialState(c Config) State {
	s := State{N: c.StartN, Phase: PhaseAll}
	switch c.Regime {
	case FixedN:
		s.N = c.FixedN
	case FrozenCore, PeriodicCore:
		s.Phase = PhaseInit
		if c.FreezeAfterN == FreezeAtStart {
			s.Phase = PhaseCBOnly
		}
	}
	switch c.Curriculum {
	case Cumulative:
		// training/train.py: Ns_init = [START_N, …, START_N + init_heads − 1].
		s.Low, s.N = c.StartN, c.StartN+orOne(c.InitHeads)-1
	case Sliding:
		s.Low, s.N = c.StartN, c.StartN+c.window()-1
	}
	return s
}

// initial is the state a run starts from.
func (cu *curriculum) initial() State {
	s := initialState(cu.cfg)
	if cu.kind == Continual {
		s = cu.initialContinual(s)
	}
	return s
}

// curriculum holds what a run needs to turn its State into training
// choices: which parameters train and which heads count.
type curriculum struct {
	cfg    Config
	kind   string
	desc   task.Description
	params []gm.ParamSpec
	// Continual: the plan as head indices, and its heads in first-seen
	// order (the authors' task_names, the order tasks are tested in).
	plan, planHeads []int
}

func newCurriculum(c Config, d task.Description) (*curriculum, error) {
	cu := &curriculum{cfg: c, kind: kindOf(d), desc: d, params: c.Model.Params()}
	if c.Curriculum != "" {
		cu.kind = c.Curriculum
	}
	if err := cu.checkCurricula(); err != nil {
		return nil, err
	}
	// A sliding model reads the first window heads of its multi-N task.
	d.Heads = c.ModelHeads(d.Heads)
	if len(d.HeadNames) > len(d.Heads) {
		d.HeadNames = d.HeadNames[:len(d.Heads)]
	}
	cu.desc = d
	heads := c.Model.Readout.Heads
	if len(d.Heads) != len(heads) {
		return nil, fmt.Errorf("task %s has %d heads %v, model has %d %v", d.Name, len(d.Heads), d.Heads, len(heads), heads)
	}
	for i := range d.Heads {
		if d.Heads[i] != heads[i] {
			return nil, fmt.Errorf("task %s head %d has %d classes, model head has %d", d.Name, i, d.Heads[i], heads[i])
		}
	}
	if d.Labels == task.PerStep && !c.Model.Readout.PerStep {
		return nil, fmt.Errorf("task %s labels every step, but model %s reads out on the last step only (choose a model with a per-step readout, e.g. seed-sketch)", d.Name, c.ModelName)
	}
	if d.Inputs != c.Model.Inputs {
		return nil, fmt.Errorf("task %s has %d input channels, model expects %d", d.Name, d.Inputs, c.Model.Inputs)
	}
	if cu.kind == Switching && len(d.HeadNames) != len(d.Heads) {
		return nil, fmt.Errorf("switching task %s must name its heads", d.Name)
	}
	return cu, nil
}

// activeHeads says which heads train and are tested now.
func (cu *curriculum) activeHeads(s State) []bool {
	on := make([]bool, len(cu.desc.Heads))
	switch cu.kind {
	case Switching, Continual:
		on[s.Active] = true
	case Cumulative:
		// Head j serves N = Low + j; the heads of Ns not reached yet wait.
		for j := 0; j <= s.N-s.Low; j++ {
			on[j] = true
		}
	default:
		for i := range on {
			on[i] = true
		}
	}
	return on
}

// headWeights weights each head's mean cross-entropy in the loss: the sum
// over tasks for multitask, the active head alone for switching.
func (cu *curriculum) headWeights(s State) []float32 {
	w := make([]float32, len(cu.desc.Heads))
	for i, on := range cu.activeHeads(s) {
		if on {
			w[i] = 1
		}
	}
	return w
}

// trainable is the per-parameter freeze mask for the run's phase. The
// frozen/periodic regimes freeze the whole core on single tasks; on
// multi-head tasks only the recurrent weights (W_h, b_h), so that input
// weights and heads stay plastic (METHODS §2).
func (cu *curriculum) trainable(s State) []bool {
	heads := cu.activeHeads(s)
	mask := make([]bool, len(cu.params))
	for i, p := range cu.params {
		switch {
		case strings.HasPrefix(p.Group, "head."):
			var h int
			fmt.Sscanf(p.Group, "head.%d", &h)
			mask[i] = heads[h]
		case p.Group == gm.GroupCB:
			// A per-task module trains only while its task's head does: an
			// idle task's module keeps its weights (and its momentum).
			k, perTask := cu.cfg.Model.CBTask(p.Name)
			mask[i] = s.Phase != PhaseInit && (!perTask || heads[k])
		case p.Group == gm.GroupCoreRecurrent:
			mask[i] = s.Phase != PhaseCBOnly
		case p.Group == gm.GroupCoreInput:
			mask[i] = s.Phase != PhaseCBOnly || cu.kind != Single
		default:
			mask[i] = true
		}
	}
	return mask
}

// requestParams returns the task parameters of the next requests: the configured
// ones plus, for switching, the active task.
func (cu *curriculum) requestParams(s State) map[string]string {
	p := map[string]string{}
	for k, v := range cu.cfg.TaskParams {
		p[k] = v
	}
	switch cu.kind {
	case Switching, Continual:
		p[switchParam] = cu.desc.HeadNames[s.Active]
	case Cumulative, Sliding:
		p[firstParam] = fmt.Sprint(s.Low)
	}
	return p
}

// step applies one finished epoch's test accuracy to the state: advance N,
// change phase, switch task, or stop. solved reports whether the epoch's N
// was solved. N advances when it is solved or, with the fixed schedule
// (METHODS §3.8, training/train.py: train), when AdvanceEvery epochs have
// passed since the last advance (the first after AdvanceEvery epochs),
// whatever the accuracy; either way not past MaxN, and the run stops once
// N ≥ MaxN is solved.
func (cu *curriculum) step(s State, acc float64) (next State, solved bool) {
	c := cu.cfg
	next = s
	next.Epoch++
	solved = acc >= c.Threshold
	advance := solved
	if c.FixedSchedule() {
		advance = s.Epoch+1-s.LastAdvance >= c.AdvanceEvery
	}
	switch {
	case solved && c.Regime == FixedN:
		next.Done, next.Reason = true, fmt.Sprintf("solved N=%d", s.N)
	case solved && s.N >= c.MaxN:
		next.Done, next.Reason = true, fmt.Sprintf("reached max N=%d", c.MaxN)
	case advance && s.N < c.MaxN:
		if c.FixedSchedule() {
			next.LastAdvance = next.Epoch
		}
		switch cu.kind {
		case Cumulative:
			// Ns += [N+1, …, N+add_heads], capped at the last head's N.
			next.N = min(s.N+orOne(c.AddHeads), c.MaxN)
		case Sliding:
			// Ns = Ns[forget:] + [N+1, …, N+forget]: the window moves.
			shift := min(orOne(c.ForgetHeads), c.MaxN-s.N)
			next.Low, next.N = s.Low+shift, s.N+shift
		default:
			next.N = s.N + 1
		}
		if c.Regime == FrozenCore || c.Regime == PeriodicCore {
			next.Phase = PhaseCBOnly
			if s.Phase == PhaseInit && s.N < c.FreezeAfterN {
				next.Phase = PhaseInit // the core trains on until N = FreezeAfterN is solved
			}
			if c.Regime == PeriodicCore && next.N-c.StartN > 0 && (next.N-c.StartN)%c.Period == 0 {
				next.Phase = PhaseBoth
			}
		}
		if cu.kind == Switching && c.SwitchEvery > 0 && next.N%c.SwitchEvery == 0 {
			next.Active = (s.Active + 1) % len(cu.desc.Heads)
		}
	}
	if !next.Done && next.Epoch >= c.Epochs {
		next.Done, next.Reason = true, fmt.Sprintf("epoch budget %d spent", c.Epochs)
	}
	return next, solved
}
