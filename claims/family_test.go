package claims

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func evaluateOne(t *testing.T, c Comparison, opt Options) Result {
	t.Helper()
	rs, err := Evaluate([]Comparison{c}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

// TestOldZRuleCase is the case the "sign and ≥ 2 SE" rule got wrong: the
// z of {5,6,7} against {4,5,5} is exactly 2, and float64 made it
// 1.9999999999999993. The new rule never compares against a boundary that
// round-off can cross: the exact permutation p is 6/20 however the values
// are written, and three networks a group cannot decide at all. (The test
// first checks that float64 still gives the old z below 2, the case's point.)
func TestOldZRuleCase(t *testing.T) {
	a, b := []float64{5, 6, 7}, []float64{4, 5, 5}
	sem := func(x []float64) float64 { return stat.StdDev(x, nil) / math.Sqrt(float64(len(x))) }
	if z := (stat.Mean(a, nil) - stat.Mean(b, nil)) / math.Hypot(sem(a), sem(b)); z >= 2 {
		t.Fatalf("the old z is %v here; the case no longer shows the round-off", z)
	}
	for _, tc := range []struct {
		name string
		a, b []float64
	}{
		{"as given", a, b},
		{"reordered", []float64{7, 5, 6}, []float64{5, 4, 5}},
		{"scaled by 0.1", []float64{0.5, 0.6, 0.7}, []float64{0.4, 0.5, 0.5}},
		{"shifted by 0.1", []float64{5.1, 6.1, 7.1}, []float64{4.1, 5.1, 5.1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := evaluateOne(t, Comparison{Name: "old z case", A: tc.a, B: tc.b, Direction: Greater}, Options{})
			if r.Verdict != Inconclusive || r.P != 0.3 || r.AdjustedP != 0.3 {
				t.Errorf("verdict %v, p %v, adjusted %v; want inconclusive, 0.3, 0.3", r.Verdict, r.P, r.AdjustedP)
			}
			if !strings.HasPrefix(r.DecidedBy, "exact permutation") {
				t.Errorf("decided by %q, want the permutation test (its p is larger)", r.DecidedBy)
			}
			if !strings.Contains(r.Reason, "cannot give p below 0.3") {
				t.Errorf("reason %q does not say the size cannot decide", r.Reason)
			}
			if r.Need == nil || r.Need.Floor != 4 || r.Need.AtObserved < 4 {
				t.Errorf("need = %+v, want a floor of 4 per group", r.Need)
			}
			if !near(r.Parametric.Statistic, 2, 1e-12) {
				t.Errorf("Welch t = %v, want 2", r.Parametric.Statistic)
			}
		})
	}
}

func TestZeroSpread(t *testing.T) {
	// Five against five, no spread in either: Welch's t is +Inf and proves
	// nothing; the permutation test's 2/252 = 0.0079 decides.
	r := evaluateOne(t, Comparison{Name: "flat 5", A: []float64{1, 1, 1, 1, 1}, B: []float64{0, 0, 0, 0, 0}, Direction: Greater}, Options{})
	if r.Verdict != Supported || !math.IsInf(r.Parametric.Statistic, 1) || !math.IsNaN(r.Parametric.P) {
		t.Errorf("verdict %v, t %v, Welch p %v", r.Verdict, r.Parametric.Statistic, r.Parametric.P)
	}
	if r.P != 2.0/252 || !strings.Contains(r.Reason, "decides alone") {
		t.Errorf("p %v, reason %q", r.P, r.Reason)
	}
	if !math.IsInf(r.Effect.G, 1) || r.Effect.Diff != 1 || r.Effect.DiffCI != (Interval{1, 1}) {
		t.Errorf("effect %+v", r.Effect)
	}
	// Three against three: the same data pattern cannot reach p < 0.1.
	r = evaluateOne(t, Comparison{Name: "flat 3", A: []float64{1, 1, 1}, B: []float64{0, 0, 0}, Direction: Greater}, Options{})
	if r.Verdict != Inconclusive || r.P != 0.1 {
		t.Errorf("3 vs 3 without spread: verdict %v, p %v; want inconclusive, 0.1", r.Verdict, r.P)
	}
}

func TestVerdicts(t *testing.T) {
	low, high := []float64{1, 2, 3, 4, 5}, []float64{11, 12, 13, 14, 15}
	abl := []float64{30.1, 28.4, 35.0, 25.2, 32.7, 31.9} // per-network drops, all positive
	tests := []struct {
		name   string
		c      Comparison
		want   Verdict
		reason string
	}{
		{"paper's sign", Comparison{Name: "up", A: high, B: low, Direction: Greater}, Supported, "the paper's sign"},
		{"opposite sign", Comparison{Name: "down", A: low, B: high, Direction: Greater}, Contradicted, "opposite"},
		{"expected less", Comparison{Name: "less", A: low, B: high, Direction: Less}, Supported, "the paper's sign"},
		// Six positive differences: signed-rank p = 2/64 = 0.03125 decides.
		{"paired, differences given", Comparison{Name: "ablation", Design: Paired, A: abl, Direction: Greater}, Supported, "signed-rank"},
		// Three pairs: signed-rank p ≥ 2/8, never below 0.05.
		{"paired, three networks", Comparison{Name: "ablation 3", Design: Paired, A: abl[:3], Direction: Greater}, Inconclusive, "cannot give p below 0.25"},
		{"one network", Comparison{Name: "gru", A: []float64{210}, B: []float64{202}, Direction: Greater}, NotTestable, "n = 1 and 1"},
		{"a NaN", Comparison{Name: "nan", A: []float64{1, math.NaN()}, B: []float64{1, 2}, Direction: Greater}, NotTestable, "group A, value 2"},
		{"no direction", Comparison{Name: "appG", A: high, B: low}, NotTestable, "no direction"},
		{"one pair", Comparison{Name: "pair", Design: Paired, A: []float64{3}, B: []float64{1}, Direction: Greater}, NotTestable, "1 pair(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := evaluateOne(t, tc.c, Options{})
			if r.Verdict != tc.want || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("verdict %v (%q), want %v with %q", r.Verdict, r.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestPairedResult(t *testing.T) {
	r := evaluateOne(t, Comparison{Name: "sleep", Design: Paired, A: sleep1, B: sleep2, Direction: Less}, Options{})
	// Paired t p = 0.002833; the signed-rank test drops the one zero
	// difference and ties 1.3 twice, so it decides with the larger p.
	if r.Verdict != Supported || !strings.Contains(r.DecidedBy, "signed-rank") || r.P < 0.002833 {
		t.Errorf("verdict %v decided by %q at p %v", r.Verdict, r.DecidedBy, r.P)
	}
	if r.NA != 10 || r.NB != 10 || !near(r.Effect.Diff, -1.58, 1e-12) || !near(r.Effect.DiffCI.Lo, -2.4598858, 1e-6) {
		t.Errorf("n %d/%d, effect %+v", r.NA, r.NB, r.Effect)
	}
}

// TestFamilyHolm: the permutation p of {7,8,9} against a symmetric
// {−9,−8,−7,−2,−1,1,2} is exactly 2/C(10,3) = 1/60 (only the observed
// labelling and its mirror reach |s·10| = 240), below Welch's p. Two such
// claims adjust to 2/60 < 0.05; three to exactly 3/60 = 0.05, which is not
// below it. A claim with no direction stays out of the family.
func TestFamilyHolm(t *testing.T) {
	c := Comparison{A: []float64{7, 8, 9}, B: []float64{-9, -8, -7, -2, -1, 1, 2}, Direction: Greater}
	undirected := Comparison{Name: "undirected", A: []float64{1, 2}, B: []float64{3, 4}}
	family := func(k int) []Comparison {
		var f []Comparison
		for i := range k {
			c.Name = string(rune('a' + i))
			f = append(f, c)
		}
		return append(f, undirected)
	}
	for _, tc := range []struct {
		k    int
		want Verdict
		adj  float64
	}{{1, Supported, 1.0 / 60}, {2, Supported, 2.0 / 60}, {3, Inconclusive, 0.05}} {
		rs, err := Evaluate(family(tc.k), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs[:tc.k] {
			if r.P != 1.0/60 || r.Verdict != tc.want || r.AdjustedP != tc.adj {
				t.Errorf("%d claims: p %v adjusted %v verdict %v; want 1/60, %v, %v", tc.k, r.P, r.AdjustedP, r.Verdict, tc.adj, tc.want)
			}
			if !strings.Contains(r.Reason, "over "+string(rune('0'+tc.k))+" claims") {
				t.Errorf("reason %q does not name a family of %d", r.Reason, tc.k)
			}
		}
		if u := rs[tc.k]; u.Verdict != NotTestable || !math.IsNaN(u.AdjustedP) {
			t.Errorf("undirected row: %v, adjusted %v", u.Verdict, u.AdjustedP)
		}
	}
}

func TestNeed(t *testing.T) {
	// One network a group (the GRU rows): no observed effect, but the
	// paper's difference 0.5 SD needs 64 a group at .05 (Cohen 1988).
	r := evaluateOne(t, Comparison{Name: "gru", A: []float64{210}, B: []float64{202}, Direction: Greater, Paper: &PaperEffect{Diff: 5, SD: 10}}, Options{})
	if r.Need == nil || r.Need.AtPaper != 64 || r.Need.AtObserved != 0 || !math.IsNaN(r.Need.Observed) {
		t.Errorf("need %+v", r.Need)
	}
	if r.Effect.Diff != 8 || !math.IsNaN(r.Effect.G) {
		t.Errorf("effect %+v, want the difference 8 and no g", r.Effect)
	}
	// At a Holm worst case of .05/20 the exact test alone needs 6 a group.
	r = evaluateOne(t, Comparison{Name: "big effect", A: []float64{5, 6, 7}, B: []float64{1, 2, 3}, Direction: Greater}, Options{NeedAlpha: 0.0025})
	if r.Verdict != Inconclusive || r.Need == nil || r.Need.Floor != 6 || r.Need.AtObserved != 6 {
		t.Errorf("verdict %v, need %+v; want the floor of 6 to bind", r.Verdict, r.Need)
	}
	if r.Need.Alpha != 0.0025 || r.Need.Power != 0.8 {
		t.Errorf("need does not state its level and power: %+v", r.Need)
	}
}

func TestEvaluateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Comparison
		opt  Options
		msg  string
	}{
		{"paired lengths", Comparison{Name: "x", Design: Paired, A: []float64{1, 2}, B: []float64{1}, Direction: Greater}, Options{}, "differ in length"},
		{"direction", Comparison{Name: "x", A: []float64{1, 2}, B: []float64{1, 2}, Direction: 2}, Options{}, "direction 2"},
		{"no B", Comparison{Name: "x", A: []float64{1, 2}, Direction: Greater}, Options{}, "needs group B"},
		{"design", Comparison{Name: "x", Design: 7, A: []float64{1, 2}, B: []float64{1, 2}, Direction: Greater}, Options{}, "design 7"},
		{"alpha", Comparison{Name: "x", A: []float64{1, 2}, B: []float64{1, 2}, Direction: Greater}, Options{Alpha: 1.5}, "alpha"},
	} {
		_, err := Evaluate([]Comparison{tc.c}, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.msg)
		}
	}
}

// TestRowIndependentOfPosition: each row seeds its resampling from its name,
// so moving it in the family changes nothing but Holm's m.
func TestRowIndependentOfPosition(t *testing.T) {
	x := Comparison{Name: "x", A: sleep2, B: sleep1, Direction: Greater}
	y := Comparison{Name: "y", A: []float64{1, 2, 3}, B: []float64{2, 3, 4}, Direction: Greater}
	r1, _ := Evaluate([]Comparison{x, y}, Options{Seed: 9})
	r2, _ := Evaluate([]Comparison{y, x}, Options{Seed: 9})
	if r1[0].Effect != r2[1].Effect || r1[0].P != r2[1].P {
		t.Errorf("row x moved: %+v vs %+v", r1[0].Effect, r2[1].Effect)
	}
}
