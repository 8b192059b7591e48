package experiments

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestRegimeConfigs pins the protocol of every new group (METHODS §3.7–3.9,
// §1.7–1.8) at the paper profile, and the multitask Periodic-core k.
func TestRegimeConfigs(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	desc := func(name string) task.Description {
		d, err := e.Source.Describe(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	paper := Profiles["paper"]
	for _, tc := range []struct {
		g      Group
		task   string
		epochs int
		check  func(c trainer.Config) bool
		heads  int
	}{
		{ContinualGroups[0], "switch", continualBudget(paper), func(c trainer.Config) bool {
			return c.Curricula == trainer.Curricula{Curriculum: trainer.Continual, Plan: "dms,parity,dms", EpochsPerPhase: 100} && c.Regime == trainer.Standard && c.Epochs == 300
		}, 2},
		{ContinualGroups[1], "switch", 300, func(c trainer.Config) bool { return c.Regime == trainer.FrozenCore }, 2},
		{ContinualGroups[2], "switch", 300, func(c trainer.Config) bool { return c.Regime == trainer.PeriodicCore && c.Period == 10 }, 2},
		{ContinualGroups[3], "switch", 300, func(c trainer.Config) bool { return c.Regime == trainer.PerTaskOnce }, 2},
		{ContinualGroups[4], "switch", 300, func(c trainer.Config) bool { return c.ModelName == "rnn" && c.Model.CB == nil }, 2},
		{FixedScheduleGroups[0], "dms", 1000, func(c trainer.Config) bool {
			return c.Curricula == trainer.Curricula{AdvanceEvery: 30} && c.MaxN == 150
		}, 1},
		{MultiHeadGroups[0], "dms_multin", 1000, func(c trainer.Config) bool { return c.Curricula == trainer.Curricula{Curriculum: trainer.Cumulative} }, 149},
		{MultiHeadGroups[3], "parity_multin", 1000, func(c trainer.Config) bool {
			return c.Curricula == trainer.Curricula{Curriculum: trainer.Sliding, InitHeads: 3, ForgetHeads: 1} && c.ModelName == "rnn"
		}, 3},
		{AuxRNN, "dms", 1000, func(c trainer.Config) bool { return c.ModelName == "aux-rnn-cb" && c.Model.Count().Total == 42012 }, 1},
		{CBCompress, "parity", 1000, func(c trainer.Config) bool { return c.ModelName == "cb-compress" }, 1},
	} {
		t.Run(tc.g.Label+"/"+tc.task, func(t *testing.T) {
			cs, err := Configs(tc.g, desc(tc.task), paper, tc.epochs)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != paper.SeedsExtra {
				t.Errorf("%d runs, want the profile's SeedsExtra %d", len(cs), paper.SeedsExtra)
			}
			for _, c := range cs {
				if err := c.Validate(); err != nil || !tc.check(c) || len(c.Model.Readout.Heads) != tc.heads || c.Steps != 100 || c.Batch != 64 {
					t.Errorf("config %+v (%v) does not follow the regime", c, err)
				}
			}
		})
	}
	quick := Profiles["quick"]
	if cs, _ := Configs(ContinualGroups[0], desc("switch"), quick, continualBudget(quick)); len(cs) != quick.SeedsExtra || cs[0].EpochsPerPhase != quick.EpochsPerPhase {
		t.Errorf("quick continual runs %+v", cs)
	}
	// Multitask Periodic-core refreshes every 5 Ns in the authors' runs.
	if cs, _ := Configs(PeriodicCoreGroup, desc("multitask"), paper, 1000); cs[0].Period != 5 {
		t.Errorf("multitask Periodic-core k = %d, want 5", cs[0].Period)
	}
	if trainer.PeriodFor("dms") != 10 || trainer.PeriodFor("parity") != 5 || trainer.PeriodFor("switch") != 10 {
		t.Error("single-task periods changed")
	}
	// A profile without runs for the new groups says so.
	p := tinyProfile
	p.SeedsExtra = 0
	if _, err := Configs(AuxRNN, desc("dms"), p, 3); err == nil || !strings.Contains(err.Error(), "no runs") {
		t.Errorf("zero runs: error %v", err)
	}
	p = tinyProfile
	p.EpochsPerPhase = 0
	if _, err := Configs(ContinualGroups[0], desc("switch"), p, 3); err == nil || !strings.Contains(err.Error(), "epochs per continual phase") {
		t.Errorf("no phase length: error %v", err)
	}
	if _, err := Configs(Group{Label: "x", Model: "cb-rnn", Regime: trainer.Standard, Curriculum: "spiral"}, desc("dms"), tinyProfile, 3); err == nil {
		t.Error("unknown curriculum accepted")
	}
}

// TestRegimeFiguresEndToEnd trains the new figures' runs at a tiny budget
// and draws them.
func TestRegimeFiguresEndToEnd(t *testing.T) {
	e := testEnv(t)
	rs, err := e.All(context.Background(), tinyProfile, []string{"continual", "curricula", "controls"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if len(r.PNGs) != 1 {
			t.Fatalf("%s: %v", r.ID, r.PNGs)
		}
		if fi, err := os.Stat(r.PNGs[0]); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: no real PNG (%v)", r.ID, err)
		}
	}
	for _, want := range []string{"savings ratio", "Per-task core", "| DMS |"} {
		if !strings.Contains(rs[0].Markdown, want) {
			t.Errorf("continual markdown lacks %q:\n%s", want, rs[0].Markdown)
		}
	}
	for _, want := range []string{"CB-RNN, cumulative", "RNN, sliding", "fixed schedule", "highest N passed"} {
		if !strings.Contains(rs[1].Markdown, want) {
			t.Errorf("curricula markdown lacks %q:\n%s", want, rs[1].Markdown)
		}
	}
	// The references are fig2a's runs cut to the controls' budget.
	for _, want := range []string{"Aux-RNN in the CB's place 42012", "compressed CB", "RNN-202", "over their first 2 epochs", "budget 2 epochs"} {
		if !strings.Contains(rs[2].Markdown, want) {
			t.Errorf("controls markdown lacks %q:\n%s", want, rs[2].Markdown)
		}
	}
}
