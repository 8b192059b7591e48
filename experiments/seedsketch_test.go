package experiments

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestEpochsPerN counts the epochs a run spent at each N it solved; the N
// it ended at is not solved.
func TestEpochsPerN(t *testing.T) {
	for _, tc := range []struct {
		curve []float64
		want  map[int]int
	}{
		{[]float64{2, 2, 3, 4, 4, 4, 5}, map[int]int{2: 2, 3: 1, 4: 3}},
		{[]float64{2, 2, 2}, map[int]int{}},
		{nil, map[int]int{}},
	} {
		got := EpochsPerN(tc.curve)
		if len(got) != len(tc.want) {
			t.Errorf("%v: %v, want %v", tc.curve, got, tc.want)
		}
		for n, e := range tc.want {
			if got[n] != e {
				t.Errorf("%v: N=%d took %d epochs, want %d", tc.curve, n, got[n], e)
			}
		}
	}
}

// TestComplexityStudy: the Ns are those every run of both groups solved,
// the per-run slopes are least-squares slopes of epochs on N, and the
// difference of the groups' mean slopes is the slope of the advantage.
func TestComplexityStudy(t *testing.T) {
	// CB runs: 1 epoch at N=2, 1 at 3, 1 at 4 (slope 0); RNN runs: 1, 2, 3
	// epochs and 1, 3, 5 (slopes 1 and 2); one RNN run also solves N=5,
	// which the CB runs do not: N=5 is not shared.
	cb := cohort(CBRNN, "dms", []float64{2, 3, 4, 5}, []float64{2, 3, 4, 5})
	rnn := cohort(RNNMatched, "dms", []float64{2, 3, 3, 4, 4, 4, 5, 6}, []float64{2, 3, 3, 3, 4, 4, 4, 4, 4, 5})
	rnn.Label = "RNN-202"
	s := ComplexityStudyOf(cb, rnn)
	if !slices.Equal(s.Ns, []int{2, 3, 4}) {
		t.Fatalf("Ns %v, want [2 3 4]", s.Ns)
	}
	if !slices.Equal(s.Slopes[0], []float64{0, 0}) || math.Abs(s.Slopes[1][0]-1) > 1e-12 || math.Abs(s.Slopes[1][1]-2) > 1e-12 {
		t.Fatalf("slopes %v", s.Slopes)
	}
	adv := s.Advantage() // RNN mean 1, 2.5, 4 minus CB's 1, 1, 1
	if !slices.Equal(adv, []float64{0, 1.5, 3}) {
		t.Fatalf("advantage %v", adv)
	}
	slope, iv, err := s.SlopeInterval()
	if err != nil || slope != 1.5 || !(iv.Lo <= 1.5 && 1.5 <= iv.Hi) {
		t.Fatalf("slope of the advantage %v [%v, %v] (%v), want 1.5 (the advantage rises 1.5 per N)", slope, iv.Lo, iv.Hi, err)
	}
	c := complexityClaim(s)
	if c.Family != SketchFamily || !strings.Contains(c.Where, "the sketch's claim, not the paper's") || c.Direction != claims.Greater ||
		c.LabelA != "RNN-202" || c.NotTestable != "" {
		t.Errorf("claim %+v", c)
	}
	one := ComplexityStudyOf(cohort(CBRNN, "dms", []float64{2, 3}), cohort(RNNMatched, "dms", []float64{2, 2, 3}))
	if c := complexityClaim(one); c.NotTestable == "" {
		t.Errorf("one shared N: the slope claim should not be testable (%+v)", c)
	}
}

// TestLossClaims: the area is the sum of the per-epoch losses over the
// shared epochs; a run without test loss makes the test-loss row not
// testable, with the reason; both rows are the sketch's.
func TestLossClaims(t *testing.T) {
	if got := LossAreas([][]float64{{1, 2, 3}, {1, math.NaN(), 1}}, 2); got[0] != 3 || !math.IsNaN(got[1]) {
		t.Errorf("areas %v, want [3 NaN]", got)
	}
	if e := SharedEpochs([][]float64{{1, 2, 3}}, [][]float64{{1, 2}, {1, 2, 3, 4}}); e != 2 {
		t.Errorf("shared epochs %d, want 2", e)
	}
	a := LossCurves{Label: "CB-RNN", Train: [][]float64{{1, 1}, {1, 2}}, Test: [][]float64{{1, 1}, {math.NaN(), math.NaN()}}, MissingTest: 1}
	b := LossCurves{Label: "RNN-202", Train: [][]float64{{2, 2}, {3, 2}}, Test: [][]float64{{2, 2}, {2, 2}}}
	cs := lossClaims("dms", a, b, 2)
	if len(cs) != 2 {
		t.Fatalf("%d rows", len(cs))
	}
	tr, te := cs[0], cs[1]
	if !slices.Equal(tr.A, []float64{2, 3}) || !slices.Equal(tr.B, []float64{4, 5}) || tr.Direction != claims.Less || tr.NotTestable != "" {
		t.Errorf("training row %+v", tr)
	}
	if !strings.Contains(te.NotTestable, "1 of 4 runs have no test loss") {
		t.Errorf("test row not testable because %q", te.NotTestable)
	}
	for _, c := range cs {
		if c.Family != SketchFamily || !strings.HasSuffix(c.Where, "the sketch's claim, not the paper's") {
			t.Errorf("%s: family %q where %q", c.ID, c.Family, c.Where)
		}
	}
}

// TestLossCurvesOf reads stats.jsonl: a line without test_loss (a run
// trained before it was recorded) reads as NaN and counts the run.
func TestLossCurvesOf(t *testing.T) {
	d, err := rundir.Create(t.TempDir(), map[string]int{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	tl := 0.5
	for _, s := range []trainer.EpochStats{{Epoch: 1, N: 2, TrainLoss: 0.7, TestLoss: &tl}, {Epoch: 2, N: 2, TrainLoss: 0.6}} {
		if err := d.AppendStats(s); err != nil {
			t.Fatal(err)
		}
	}
	lc, err := LossCurvesOf(&Cohort{Label: "x", Dirs: []*rundir.Dir{d}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lc.Train[0], []float64{0.7, 0.6}) || lc.Test[0][0] != 0.5 || !math.IsNaN(lc.Test[0][1]) || lc.MissingTest != 1 {
		t.Errorf("%+v", lc)
	}
}

// TestAblationLevelClaims: the two one-sided rows of the equivalence test
// compare the ablated accuracies with RNN-202's shifted by ∓ the margin,
// and the chance row holds each network's ablated accuracy − 50.
func TestAblationLevelClaims(t *testing.T) {
	s := &AblationStudy{Task: "parity", Ns: []int{2, 3},
		NoCB:     [][]float64{{60, 70}, {50, 50}},
		Baseline: [][]float64{{90, 100}, {80, 80}, {100, 100}}}
	cs := ablationLevelClaims(s, "RNN-202")
	if len(cs) != 3 {
		t.Fatalf("%d rows", len(cs))
	}
	lo, hi, ch := cs[0], cs[1], cs[2]
	m := SketchAblationMargin
	if !slices.Equal(lo.A, []float64{65, 50}) || !slices.Equal(lo.B, []float64{95 - m, 80 - m, 100 - m}) || lo.Direction != claims.Greater {
		t.Errorf("lower side %+v", lo)
	}
	if !slices.Equal(hi.B, []float64{95 + m, 80 + m, 100 + m}) || hi.Direction != claims.Less {
		t.Errorf("upper side %+v", hi)
	}
	if ch.Design != claims.Paired || ch.B != nil || !slices.Equal(ch.A, []float64{15, 0}) || ch.Direction != claims.Greater {
		t.Errorf("chance row %+v", ch)
	}
	for _, c := range cs {
		if c.Family != SketchFamily || !strings.Contains(c.Where, "N ∈ 2–3") && !strings.Contains(c.Where, "N ∈ 2, 3") {
			t.Errorf("%s: family %q where %q", c.ID, c.Family, c.Where)
		}
	}
	s.Ns = nil
	for _, c := range ablationLevelClaims(s, "RNN-202") {
		if c.NotTestable == "" {
			t.Errorf("%s: no shared N, yet testable", c.ID)
		}
	}
}

// TestSketchFamilyApart: the sketch's rows are judged in a Holm family of
// their own and printed under their own heading, after the paper's.
func TestSketchFamilyApart(t *testing.T) {
	big := func(shift float64) []float64 {
		return []float64{10 + shift, 11 + shift, 12 + shift, 13 + shift, 14 + shift, 15 + shift}
	}
	p := ab("p/1", big(8), big(0), claims.Greater)
	s1 := sketchClaim(ab("s/1", big(8), big(0), claims.Greater), "seed-loss")
	s2 := sketchClaim(ab("s/2", big(6), big(0), claims.Greater), "seed-loss")
	js, err := JudgeClaims([]Claim{s1, p, s2})
	if err != nil {
		t.Fatal(err)
	}
	if js[1].FamilySize != 1 || js[0].FamilySize != 2 || js[2].FamilySize != 2 {
		t.Errorf("family sizes %d %d %d, want 2 1 2", js[0].FamilySize, js[1].FamilySize, js[2].FamilySize)
	}
	md := ClaimsMarkdown(js)
	i, k := strings.Index(md, "### "+FamilyPaper), strings.Index(md, "### "+SketchFamily)
	if i < 0 || k < i {
		t.Errorf("headings: the paper's at %d, the sketch's at %d:\n%s", i, k, md)
	}
	if r := js[0].Record(); r.Family != SketchFamily || r.Where != "seed-loss; the sketch's claim, not the paper's" {
		t.Errorf("record %+v", r)
	}
}

// TestSketchGroups: the sketch's groups train the profile's SeedsSketch
// runs at its EpochsSketchModel, and the matched tanh RNN is labelled with its
// size.
func TestSketchGroups(t *testing.T) {
	quick := Profiles["quick"]
	d, err := testEnv(t).Source.Describe(context.Background(), "dms")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range SketchGroups {
		cs, err := Configs(g, d, quick, sketchModelBudget(quick))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != quick.SeedsSketch || cs[0].Epochs != quick.EpochsSketchModel || cs[0].ModelName != g.Model || cs[0].Regime != g.Regime {
			t.Errorf("%s: %d runs of %+v", g.Label, len(cs), cs[0])
		}
	}
	if got := LabelFor(SketchRNN, d); got != "tanh RNN-143" {
		t.Errorf("label %q, want tanh RNN-143", got)
	}
	// The quick profile's new training stays within its budget.
	if runEpochs := len(SketchGroups) * len(singleTasks) * quick.SeedsSketch * quick.EpochsSketchModel; runEpochs > 800 {
		t.Errorf("seed-sketch trains %d run-epochs at quick, more than 800", runEpochs)
	}
}
