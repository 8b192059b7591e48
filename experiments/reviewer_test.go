package experiments

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestReviewerConfigs pins the controls' protocol at the paper profile:
// the authors' fixed-N runs (DMS, N = 5, no curriculum, 10 per group, 1000
// epochs), the sweep's learning rates, and the oddball groups as the
// authors' oddball runs (single curriculum from N = 2, 3 per group).
func TestReviewerConfigs(t *testing.T) {
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
		g     Group
		task  string
		n     int
		check func(c trainer.Config) bool
	}{
		{FixedNGroups[0], "dms", 10, func(c trainer.Config) bool {
			return c.Regime == trainer.FixedN && c.FixedN == 5 && c.ModelName == "cb-rnn" && c.Optim.LR == 0.01 && c.Epochs == 1000
		}},
		{FixedNGroups[1], "dms", 10, func(c trainer.Config) bool {
			return c.Regime == trainer.FixedN && c.FixedN == 5 && c.Model.Core.Hidden == 202 && c.Model.CB == nil
		}},
		{SweepGroups()[0], "dms", 8, func(c trainer.Config) bool {
			return c.Optim.LR == 0.003 && c.ModelName == "cb-rnn" && c.Regime == trainer.Standard
		}},
		{SweepGroups()[3], "parity", 8, func(c trainer.Config) bool { return c.Optim.LR == 0.03 && c.Model.Core.Hidden == 202 }},
		{OddballGroups[0], "oddball", 3, func(c trainer.Config) bool {
			return c.Regime == trainer.Standard && c.StartN == 2 && c.MaxN == 150 && c.Optim.LR == 0.01
		}},
		{OddballGroups[2], "oddball", 3, func(c trainer.Config) bool { return c.Regime == trainer.FrozenCore && c.ModelName == "cb-rnn" }},
	} {
		t.Run(tc.g.Label+"/"+tc.task, func(t *testing.T) {
			cs, err := Configs(tc.g, desc(tc.task), paper, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != tc.n {
				t.Errorf("%d runs, want %d", len(cs), tc.n)
			}
			for _, c := range cs {
				if err := c.Validate(); err != nil || !tc.check(c) || c.Steps != 100 || c.Batch != 64 || c.TestSteps != 50 {
					t.Errorf("config %+v (%v) is not the control's protocol", c, err)
				}
			}
		})
	}
	// The sweep's other learning rates, CB-RNN then RNN each.
	var lrs []float64
	for _, g := range SweepGroups() {
		lrs = append(lrs, g.LR)
	}
	if !slices.Equal(lrs, []float64{0.003, 0.003, 0.03, 0.03}) {
		t.Errorf("sweep groups' lrs %v", lrs)
	}
	// Bad groups and profiles are refused with a sentence.
	p := tinyProfile
	p.SeedsOddball = 0
	if _, err := Configs(OddballGroups[0], desc("oddball"), p, 3); err == nil || !strings.Contains(err.Error(), "no runs of the oddball control") {
		t.Errorf("zero oddball runs: error %v", err)
	}
	noN := FixedNGroups[0]
	noN.FixedN = 0
	if _, err := Configs(noN, desc("dms"), tinyProfile, 3); err == nil || !strings.Contains(err.Error(), "needs its N") {
		t.Errorf("fixed-N group without N: error %v", err)
	}
	if _, err := Configs(Group{Label: "x", Model: "cb-rnn", Regime: trainer.Standard, Control: "bogus"}, desc("dms"), tinyProfile, 3); err == nil || !strings.Contains(err.Error(), "unknown control") {
		t.Errorf("unknown control: error %v", err)
	}
}

// TestSweepTasksPerProfile: the sweep is DMS alone at smoke and quick, DMS
// and parity at paper; its lr 0.01 need is fig2a's (same groups, budget).
func TestSweepTasksPerProfile(t *testing.T) {
	f, err := LookupFigure("lrsweep")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profile string
		want    []string
	}{{"smoke", []string{"dms"}}, {"quick", []string{"dms"}}, {"paper", []string{"dms", "parity"}}} {
		for i := range f.Needs {
			if got := f.NeedTasks(Profiles[tc.profile], i); !slices.Equal(got, tc.want) {
				t.Errorf("%s, need %d: tasks %v, want %v", tc.profile, i, got, tc.want)
			}
		}
	}
	fig2a, _ := LookupFigure("fig2a")
	same := slices.EqualFunc(f.Needs[0].Groups, fig2a.Needs[0].Groups, func(a, b Group) bool {
		return a.Label == b.Label && a.Model == b.Model && a.Regime == b.Regime && a.LR == b.LR
	})
	if !same || f.Needs[0].Epochs(Profiles["quick"]) != fig2a.Needs[0].Epochs(Profiles["quick"]) {
		t.Error("the sweep's lr 0.01 points are not fig2a's runs")
	}
	// Figures without TasksAt keep their needs' tasks.
	if got := fig2a.NeedTasks(Profiles["quick"], 0); !slices.Equal(got, []string{"dms", "parity"}) {
		t.Errorf("fig2a tasks %v", got)
	}
}

// TestEpochsToSolve: the epoch a run first solved its N; a run that never
// did counts as budget + 1.
func TestEpochsToSolve(t *testing.T) {
	for _, tc := range []struct {
		name   string
		runs   []FixedNRun
		budget int
		want   []float64
		solved int
	}{
		{"all solved", []FixedNRun{{Solved: 4}, {Solved: 12}}, 60, []float64{4, 12}, 2},
		{"one unsolved", []FixedNRun{{Solved: 7}, {}}, 60, []float64{7, 61}, 1},
		{"none", []FixedNRun{{}, {}}, 3, []float64{4, 4}, 0},
	} {
		got, solved := EpochsToSolve(tc.runs, tc.budget)
		if !slices.Equal(got, tc.want) || solved != tc.solved {
			t.Errorf("%s: %v (%d solved), want %v (%d)", tc.name, got, solved, tc.want, tc.solved)
		}
	}
}

// TestSweepArrangesAndPicksBest: the sweep's points are per architecture
// in lr order, the lr 0.01 points fig2a's cohorts cut to the sweep's budget
// (fig2a's own cohorts untouched), and the best lr is the largest mean AUC.
func TestSweepArrangesAndPicksBest(t *testing.T) {
	flat := func(label string, n float64, epochs int) *Cohort {
		curve := make([]float64, epochs)
		for i := range curve {
			curve[i] = n
		}
		return &Cohort{Label: label, Curves: [][]float64{curve, curve}, Budget: epochs}
	}
	ref := []*Cohort{flat("CB-RNN", 6, 10), flat("RNN-202", 3, 10)}
	swept := []*Cohort{flat("CB-RNN, lr 0.003", 4, 5), flat("RNN-202, lr 0.003", 2, 5), flat("CB-RNN, lr 0.03", 5, 5), flat("RNN-202, lr 0.03", 7, 5)}
	pts := Sweep(ref, swept, 5)
	for arch, want := range [2][]string{{"CB-RNN, lr 0.003", "CB-RNN, lr 0.01", "CB-RNN, lr 0.03"}, {"RNN-202, lr 0.003", "RNN-202, lr 0.01", "RNN-202, lr 0.03"}} {
		for j, pt := range pts[arch] {
			if pt.Cohort.Label != want[j] || pt.LR != SweepLRs[j] {
				t.Errorf("arch %d point %d: %s at lr %g, want %s", arch, j, pt.Cohort.Label, pt.LR, want[j])
			}
		}
	}
	if ref[0].Label != "CB-RNN" || ref[0].Budget != 10 {
		t.Errorf("fig2a's cohort changed: %+v", ref[0])
	}
	// AUC of a flat curve N over 5 epochs is 4N (trapezoid, unit steps).
	if got := pts[0][1].Row.AUC.Mean; got != 24 || pts[0][1].Cohort.Budget != 5 {
		t.Errorf("CB-RNN lr 0.01 AUC %g over %d epochs, want 24 over 5", got, pts[0][1].Cohort.Budget)
	}
	if b0, b1 := BestLR(pts[0]), BestLR(pts[1]); b0 != 1 || b1 != 2 {
		t.Errorf("best lr index CB %d RNN %d, want 1 and 2", b0, b1)
	}
	// A sweep longer than fig2a's runs would pad its lr 0.01 points: refused.
	for _, c := range append(ref, swept...) {
		c.Task.Name = "dms"
	}
	long := tinyProfile
	long.EpochsSweep = 20
	if _, err := lrSweepFig(context.Background(), nil, long, [][][]*Cohort{{ref}, {swept}}); err == nil || !strings.Contains(err.Error(), "EpochsSweep ≤ Epochs") {
		t.Errorf("sweep beyond fig2a's budget: error %v", err)
	}
	cl := sweepClaims("dms", pts, 1, 2)
	if len(cl) != 8 {
		t.Fatalf("%d claims, want 2 metrics × (3 lrs + best)", len(cl))
	}
	last := cl[6] // best lr, AUC: CB-RNN at 0.01 (24) against RNN at 0.03 (28)
	if last.ID != "lrsweep/dms/best-lr/auc/cb-rnn-lr-0.01-vs-rnn-202-lr-0.03" || last.Family != FamilyControls || last.Paper != NotReported ||
		last.Direction != claims.Greater || !slices.Equal(last.A, []float64{24, 24}) || !slices.Equal(last.B, []float64{28, 28}) {
		t.Errorf("best-lr claim %+v", last)
	}
}

// TestReviewerFiguresEndToEnd trains the controls' runs at a tiny budget,
// draws them and checks their tables and claims rows.
func TestReviewerFiguresEndToEnd(t *testing.T) {
	e := testEnv(t)
	rs, err := e.All(context.Background(), tinyProfile, []string{"fixedn", "lrsweep", "oddball"})
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
		if len(r.Claims) == 0 {
			t.Errorf("%s: no claims rows", r.ID)
		}
		for _, c := range r.Claims {
			if c.Family != FamilyControls || !strings.HasPrefix(c.Paper, NotReported) || c.Direction == claims.NoDirection || len(c.A) != 2 || len(c.B) != 2 {
				t.Errorf("%s: claim %+v", r.ID, c)
			}
		}
	}
	for i, wants := range [][]string{
		{"N = 5", "epochs to solve", "CB-RNN, fixed N", "RNN-202, fixed N", "budget + 1 = 4"},
		{"| 0.003 | CB-RNN, lr 0.003 |", "| 0.01 | RNN-202, lr 0.01 |", "Best lr:"},
		{"Oddball", "Frozen-core", "RNN-202", "budget 3 epochs"},
	} {
		for _, want := range wants {
			if !strings.Contains(rs[i].Markdown, want) {
				t.Errorf("%s markdown lacks %q:\n%s", rs[i].ID, want, rs[i].Markdown)
			}
		}
	}
	if n := len(rs[1].Claims); n != 8 {
		t.Errorf("lrsweep: %d claims, want 8 (DMS alone)", n)
	}
	if n := len(rs[2].Claims); n != 4 {
		t.Errorf("oddball: %d claims, want 4", n)
	}
	js, err := JudgeClaims(append(append(rs[0].Claims, rs[1].Claims...), rs[2].Claims...))
	if err != nil {
		t.Fatal(err)
	}
	// Two networks against two: the exact test's smallest p is 1/6, so the
	// engine can neither support nor contradict any row.
	for _, j := range js {
		if j.Verdict == claims.Supported || j.Verdict == claims.Contradicted {
			t.Errorf("%s: %v at n = 2 per group", j.ID, j.Verdict)
		}
	}
	if len(js) != len(rs[0].Claims)+len(rs[1].Claims)+len(rs[2].Claims) {
		t.Errorf("%d judged rows", len(js))
	}
}
