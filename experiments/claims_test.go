package experiments

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

func judgeOne(t *testing.T, c Claim) JudgedClaim {
	t.Helper()
	js, err := JudgeClaims([]Claim{c})
	if err != nil {
		t.Fatal(err)
	}
	return js[0]
}

func ab(id string, a, b []float64, dir claims.Direction) Claim {
	return betweenClaim(id, "a above b", "test", "AUC, a − b", "direction only", dir, "a", a, "b", b, 0)
}

// TestTableUsesEngine: the rows the old "≥ 2 SE" rule got wrong go through
// package claims. {5,6,7} vs {4,5,5} (old z = 2 that round-off made
// 1.9999999999999993) is inconclusive with the permutation p 6/20 = 0.3; a
// zero-spread group leaves Welch undefined and the permutation test decides
// alone; a tied permutation case counts the tie; no verdict is "shown".
func TestTableUsesEngine(t *testing.T) {
	for _, tc := range []struct {
		name      string
		a, b      []float64
		verdict   claims.Verdict
		p         float64
		inReason  string
		floorNeed int
	}{
		{"old z = 2 case", []float64{5, 6, 7}, []float64{4, 5, 5}, claims.Inconclusive, 0.3, "cannot give p below 0.3", 4},
		{"zero spread", []float64{3, 3, 3}, []float64{1, 1, 1}, claims.Inconclusive, 0.1, "decides alone", 4},
		// Ties: {1,2,2} vs {1,1,2}: relabellings with a difference as large
		// as the observed (in exact arithmetic) count, ties included.
		{"tied permutation", []float64{1, 2, 2}, []float64{1, 1, 2}, claims.Inconclusive, 1, "", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := judgeOne(t, ab("t/"+tc.name, tc.a, tc.b, claims.Greater))
			if j.Verdict != tc.verdict || math.Abs(j.P-tc.p) > 1e-12 {
				t.Errorf("verdict %v p %v, want %v %v (%s)", j.Verdict, j.P, tc.verdict, tc.p, j.Reason)
			}
			if !strings.Contains(j.Reason, tc.inReason) {
				t.Errorf("reason %q lacks %q", j.Reason, tc.inReason)
			}
			if _, _, floor := ParseNeed(j.NeedText()); floor != tc.floorNeed {
				t.Errorf("need %q: floor %d, want %d", j.NeedText(), floor, tc.floorNeed)
			}
			if s := j.Sentence(); !strings.HasPrefix(s, "Inconclusive: a ") || !strings.Contains(s, "n = 3 each") {
				t.Errorf("sentence %q", s)
			}
		})
	}
}

// TestHolmFamilies: Holm runs over each family apart, with the adjusted p's
// of the engine's Holm (hand-worked: raw p's 0.001, 0.02, 0.04 over m = 3
// give 0.003, 0.04, 0.04); not-testable rows stay out of the family.
func TestHolmFamilies(t *testing.T) {
	big := func(shift float64) []float64 {
		return []float64{10 + shift, 11 + shift, 12 + shift, 13 + shift, 14 + shift, 15 + shift, 16 + shift, 17 + shift}
	}
	base := big(0)
	cs := []Claim{
		ab("p/1", big(8), base, claims.Greater),
		ab("p/2", big(4), base, claims.Greater),
		ab("p/3", big(-8), base, claims.Greater), // the opposite sign
		ab("p/none", big(1), base, claims.NoDirection),
	}
	vac := ab("p/vacuous", big(3), base, claims.Greater)
	vac.NotTestable = "not testable: a reason of the builder"
	ctl := ab("c/1", big(8), base, claims.Greater)
	ctl.Family = FamilyControls
	cs = append(cs, vac, ctl)
	js, err := JudgeClaims(cs)
	if err != nil {
		t.Fatal(err)
	}
	var raw []float64
	for _, j := range js[:3] {
		raw = append(raw, j.P)
		if j.FamilySize != 3 {
			t.Errorf("%s: family size %d, want 3", j.ID, j.FamilySize)
		}
	}
	adj, err := claims.Holm(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range js[:3] {
		if math.Abs(j.AdjustedP-adj[i]) > 1e-12 {
			t.Errorf("%s adjusted %v, Holm gives %v", j.ID, j.AdjustedP, adj[i])
		}
	}
	if js[0].Verdict != claims.Supported || js[2].Verdict != claims.Contradicted {
		t.Errorf("verdicts %v %v, want supported, contradicted", js[0].Verdict, js[2].Verdict)
	}
	if js[3].Verdict != claims.NotTestable || !strings.Contains(js[3].Reason, "gives no direction") || !math.IsNaN(js[3].AdjustedP) {
		t.Errorf("no-direction row: %v %q adj %v", js[3].Verdict, js[3].Reason, js[3].AdjustedP)
	}
	if js[4].Verdict != claims.NotTestable || js[4].Reason != vac.NotTestable {
		t.Errorf("builder's not-testable row: %v %q", js[4].Verdict, js[4].Reason)
	}
	// The control is alone in its family: its adjusted p is its raw p.
	if js[5].FamilySize != 1 || js[5].AdjustedP != js[5].P {
		t.Errorf("control: family %d, p %v adjusted %v", js[5].FamilySize, js[5].P, js[5].AdjustedP)
	}
	// Holm by hand on three raw p's, as the engine applies it.
	h, _ := claims.Holm([]float64{0.001, 0.02, 0.04})
	for i, w := range []float64{0.003, 0.04, 0.04} {
		if math.Abs(h[i]-w) > 1e-12 {
			t.Errorf("Holm %v, want 0.003 0.04 0.04", h)
		}
	}
	// A repeated ID is judged once.
	again, _ := JudgeClaims(append(cs, ab("p/1", base, base, claims.Greater)))
	if len(again) != len(cs) {
		t.Errorf("%d rows from a repeated ID, want %d", len(again), len(cs))
	}
}

func cohort(g Group, taskName string, curves ...[]float64) *Cohort {
	return &Cohort{Group: g, Task: task.Description{Name: taskName}, Label: g.Label, Curves: curves, Budget: len(curves[0])}
}

// TestVacuousPeriodicCore: at the quick profile no Periodic-core run
// reaches its first refresh (N = start + k = 12 on DMS), so its runs are
// Frozen-core's: its rows are not testable with that reason, and the
// figures draw the two groups once.
func TestVacuousPeriodicCore(t *testing.T) {
	fr := [][]float64{{2, 3, 4, 5, 6}, {2, 3, 3, 4, 5}, {2, 2, 3, 4, 4}}
	rnn := cohort(Group{Label: "RNN-202", Model: "rnn"}, "dms", []float64{2, 2, 3, 3, 4}, []float64{2, 2, 2, 3, 3}, []float64{2, 3, 3, 3, 4})
	rnn.Group = RNNMatched
	rnn.Label = "RNN-202"
	cs := []*Cohort{cohort(CBRNN, "dms", []float64{2, 3, 4, 5, 7}, []float64{2, 3, 4, 6, 7}, []float64{2, 3, 5, 6, 7}),
		cohort(FrozenCoreGroup, "dms", fr...), cohort(PeriodicCoreGroup, "dms", fr...), rnn}
	if ok, at := periodicRefreshed(cs[2]); ok || at != 12 {
		t.Fatalf("periodicRefreshed = %v at %d, want false at 12", ok, at)
	}
	t4 := analysis.GroupTable(analysisGroups(cs), 5)
	rows := table4Claims("dms", cs, t4)
	if len(rows) != 18 {
		t.Fatalf("%d rows, want 3 metrics × 6 pairs", len(rows))
	}
	var vac, testable int
	for _, c := range rows {
		involves := strings.Contains(c.ID, "periodic-core")
		switch {
		case involves && strings.Contains(c.NotTestable, "no Periodic-core run reached its first core refresh at N = 12"):
			vac++
		case !involves && c.NotTestable == "":
			testable++
		default:
			t.Errorf("%s: not testable %q", c.ID, c.NotTestable)
		}
	}
	if vac != 9 || testable != 9 {
		t.Errorf("%d vacuous, %d testable rows, want 9 and 9", vac, testable)
	}
	// The paper's direction per metric from its numbers: Periodic-core's
	// max N (35.63) is above the CB-RNN's (34.75) on DMS.
	for _, c := range rows {
		if c.ID == "table4/dms/maxn/cb-rnn-vs-periodic-core" && c.Direction != claims.Less {
			t.Errorf("CB-RNN vs Periodic-core max N direction %v, want less (the paper's 34.75 < 35.63)", c.Direction)
		}
		if c.ID == "table4/dms/half/cb-rnn-vs-rnn-202" && (c.Direction != claims.Less || c.PaperEffect == nil || c.PaperEffect.Diff != 215-456) {
			t.Errorf("half row %+v", c)
		}
	}
	drawn, note := drawnOnce(cs)
	if len(drawn) != 3 || drawn[1].Label != "Frozen-core = Periodic-core" || !strings.Contains(note, "no refresh within the budget") {
		t.Errorf("drawn %d groups, label %q, note %q", len(drawn), drawn[1].Label, note)
	}
	if cs[1].Label != "Frozen-core" {
		t.Errorf("drawnOnce changed the caller's cohort: %q", cs[1].Label)
	}
	// One run past N = 12 makes the group a group of its own.
	cs[2] = cohort(PeriodicCoreGroup, "dms", append(fr[:2:2], []float64{2, 4, 8, 12, 13})...)
	if ok, _ := periodicRefreshed(cs[2]); !ok {
		t.Error("a run that trained at N = 12 refreshed")
	}
	if d, _ := drawnOnce(cs); len(d) != 4 {
		t.Errorf("groups that differ are drawn apart: %d", len(d))
	}
	// Equal paper numbers give no direction (parity Periodic-core and RNN
	// max N, 16.75 both).
	pc := []*Cohort{cohort(PeriodicCoreGroup, "parity", []float64{2, 3, 8, 9}, []float64{2, 3, 8, 9}), rnn}
	for _, c := range table4Claims("parity", pc, analysis.GroupTable(analysisGroups(pc), 5)) {
		if c.ID == "table4/parity/maxn/periodic-core-vs-rnn-202" && !strings.Contains(c.NotTestable, "equal") {
			t.Errorf("equal paper numbers: %q", c.NotTestable)
		}
	}
}

// TestReportRendersClaims: the report has the verdict counts first and the
// new columns, and the claims file round-trips the same rows.
func TestReportRendersClaims(t *testing.T) {
	p := Profile{Name: "synthetic", Summary: "a test", Epochs: 5, Seeds: 3}
	r := &Result{ID: "table4", Title: "t", Claims: []Claim{
		ab("table4/x/auc/a-vs-b", []float64{761, 755, 768}, []float64{646, 640, 652}, claims.Greater),
		ab("table4/x/auc/n1", []float64{761}, []float64{646, 640, 652}, claims.Greater),
	}}
	js, err := JudgeResults([]*Result{r})
	if err != nil {
		t.Fatal(err)
	}
	md := ReportJudged(p, []*Result{r}, js, "", 0, 0, IDs())
	for _, w := range []string{
		"Of the 2 claims checked below, 0 are supported by this profile's runs, 0 are contradicted, 1 are inconclusive and 1 are not testable here.",
		"| claim | where | metric | paper | ours (a, b with n) | test | effect [95 % CI] | p | adjusted p | verdict | reason / what would decide |",
		"### The paper's claims (Holm over 1 directed, testable claims)",
		"a 761 ± 4 (n = 3) vs b 646 ± 3 (n = 3)", "| **inconclusive** |", "What would decide: n = ", "| **not testable** |",
		"Welch's t needs at least 2",
	} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q:\n%s", w, md)
		}
	}
	path := filepath.Join(t.TempDir(), "paper", "claims.json")
	if err := WriteClaims(path, Records(js)); err != nil {
		t.Fatal(err)
	}
	back, err := ReadClaims(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].ID != "table4/x/auc/a-vs-b" || back[0].Figure != "table4" || back[0].Verdict != "inconclusive" ||
		back[0].AdjustedP == nil || back[1].P != nil || !strings.HasPrefix(back[0].Sentence, "Inconclusive: a 761 ± 4 vs b 646 ± 3") ||
		!strings.Contains(back[0].Sentence, "smallest possible p at this n is 0.1") {
		b, _ := json.MarshalIndent(back, "", " ")
		t.Errorf("claims file:\n%s", b)
	}
	obs, _, floor := ParseNeed(back[0].Need)
	if obs < 4 || floor < 4 || len(ClaimsOf(back, "table4")) != 2 {
		t.Errorf("need %q parsed as %d, floor %d", back[0].Need, obs, floor)
	}
}

// TestAblationClaimPerNetwork: the ablation row is the per-network mean
// drop over the shared Ns, a paired (one-sample) claim.
func TestAblationClaimPerNetwork(t *testing.T) {
	s := &AblationStudy{Task: "dms", Ns: []int{2, 3}, Nets: []string{"a", "b"},
		WithCB: [][]float64{{99, 97}, {100, 98}}, NoCB: [][]float64{{60, 55}, {90, 80}}}
	c := ablationClaims([]*AblationStudy{s})[0]
	// (60 − 99 + 55 − 97)/2 = −40.5; (90 − 100 + 80 − 98)/2 = −14.
	if c.Design != claims.Paired || c.B != nil || len(c.A) != 2 || c.A[0] != -40.5 || c.A[1] != -14 || c.Direction != claims.Less {
		t.Errorf("ablation claim %+v", c)
	}
}
