package trainer

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// multiN is a multi-N task's declaration: 149 binary heads and the "first"
// parameter.
func multiN() task.Description { return tasks.DMSMultiN.Desc }

// cfgWith is cfgFor with a model sized for the curriculum's heads.
func cfgWith(d task.Description, regime string, k Curricula) Config {
	c := cfgFor(d, regime)
	c.Curricula = k
	c.Model = gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: d.Inputs, Heads: k.ModelHeads(d.Heads)})
	return c
}

func TestFirstParamIsTheTasks(t *testing.T) {
	if firstParam != tasks.FirstParam {
		t.Fatalf("trainer asks for %q, the multi-N tasks take %q", firstParam, tasks.FirstParam)
	}
}

// TestFixedSchedule walks the fixed-schedule rule of METHODS §3.8
// (training/train.py: train with advance_every_epochs = K): N advances after
// every K epochs (the first after K) whatever the accuracy, never past max
// N (and the clock does not restart then), and the run stops when N = max N
// is solved. The model is checkpointed at each advance, solved or not.
func TestFixedSchedule(t *testing.T) {
	c := cfgFor(single(), Standard)
	c.AdvanceEvery, c.MaxN = 3, 5
	cu := mustCurriculum(t, c, single())
	for _, tc := range []struct {
		name     string
		from     State
		acc      float64
		want     State
		wantCk   bool
		wantSolv bool
	}{
		{"epoch 1 of 3: no advance even if solved", State{Epoch: 0, N: 2, Phase: PhaseAll}, 100, State{Epoch: 1, N: 2, Phase: PhaseAll}, false, true},
		{"epoch 2 of 3", State{Epoch: 1, N: 2, Phase: PhaseAll}, 100, State{Epoch: 2, N: 2, Phase: PhaseAll}, false, true},
		{"epoch 3: advance though unsolved", State{Epoch: 2, N: 2, Phase: PhaseAll}, 10, State{Epoch: 3, N: 3, Phase: PhaseAll, LastAdvance: 3}, true, false},
		{"3 epochs after the last advance", State{Epoch: 5, N: 3, Phase: PhaseAll, LastAdvance: 3}, 10, State{Epoch: 6, N: 4, Phase: PhaseAll, LastAdvance: 6}, true, false},
		{"2 epochs after it: wait", State{Epoch: 4, N: 3, Phase: PhaseAll, LastAdvance: 3}, 99, State{Epoch: 5, N: 3, Phase: PhaseAll, LastAdvance: 3}, false, true},
		{"at max N: no advance, clock kept", State{Epoch: 20, N: 5, Phase: PhaseAll, LastAdvance: 9}, 50, State{Epoch: 21, N: 5, Phase: PhaseAll, LastAdvance: 9}, false, false},
		{"max N solved: stop", State{Epoch: 20, N: 5, Phase: PhaseAll, LastAdvance: 9}, 98, State{Epoch: 21, N: 5, Phase: PhaseAll, LastAdvance: 9, Done: true, Reason: "reached max N=5"}, false, true},
		{"budget", State{Epoch: 999, N: 4, Phase: PhaseAll, LastAdvance: 998}, 0, State{Epoch: 1000, N: 4, Phase: PhaseAll, LastAdvance: 998, Done: true, Reason: "epoch budget 1000 spent"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st EpochStats
			got, ck := cu.conclude(tc.from, []float64{tc.acc}, &st)
			if !reflect.DeepEqual(got, tc.want) || ck.save != tc.wantCk || st.Solved != tc.wantSolv {
				t.Errorf("conclude(%+v, %.0f) = %+v checkpoint=%v solved=%v, want %+v checkpoint=%v solved=%v", tc.from, tc.acc, got, ck.save, st.Solved, tc.want, tc.wantCk, tc.wantSolv)
			}
			if ck.save && (ck.n != tc.from.N || ck.name != "" || ck.meta["solved"] != map[bool]string{true: "true", false: "false"}[tc.acc >= 98]) {
				t.Errorf("checkpoint %+v, want the model at N=%d before the advance, marked solved=%v", ck, tc.from.N, tc.acc >= 98)
			}
		})
	}
}

// TestMultiHeadCurricula walks METHODS §3.9 (training/train.py): the first
// Ns, the heads that train and score, the request's first N, the advance
// rule, and the criterion (the mean over the active heads).
func TestMultiHeadCurricula(t *testing.T) {
	d := multiN()
	cum := mustCurriculum(t, cfgWith(d, Standard, Curricula{Curriculum: Cumulative, InitHeads: 2, AddHeads: 3}), d)
	sl := mustCurriculum(t, cfgWith(d, Standard, Curricula{Curriculum: Sliding, InitHeads: 2, ForgetHeads: 3}), d)
	if got := cum.initial(); got != (State{N: 3, Low: 2, Phase: PhaseAll}) {
		t.Errorf("cumulative starts at %+v, want Ns = [2 3]", got)
	}
	// Sliding: the window is max(init, forget) = 3 heads, Ns = [2 3 4].
	if got := sl.initial(); got != (State{N: 4, Low: 2, Phase: PhaseAll}) {
		t.Errorf("sliding starts at %+v, want Ns = [2 3 4]", got)
	}
	if n := len(sl.desc.Heads); n != 3 || len(sl.cfg.Model.Readout.Heads) != 3 {
		t.Errorf("sliding model has %d heads, want the window of 3", n)
	}
	if n := len(cum.desc.Heads); n != 149 {
		t.Errorf("cumulative model has %d heads, want 149", n)
	}

	s := State{N: 6, Low: 2, Phase: PhaseAll}
	if on := cum.activeHeads(s); !slices.Equal(on[:6], []bool{true, true, true, true, true, false}) || slices.Contains(on[5:], true) {
		t.Errorf("cumulative at Ns 2…6: active heads %v, want heads 0–4", on[:8])
	}
	if w := cum.headWeights(s); w[4] != 1 || w[5] != 0 {
		t.Errorf("cumulative head weights %v, want 1 on heads 0–4 (loss = sum over active heads)", w[:6])
	}
	if got := cum.requestParams(s)[firstParam]; got != "2" {
		t.Errorf("cumulative asks for first=%s, want 2", got)
	}
	if got := sl.requestParams(State{N: 9, Low: 7})[firstParam]; got != "7" {
		t.Errorf("sliding at Ns 7…9 asks for first=%s, want 7", got)
	}
	if on := sl.activeHeads(State{N: 9, Low: 7}); !slices.Equal(on, []bool{true, true, true}) {
		t.Errorf("sliding active heads %v, want all 3", on)
	}

	// Cumulative at Ns 2…6: head accuracies 100, 100, 100, 100, 90 → mean 98.
	accs := make([]float64, 149)
	for j := range accs {
		accs[j] = 12 // heads beyond the Ns: must not count
	}
	copy(accs, []float64{100, 100, 100, 100, 90})
	var st EpochStats
	next, ck := cum.conclude(s, accs, &st)
	if st.TestAcc != 98 || !st.Solved || st.Low != 2 || st.Heads != 5 || !slices.Equal(st.HeadAcc, accs[:5]) {
		t.Errorf("cumulative record %+v, want mean 98 over 5 heads, solved", st)
	}
	if next.N != 9 || next.Low != 2 || !ck.save || ck.n != 6 || ck.meta["low"] != "2" {
		t.Errorf("cumulative advance to %+v, checkpoint %+v; want Ns 2…9 (add 3) and a checkpoint at N=6", next, ck)
	}
	accs[4] = 89.99
	if next, _ := cum.conclude(s, accs, &EpochStats{}); next.N != 6 {
		t.Errorf("cumulative with mean below 98 moved to %+v", next)
	}
	// Sliding: forget 3, add 3.
	var st2 EpochStats
	next, _ = sl.conclude(State{N: 9, Low: 7, Phase: PhaseAll}, []float64{100, 99, 95}, &st2)
	if next.N != 12 || next.Low != 10 || st2.TestAcc != 98 || st2.Heads != 3 {
		t.Errorf("sliding 7…9 solved → %+v (acc %.2f, %d heads), want 10…12", next, st2.TestAcc, st2.Heads)
	}
	// Capped at max N: cumulative stops adding at 150, sliding shifts less.
	if next, _ := cum.step(State{N: 148, Low: 2, Epoch: 1}, 100); next.N != 150 {
		t.Errorf("cumulative from 148 (+3) went to %d, want the last head's N 150", next.N)
	}
	if next, _ := sl.step(State{N: 149, Low: 147, Epoch: 1}, 100); next.N != 150 || next.Low != 148 {
		t.Errorf("sliding from 147…149 went to %d…%d, want 148…150", next.Low, next.N)
	}
	if next, _ := sl.step(State{N: 150, Low: 148, Epoch: 1}, 100); !next.Done {
		t.Errorf("sliding solved at max N did not stop: %+v", next)
	}
}

func continualCfg(regime string, plan string, perPhase int) Config {
	c := cfgFor(switching(), regime)
	c.Curricula = Curricula{Curriculum: Continual, Plan: plan, EpochsPerPhase: perPhase}
	c.Period = 3
	return c
}

// TestContinualRouting checks the phase each reservoir mode starts a phase
// in (tasks/continual.py: continual_train).
func TestContinualRouting(t *testing.T) {
	for _, tc := range []struct {
		regime     string
		cs         ContinualState
		startN     int
		want       string
		authorMode string
	}{
		{Standard, ContinualState{Tasks: []TaskState{{}, {}}}, 2, PhaseAll, "off"},
		{FrozenCore, ContinualState{Tasks: []TaskState{{}, {}}}, 2, PhaseInit, "global_once before any advance"},
		{FrozenCore, ContinualState{CoreFrozen: true, Tasks: []TaskState{{}, {}}}, 2, PhaseCBOnly, "global_once after"},
		{PerTaskOnce, ContinualState{CoreFrozen: true, Tasks: []TaskState{{}, {Warm: true}}}, 2, PhaseInit, "per_task_once, this task not warm"},
		{PerTaskOnce, ContinualState{Tasks: []TaskState{{Warm: true}, {}}}, 4, PhaseCBOnly, "per_task_once, warm"},
		{PeriodicCore, ContinualState{Tasks: []TaskState{{}, {}}}, 5, PhaseInit, "periodic_refresh, not warm"},
		{PeriodicCore, ContinualState{Tasks: []TaskState{{Warm: true}, {}}}, 5, PhaseBoth, "periodic_refresh at a refresh N (k=3: 5)"},
		{PeriodicCore, ContinualState{Tasks: []TaskState{{Warm: true}, {}}}, 6, PhaseCBOnly, "periodic_refresh between refreshes"},
		{PeriodicCore, ContinualState{Tasks: []TaskState{{Warm: true}, {}}}, 2, PhaseCBOnly, "periodic_refresh at the start N"},
	} {
		cu := mustCurriculum(t, continualCfg(tc.regime, "dms,parity", 5), switching())
		if got := cu.regimePhase(&tc.cs, 0, tc.startN); got != tc.want {
			t.Errorf("%s (%s) at N=%d: phase %s, want %s", tc.regime, tc.authorMode, tc.startN, got, tc.want)
		}
	}
}

// TestContinualWalk runs the continual rule epoch by epoch on a scripted
// accuracy sequence: plan dms, parity, dms with 3-epoch phases, frozen-core
// regime, patience 2.
func TestContinualWalk(t *testing.T) {
	c := continualCfg(FrozenCore, "dms,parity,dms", 3)
	c.Patience = 2
	c.Epochs = 9
	c.MaxN = 4
	cu := mustCurriculum(t, c, switching())
	s := cu.initial()
	if s.Active != 0 || s.N != 2 || s.Phase != PhaseInit || s.Continual.Phase != 0 ||
		!reflect.DeepEqual(s.Continual.Tasks, []TaskState{{N: 2, Solved: 2}, {N: 2, Solved: 2}}) {
		t.Fatalf("initial state %+v %+v", s, s.Continual)
	}
	type want struct {
		active, n, phase int
		headN            []int
		solved           bool
		ck               string
		nextPhase        string
	}
	// accs[epoch] = [dms, parity]
	script := []struct {
		accs []float64
		want want
	}{
		// phase 0, dms: 98, 98 (patience 2 → advance 2→3 at epoch 2), 99
		{[]float64{98, 50}, want{0, 2, 0, []int{2, 2}, false, "", PhaseInit}},
		{[]float64{98, 50}, want{0, 2, 0, []int{2, 2}, true, "dms-ep0002-N002", PhaseCBOnly}},
		{[]float64{99, 50}, want{0, 3, 0, []int{3, 2}, false, "", PhaseCBOnly}},
		// phase 1, parity from 2; the core stays frozen (global_once).
		{[]float64{10, 99}, want{1, 2, 1, []int{3, 2}, false, "", PhaseCBOnly}},
		{[]float64{10, 99}, want{1, 2, 1, []int{3, 2}, true, "parity-ep0005-N002", PhaseCBOnly}},
		{[]float64{10, 99}, want{1, 3, 1, []int{3, 3}, false, "", PhaseCBOnly}},
		// phase 2, dms restarts at 2 (solved 2 − 1 → max(2, 1)); the streak
		// of 1 it left with at epoch 3 carries over.
		{[]float64{98, 10}, want{0, 2, 2, []int{2, 3}, true, "dms-ep0007-N002", PhaseCBOnly}},
		{[]float64{98, 10}, want{0, 3, 2, []int{3, 3}, false, "", PhaseCBOnly}},
		{[]float64{98, 10}, want{0, 3, 2, []int{3, 3}, true, "dms-ep0009-N003", PhaseCBOnly}},
	}
	for i, step := range script {
		var st EpochStats
		st.Epoch = s.Epoch + 1
		next, ck := cu.conclude(s, step.accs, &st)
		w := step.want
		if st.Active != []string{"dms", "parity"}[w.active] || s.N != w.n || st.PlanPhase != w.phase || !slices.Equal(st.HeadN, w.headN) ||
			st.Solved != w.solved || ck.name != w.ck || ck.save != (w.ck != "") || next.Phase != w.nextPhase || st.TestAcc != step.accs[w.active] ||
			!slices.Equal(st.HeadAcc, step.accs) {
			t.Fatalf("epoch %d from %+v %+v: record %+v, checkpoint %q, next phase %s; want %+v", i+1, s, *s.Continual, st, ck.name, next.Phase, w)
		}
		s = next
	}
	if !s.Done || s.Reason != "epoch budget 9 spent" {
		t.Errorf("after 9 epochs: %+v, want stopped by the budget", s)
	}
	if got := s.Continual.Tasks[0]; got.N != 4 || got.Solved != 2 || !got.Done {
		t.Errorf("dms ends %+v, want N=4 (max), solved 2, done", got)
	}
}

// TestContinualPhaseStart: the regime's phase is decided at the phase start from the
// restart N (periodic refresh), a task reaching max N keeps training until
// its phase ends, and the run stops only when a phase would start with
// every task done.
func TestContinualPhaseStart(t *testing.T) {
	c := continualCfg(PeriodicCore, "dms,parity", 2)
	c.MaxN = 6
	cu := mustCurriculum(t, c, switching())
	// End of a dms phase; parity restarts at its solved N 5 = 2 + k (k = 3):
	// a refresh level.
	s := State{Epoch: 7, N: 3, Phase: PhaseCBOnly, Continual: &ContinualState{Phase: 0, PhaseEpoch: 1,
		Tasks: []TaskState{{N: 3, Solved: 2, Warm: true}, {N: 6, Solved: 5, Warm: true}}}}
	next, _ := cu.conclude(s, []float64{50, 50}, &EpochStats{})
	if next.Active != 1 || next.N != 5 || next.Phase != PhaseBoth || next.Continual.Phase != 1 || next.Continual.PhaseEpoch != 0 {
		t.Errorf("parity phase starts %+v %+v, want N=5 (its solved N), phase both", next, *next.Continual)
	}
	if s.Continual.Tasks[1].N != 6 || s.Continual.PhaseEpoch != 1 {
		t.Error("conclude changed the state it was given")
	}
	// Parity solves 5 → 6 = max N: done, but its phase goes on.
	next2, _ := cu.conclude(next, []float64{50, 100}, &EpochStats{})
	if got := next2.Continual.Tasks[1]; !got.Done || got.N != 6 || next2.Done || next2.Active != 1 || next2.Phase != PhaseBoth {
		t.Errorf("after parity reached max N: %+v %+v, want parity done at 6, run going, phase unchanged inside the phase", next2, got)
	}
	// dms done too: the run stops at the next phase start.
	next2.Continual.Tasks[0] = TaskState{N: 6, Solved: 5, Done: true, Warm: true}
	next3, _ := cu.conclude(next2, []float64{100, 100}, &EpochStats{})
	if !next3.Done || next3.Reason != "every task reached N=6" {
		t.Errorf("every task done at a phase start: %+v, want stopped", next3)
	}
	// At max N a solved task stays there and restarts one below.
	if got := next3.Continual.Tasks[1]; got.N != 6 || got.Solved != 5 {
		t.Errorf("parity solved at max N: %+v, want N 6, restart 5", got)
	}
}

// TestContinualTestPasses: every task of the plan is tested on its own
// stream at its own N, with its own "active" parameter, scoring its head.
func TestContinualTestPasses(t *testing.T) {
	cu := mustCurriculum(t, continualCfg(Standard, "parity,dms,parity", 5), switching())
	s := cu.initial()
	s.Continual.Tasks[0].N = 7
	got := cu.testPasses(s)
	want := []testPass{
		{N: 2, Params: map[string]string{"active": "parity"}, Heads: []bool{false, true}},
		{N: 7, Params: map[string]string{"active": "dms"}, Heads: []bool{true, false}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("test passes %+v, want %+v (plan order of first appearance)", got, want)
	}
	if s.Active != 1 || cu.requestParams(s)["active"] != "parity" {
		t.Errorf("plan starts with parity, state %+v", s)
	}
	single := mustCurriculum(t, cfgFor(multi(), Standard), multi())
	if p := single.testPasses(State{N: 4}); len(p) != 1 || p[0].N != 4 || !slices.Equal(p[0].Heads, []bool{true, true}) {
		t.Errorf("multitask test passes %+v, want one at N=4 scoring both heads", p)
	}
	if batchIndex(3, 0, 1, 50, 7) != 157 || batchIndex(3, 1, 2, 50, 7) != 357 {
		t.Error("batch index: one pass must be epoch·steps + step; pass p of P is (epoch·P + p)·steps + step")
	}
}

func TestCurriculaValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      task.Description
		regime string
		k      Curricula
		want   string // "" = valid (Validate and newCurriculum)
	}{
		{"continual", switching(), FrozenCore, Curricula{Curriculum: Continual, Plan: "dms,parity,dms", EpochsPerPhase: 100}, ""},
		{"per-task-once", switching(), PerTaskOnce, Curricula{Curriculum: Continual, Plan: "dms,parity", EpochsPerPhase: 1}, ""},
		{"per-task-once outside continual", single(), PerTaskOnce, Curricula{}, "only in the continual"},
		{"continual without plan", switching(), Standard, Curricula{Curriculum: Continual, EpochsPerPhase: 3}, "needs a plan"},
		{"continual without phase length", switching(), Standard, Curricula{Curriculum: Continual, Plan: "dms"}, "epochs per phase"},
		{"continual fixed-n", switching(), FixedN, Curricula{Curriculum: Continual, Plan: "dms,parity", EpochsPerPhase: 3}, "takes regime"},
		{"plan names an unknown task", switching(), Standard, Curricula{Curriculum: Continual, Plan: "dms,mod3", EpochsPerPhase: 3}, `"mod3", which is not a head`},
		{"plan misses a head", switching(), Standard, Curricula{Curriculum: Continual, Plan: "dms,dms", EpochsPerPhase: 3}, "every head"},
		{"continual on a single task", single(), Standard, Curricula{Curriculum: Continual, Plan: "dms", EpochsPerPhase: 3}, "switch pulse"},
		{"cumulative", multiN(), Standard, Curricula{Curriculum: Cumulative, InitHeads: 2}, ""},
		{"sliding", multiN(), Standard, Curricula{Curriculum: Sliding, InitHeads: 3, ForgetHeads: 1}, ""},
		{"cumulative on a one-N task", single(), Standard, Curricula{Curriculum: Cumulative}, "multi-N task"},
		{"cumulative frozen", multiN(), FrozenCore, Curricula{Curriculum: Cumulative}, "trains every parameter"},
		{"cumulative forgets", multiN(), Standard, Curricula{Curriculum: Cumulative, ForgetHeads: 2}, "forgets nothing"},
		{"sliding adds", multiN(), Standard, Curricula{Curriculum: Sliding, AddHeads: 2}, "add heads is for cumulative"},
		{"unknown curriculum", single(), Standard, Curricula{Curriculum: "spiral"}, `unknown curriculum "spiral"`},
		{"plan without curriculum", single(), Standard, Curricula{Plan: "dms"}, "need a curriculum"},
		{"negative heads", multiN(), Standard, Curricula{Curriculum: Cumulative, InitHeads: -1}, "must not be negative"},
		{"fixed schedule", single(), Standard, Curricula{AdvanceEvery: 25}, ""},
		{"fixed schedule, cumulative", multiN(), Standard, Curricula{Curriculum: Cumulative, AdvanceEvery: 25}, ""},
		{"fixed schedule frozen", single(), FrozenCore, Curricula{AdvanceEvery: 25}, "standard regime"},
		{"fixed schedule multitask", multi(), Standard, Curricula{AdvanceEvery: 25}, "needs a single, cumulative or sliding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfgWith(tc.d, tc.regime, tc.k)
			err := c.Validate()
			if err == nil {
				_, err = newCurriculum(c, tc.d)
			}
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSavings works compute_savings (tasks/continual.py) by hand.
func TestSavings(t *testing.T) {
	st := []EpochStats{
		{Epoch: 1, Active: "dms", PlanPhase: 0, HeadAcc: []float64{60, 50}},
		{Epoch: 2, Active: "dms", PlanPhase: 0, HeadAcc: []float64{80, 50}},
		{Epoch: 3, Active: "dms", PlanPhase: 0, HeadAcc: []float64{98, 50}},
		{Epoch: 4, Active: "dms", PlanPhase: 0, HeadAcc: []float64{99, 50}},
		{Epoch: 5, Active: "parity", PlanPhase: 1, HeadAcc: []float64{70, 99}},
		{Epoch: 6, Active: "parity", PlanPhase: 1, HeadAcc: []float64{70, 99}},
		{Epoch: 7, Active: "dms", PlanPhase: 2, HeadAcc: []float64{97, 50}},
		{Epoch: 8, Active: "dms", PlanPhase: 2, HeadAcc: []float64{100, 50}},
		{Epoch: 9, Active: "dms", PlanPhase: 2, HeadAcc: []float64{90, 50}},
	}
	phases, err := ContinualPhases(st, []string{"dms", "parity"})
	if err != nil {
		t.Fatal(err)
	}
	if len(phases) != 3 || phases[1].Task != "parity" || !slices.Equal(phases[2].Acc, []float64{97, 100, 90}) {
		t.Fatalf("phases %+v", phases)
	}
	s := savingsOf(t, phases, 98)
	// dms: first ≥ 98 at epoch 3 of phase 0 and epoch 2 of phase 2 → (3−2)/3;
	// budget = min(4, 3) = 3: means of 60, 80, 98 and of 97, 100, 90.
	if s.Task != "dms" || !slices.Equal(s.Phases, []int{0, 2}) || !slices.Equal(s.EpochsToCriterion, []int{3, 2}) || s.BudgetEpochs != 3 ||
		math.Abs(s.FixedBudgetAcc[0]-238.0/3) > 1e-12 || math.Abs(s.FixedBudgetAcc[1]-287.0/3) > 1e-12 || !s.RatioOK || math.Abs(s.Ratio-1.0/3) > 1e-12 {
		t.Errorf("dms savings %+v", s)
	}
	// At threshold 99.5 phase 0 never gets there: no ratio.
	if s := savingsOf(t, phases, 99.5); s.RatioOK || !slices.Equal(s.EpochsToCriterion, []int{0, 2}) {
		t.Errorf("savings with phase 0 never at criterion: %+v", s)
	}
	// A phase that trains another task in the middle is not a continual record.
	bad := slices.Clone(st)
	bad[1].Active = "parity"
	if _, err := ContinualPhases(bad, []string{"dms", "parity"}); err == nil {
		t.Error("a phase with two tasks accepted")
	}
}

// savingsOf returns the savings of the one repeated task.
func savingsOf(t *testing.T, phases []Phase, threshold float64) TaskSavings {
	t.Helper()
	s := Savings(phases, threshold)
	if len(s) != 1 {
		t.Fatalf("savings for %d tasks, want 1 (dms; parity is met once): %+v", len(s), s)
	}
	return s[0]
}
