package experiments

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/cbrnn/cbrnn/claims"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/trainer"
)

// The per-task study's runs: at paper its continual references are the
// continual figure's runs (same configs, so the same cached runs); at quick
// every group has PerTaskSeeds networks and PerTaskEpochsPerPhase-epoch
// phases; the per-task groups train cb-rnn-pertask in the regime named.
func TestPerTaskConfigs(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	sw, err := e.Source.Describe(ctx, "switch")
	if err != nil {
		t.Fatal(err)
	}
	mt, err := e.Source.Describe(ctx, "multitask")
	if err != nil {
		t.Fatal(err)
	}
	paper, quick := Profiles["paper"], Profiles["quick"]
	for i, ref := range []Group{ContinualGroups[0], ContinualGroups[1], ContinualGroups[4]} {
		a, err := Configs(PerTaskContinualGroups[2+i], sw, paper, perTaskContinualBudget(paper))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Configs(ref, sw, paper, continualBudget(paper))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: at paper the study's runs differ from the continual figure's", ref.Label)
		}
	}
	for _, g := range PerTaskContinualGroups {
		cs, err := Configs(g, sw, quick, perTaskContinualBudget(quick))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != quick.PerTaskSeeds || cs[0].EpochsPerPhase != quick.PerTaskEpochsPerPhase || cs[0].Epochs != 3*quick.PerTaskEpochsPerPhase ||
			cs[0].Curriculum != trainer.Continual || cs[0].Regime != g.Regime {
			t.Errorf("%s at quick: %d runs, %+v", g.Label, len(cs), cs[0].Curricula)
		}
	}
	for _, g := range PerTaskMultitaskGroups {
		cs, err := Configs(g, mt, quick, perTaskMultitaskBudget(quick))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != quick.PerTaskSeeds || cs[0].Epochs != quick.PerTaskEpochs || cs[0].ModelName != gm.PerTaskModel ||
			!cs[0].Model.PerTaskCB() || len(cs[0].Model.Readout.Heads) != 2 || cs[0].Regime != g.Regime {
			t.Errorf("%s at quick: %d runs, %+v", g.Label, len(cs), cs[0])
		}
	}
}

// Interference is DMS's accuracy after the first parity epoch minus after
// the last, read from the continual record; a run without a parity phase
// has none.
func TestPerTaskInterference(t *testing.T) {
	st := []trainer.EpochStats{
		{PlanPhase: 0, HeadAcc: []float64{60, 50}}, {PlanPhase: 0, HeadAcc: []float64{99, 50}},
		{PlanPhase: 1, HeadAcc: []float64{90, 55}}, {PlanPhase: 1, HeadAcc: []float64{80, 70}}, {PlanPhase: 1, HeadAcc: []float64{70, 99}},
		{PlanPhase: 2, HeadAcc: []float64{95, 60}},
	}
	in, end0 := PerTaskInterference(st)
	if in != 20 || end0 != 99 {
		t.Errorf("interference %v, end of phase 0 %v; want 20, 99", in, end0)
	}
	if in, _ := PerTaskInterference(st[:2]); !math.IsNaN(in) {
		t.Errorf("no parity phase: interference %v, want NaN", in)
	}
}

// The two claim rows: the sketch's family, its where, a direction, and the
// per-network values of the groups they name.
func TestPerTaskClaims(t *testing.T) {
	interf := map[string][]float64{"Per-task CBs": {1, 2}, "CB-RNN": {10, 12}, "Per-task CBs, frozen core": {0, 1}, "Frozen-core": {5, 6}}
	cs := perTaskClaims(interf)
	if len(cs) != 2 {
		t.Fatalf("%d claims, want 2", len(cs))
	}
	for _, c := range cs {
		if c.Family != SketchFamily || c.Where != SketchWhere(PerTaskID) || c.Direction != claims.Less || c.Design != claims.Between {
			t.Errorf("%s: family %q where %q direction %v", c.ID, c.Family, c.Where, c.Direction)
		}
	}
	if !reflect.DeepEqual(cs[0].A, interf["Per-task CBs"]) || !reflect.DeepEqual(cs[1].B, interf["Frozen-core"]) {
		t.Errorf("claims carry %v / %v", cs[0].A, cs[1].B)
	}
	js, err := JudgeClaims(cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if j.FamilySize != 2 || j.Need == nil && j.Verdict == claims.Inconclusive {
			t.Errorf("%s: family size %d, verdict %s, need %v", j.ID, j.FamilySize, j.Verdict, j.Need)
		}
	}
}
