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
	N      int    `json:"n"`     // N to train next
	Phase  string `json:"phase"`
	Active int    `json:"active,omitempty"` // switching: index of the active head
	Done   bool   `json:"done"`
	Reason string `json:"reason,omitempty"` // why it stopped
}

func initialState(c Config) State {
	s := State{N: c.StartN, Phase: PhaseAll}
	switch c.Regime {
	case FixedN:
		s.N = c.FixedN
	case FrozenCore, PeriodicCore:
		s.Phase = PhaseInit
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
}

func newCurriculum(c Config, d task.Description) (*curriculum, error) {
	cu := &curriculum{cfg: c, kind: kindOf(d), desc: d, params: c.Model.Params()}
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
	case Switching:
		on[s.Active] = true
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
// weights and heads stay plastic (SPEC §2).
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
			mask[i] = s.Phase != PhaseInit
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

// params returns the task parameters of the next requests: the configured
// ones plus, for switching, the active task.
func (cu *curriculum) requestParams(s State) map[string]string {
	p := map[string]string{}
	for k, v := range cu.cfg.TaskParams {
		p[k] = v
	}
	if cu.kind == Switching {
		p[switchParam] = cu.desc.HeadNames[s.Active]
	}
	return p
}

// step applies one finished epoch's test accuracy to the state: advance N,
// change phase, switch task, or stop. solved reports whether the epoch's N
// was solved (the caller checkpoints that model).
func (cu *curriculum) step(s State, acc float64) (next State, solved bool) {
	c := cu.cfg
	next = s
	next.Epoch++
	solved = acc >= c.Threshold
	if solved {
		switch {
		case c.Regime == FixedN:
			next.Done, next.Reason = true, fmt.Sprintf("solved N=%d", s.N)
		case s.N >= c.MaxN:
			next.Done, next.Reason = true, fmt.Sprintf("reached max N=%d", c.MaxN)
		default:
			next.N = s.N + 1
			if c.Regime == FrozenCore || c.Regime == PeriodicCore {
				next.Phase = PhaseCBOnly
				if c.Regime == PeriodicCore && next.N-c.StartN > 0 && (next.N-c.StartN)%c.Period == 0 {
					next.Phase = PhaseBoth
				}
			}
			if cu.kind == Switching && c.SwitchEvery > 0 && next.N%c.SwitchEvery == 0 {
				next.Active = (s.Active + 1) % len(cu.desc.Heads)
			}
		}
	}
	if !next.Done && next.Epoch >= c.Epochs {
		next.Done, next.Reason = true, fmt.Sprintf("epoch budget %d spent", c.Epochs)
	}
	return next, solved
}
