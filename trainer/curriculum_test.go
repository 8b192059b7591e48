package trainer

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

func single() task.Description {
	return task.Description{Name: "dms", Inputs: 1, Heads: []int{2}}
}

func multi() task.Description {
	return task.Description{Name: "multitask", Inputs: 1, Heads: []int{2, 2}, HeadNames: []string{"dms", "parity"}}
}

func switching() task.Description {
	return task.Description{Name: "switch", Inputs: 2, Heads: []int{2, 2}, HeadNames: []string{"dms", "parity"},
		Params: []task.Param{{Key: "active", Default: "dms"}}}
}

func cfgFor(d task.Description, regime string) Config {
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: d.Inputs, Heads: d.Heads})
	c := Paper(d.Name, m, 1)
	c.Regime = regime
	c.Period = 10
	c.FixedN = 7
	return c
}

func mustCurriculum(t *testing.T, c Config, d task.Description) *curriculum {
	t.Helper()
	cu, err := newCurriculum(c, d)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		d    task.Description
		want string
	}{{single(), Single}, {multi(), Multitask}, {switching(), Switching}} {
		if got := kindOf(tc.d); got != tc.want {
			t.Errorf("kindOf(%s) = %s, want %s", tc.d.Name, got, tc.want)
		}
	}
}

// TestStep walks the curriculum rule of METHODS §3 through its cases.
func TestStep(t *testing.T) {
	for _, tc := range []struct {
		name       string
		d          task.Description
		regime     string
		from       State
		acc        float64
		want       State
		wantSolved bool
	}{
		{"below threshold stays", single(), Standard, State{Epoch: 3, N: 5, Phase: PhaseAll}, 97.99, State{Epoch: 4, N: 5, Phase: PhaseAll}, false},
		{"at threshold advances", single(), Standard, State{Epoch: 3, N: 5, Phase: PhaseAll}, 98, State{Epoch: 4, N: 6, Phase: PhaseAll}, true},
		{"budget stops", single(), Standard, State{Epoch: 999, N: 5, Phase: PhaseAll}, 50, State{Epoch: 1000, N: 5, Phase: PhaseAll, Done: true, Reason: "epoch budget 1000 spent"}, false},
		{"max N stops", single(), Standard, State{Epoch: 10, N: 150, Phase: PhaseAll}, 99, State{Epoch: 11, N: 150, Phase: PhaseAll, Done: true, Reason: "reached max N=150"}, true},
		{"frozen: init solved moves to cb-only at N+1", single(), FrozenCore, State{Epoch: 4, N: 2, Phase: PhaseInit}, 100, State{Epoch: 5, N: 3, Phase: PhaseCBOnly}, true},
		{"frozen: never refreshes", single(), FrozenCore, State{Epoch: 4, N: 11, Phase: PhaseCBOnly}, 100, State{Epoch: 5, N: 12, Phase: PhaseCBOnly}, true},
		{"periodic: refresh at N=12 (k=10)", single(), PeriodicCore, State{Epoch: 4, N: 11, Phase: PhaseCBOnly}, 100, State{Epoch: 5, N: 12, Phase: PhaseBoth}, true},
		{"periodic: back to cb-only after", single(), PeriodicCore, State{Epoch: 4, N: 12, Phase: PhaseBoth}, 100, State{Epoch: 5, N: 13, Phase: PhaseCBOnly}, true},
		{"periodic: init solved at N=2 goes to cb-only", single(), PeriodicCore, State{Epoch: 1, N: 2, Phase: PhaseInit}, 100, State{Epoch: 2, N: 3, Phase: PhaseCBOnly}, true},
		{"fixed-n stops when solved", single(), FixedN, State{Epoch: 1, N: 7, Phase: PhaseAll}, 99, State{Epoch: 2, N: 7, Phase: PhaseAll, Done: true, Reason: "solved N=7"}, true},
		{"switch: dms reaching 5 hands over to parity at 5", switching(), Standard, State{Epoch: 9, N: 4, Phase: PhaseAll}, 99, State{Epoch: 10, N: 5, Phase: PhaseAll, Active: 1}, true},
		{"switch: parity keeps going below 10", switching(), Standard, State{Epoch: 9, N: 7, Phase: PhaseAll, Active: 1}, 99, State{Epoch: 10, N: 8, Phase: PhaseAll, Active: 1}, true},
		{"switch: parity reaching 10 hands back to dms", switching(), Standard, State{Epoch: 9, N: 9, Phase: PhaseAll, Active: 1}, 99, State{Epoch: 10, N: 10, Phase: PhaseAll, Active: 0}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cu := mustCurriculum(t, cfgFor(tc.d, tc.regime), tc.d)
			got, solved := cu.step(tc.from, tc.acc)
			if !reflect.DeepEqual(got, tc.want) || solved != tc.wantSolved {
				t.Errorf("step(%+v, %.2f) = %+v solved=%v, want %+v solved=%v", tc.from, tc.acc, got, solved, tc.want, tc.wantSolved)
			}
		})
	}
}

func TestInitialState(t *testing.T) {
	for _, tc := range []struct {
		regime string
		want   State
	}{
		{Standard, State{N: 2, Phase: PhaseAll}},
		{FrozenCore, State{N: 2, Phase: PhaseInit}},
		{PeriodicCore, State{N: 2, Phase: PhaseInit}},
		{FixedN, State{N: 7, Phase: PhaseAll}},
	} {
		if got := initialState(cfgFor(single(), tc.regime)); got != tc.want {
			t.Errorf("%s: initial state %+v, want %+v", tc.regime, got, tc.want)
		}
	}
}

// TestTrainable checks which parameter groups train in each phase.
func TestTrainable(t *testing.T) {
	groups := func(cu *curriculum, s State) map[string]bool {
		out := map[string]bool{}
		for i, on := range cu.trainable(s) {
			out[cu.params[i].Group] = on
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		d     task.Description
		state State
		want  map[string]bool
	}{
		{"standard", single(), State{Phase: PhaseAll}, map[string]bool{"core.input": true, "core.recurrent": true, "cb": true, "head.0": true}},
		{"init: CB frozen", single(), State{Phase: PhaseInit}, map[string]bool{"core.input": true, "core.recurrent": true, "cb": false, "head.0": true}},
		{"cb-only single: whole core frozen", single(), State{Phase: PhaseCBOnly}, map[string]bool{"core.input": false, "core.recurrent": false, "cb": true, "head.0": true}},
		{"cb-only multitask: only W_h, b_h frozen", multi(), State{Phase: PhaseCBOnly}, map[string]bool{"core.input": true, "core.recurrent": false, "cb": true, "head.0": true, "head.1": true}},
		{"both", single(), State{Phase: PhaseBoth}, map[string]bool{"core.input": true, "core.recurrent": true, "cb": true, "head.0": true}},
		{"switch: inactive head frozen", switching(), State{Phase: PhaseAll, Active: 1}, map[string]bool{"core.input": true, "core.recurrent": true, "cb": true, "head.0": false, "head.1": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cu := mustCurriculum(t, cfgFor(tc.d, FrozenCore), tc.d)
			if got := groups(cu, tc.state); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("trainable groups %v, want %v", got, tc.want)
			}
		})
	}
}

// Per-task cerebellar modules train with their task's head: both in
// multitask, the active one alone when switching or in continual learning
// (so an idle module keeps its weights and momentum), none before the
// frozen-core regime's first advance.
func TestTrainablePerTaskCB(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      task.Description
		regime string
		state  State
		want   map[string]bool // per module prefix
	}{
		{"multitask: both", multi(), Standard, State{Phase: PhaseAll}, map[string]bool{"cbs.0": true, "cbs.1": true}},
		{"switch: the active one", switching(), Standard, State{Phase: PhaseAll, Active: 1}, map[string]bool{"cbs.0": false, "cbs.1": true}},
		{"continual frozen-core, core frozen: the active one", switching(), FrozenCore, State{Phase: PhaseCBOnly, Active: 0}, map[string]bool{"cbs.0": true, "cbs.1": false}},
		{"frozen-core init: none", switching(), FrozenCore, State{Phase: PhaseInit, Active: 0}, map[string]bool{"cbs.0": false, "cbs.1": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfgFor(tc.d, tc.regime)
			c.Model = gm.MustBuild(gm.PerTaskModel, gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: tc.d.Inputs, Heads: tc.d.Heads})
			c.ModelName = gm.PerTaskModel
			cu := mustCurriculum(t, c, tc.d)
			got := map[string]bool{}
			for i, on := range cu.trainable(tc.state) {
				if k, ok := c.Model.CBTask(cu.params[i].Name); ok {
					prefix := fmt.Sprintf("cbs.%d", k)
					if v, seen := got[prefix]; seen && v != on {
						t.Fatalf("%s: parameters of one module disagree", prefix)
					}
					got[prefix] = on
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("trainable modules %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHeadWeightsAndParams(t *testing.T) {
	cu := mustCurriculum(t, cfgFor(multi(), Standard), multi())
	if got := cu.headWeights(State{}); !reflect.DeepEqual(got, []float32{1, 1}) {
		t.Errorf("multitask head weights %v, want [1 1] (loss = sum over tasks)", got)
	}
	sw := mustCurriculum(t, cfgFor(switching(), Standard), switching())
	if got := sw.headWeights(State{Active: 1}); !reflect.DeepEqual(got, []float32{0, 1}) {
		t.Errorf("switching head weights %v, want [0 1]", got)
	}
	if got := sw.requestParams(State{Active: 1})["active"]; got != "parity" {
		t.Errorf("switching request param active=%q, want parity", got)
	}
}

func TestNewCurriculumRejectsMismatch(t *testing.T) {
	c := cfgFor(single(), Standard)
	if _, err := newCurriculum(c, multi()); err == nil {
		t.Error("a 1-head model accepted a 2-head task")
	}
	if _, err := newCurriculum(c, switching()); err == nil {
		t.Error("a 1-input model accepted a 2-input task")
	}
}

func TestValidate(t *testing.T) {
	ok := cfgFor(single(), Standard)
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"unknown regime", func(c *Config) { c.Regime = "sometimes" }},
		{"periodic without k", func(c *Config) { c.Regime = PeriodicCore; c.Period = 0 }},
		{"frozen without CB", func(c *Config) { c.Regime = FrozenCore; c.Model.CB = nil }},
		{"zero batch", func(c *Config) { c.Batch = 0 }},
		{"threshold above 100", func(c *Config) { c.Threshold = 101 }},
		{"no task", func(c *Config) { c.Task = "" }},
		{"negative CB rate", func(c *Config) { c.Optim.CBLR = -0.01 }},
		{"NaN CB rate", func(c *Config) { c.Optim.CBLR = math.NaN() }},
		{"CB rate without a CB", func(c *Config) { c.Optim.CBLR = 0.01; c.Model.CB = nil }},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", tc.name, c)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("paper config rejected: %v", err)
	}
	two := ok
	two.Optim.LR, two.Optim.CBLR = 0.001, 0.01
	if err := two.Validate(); err != nil {
		t.Errorf("two learning rates (core 0.001, CB 0.01) rejected: %v", err)
	}
}
