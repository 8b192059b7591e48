package experiments

import (
	"math"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/analysis"
)

// TestClaimVerdicts works the rule of ClaimRule by hand: SE = √(SEM_a² +
// SEM_b²), z = (a − b)/SE, shown at ≥ 2 SE with the paper's sign.
func TestClaimVerdicts(t *testing.T) {
	s := func(mean, sem float64, n int) analysis.Summary { return analysis.Summary{Mean: mean, SEM: sem, N: n} }
	for _, tc := range []struct {
		name     string
		c        Claim
		diff, se float64
		want     string
	}{
		// 756 − 646 = 110; SE = √(30² + 40²) = 50; z = 2.2.
		{"faster, shown", Claim{Sign: +1, A: s(756, 30, 3), B: s(646, 40, 3)}, 110, 50, "shown"},
		// z = 1.8: within 2 SE.
		{"faster, not shown", Claim{Sign: +1, A: s(736, 30, 3), B: s(646, 40, 3)}, 90, 50, "not shown"},
		// Fewer epochs to half is faster: the paper's sign is −1.
		{"half, shown", Claim{Sign: -1, A: s(40, 3, 3), B: s(60, 4, 3)}, -20, 5, "shown"},
		{"opposite, contradicted", Claim{Sign: +1, A: s(600, 30, 3), B: s(720, 40, 3)}, -120, 50, "contradicted"},
		{"one group, shown", Claim{Sign: +1, A: s(12, 4, 5)}, 12, 4, "shown"},
		{"one run", Claim{Sign: +1, A: s(12, 0, 1), B: s(3, 1, 3)}, 9, 1, "not testable (n < 2)"},
		{"no direction", Claim{Sign: 0, A: s(12, 1, 5)}, 12, 1, "not testable (no direction)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, se := tc.c.Diff()
			if math.Abs(d-tc.diff) > 1e-9 || math.Abs(se-tc.se) > 1e-9 {
				t.Errorf("difference %v ± %v, want %v ± %v", d, se, tc.diff, tc.se)
			}
			if got := tc.c.Verdict(); got != tc.want {
				t.Errorf("verdict %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTable4Claims: Table 4's claims carry the paper's numbers and signs,
// and the per-network claims summarise per network.
func TestTable4Claims(t *testing.T) {
	row := func(name string, auc, half, maxN float64) analysis.GroupRow {
		return analysis.GroupRow{Name: name, AUC: analysis.Summary{Mean: auc, SEM: 1, N: 3},
			Half: analysis.Summary{Mean: half, SEM: 1, N: 3}, MaxN: analysis.Summary{Mean: maxN, SEM: 0.1, N: 3}}
	}
	rows := map[string]analysis.GroupRow{"CB-RNN": row("CB-RNN", 760, 40, 8.3), "Frozen-core": row("Frozen-core", 700, 50, 7.7),
		"Periodic-core": row("Periodic-core", 700, 50, 7.7), "RNN-202": row("RNN-202", 650, 60, 6.0)}
	cs := table4Claims("dms", rows, "RNN-202")
	if len(cs) != 6 {
		t.Fatalf("%d claims, want 6", len(cs))
	}
	want := []struct {
		paper string
		sign  int
	}{{"25041 vs 19254", +1}, {"215 vs 456", -1}, {"34.75 vs 31.38", +1}, {"21689 vs 19254", +1}, {"275 vs 456", -1}, {"23595 vs 19254", +1}}
	for i, w := range want {
		if cs[i].Paper != w.paper || cs[i].Sign != w.sign || cs[i].Verdict() != "shown" {
			t.Errorf("claim %d: paper %q sign %d verdict %q, want %q %d shown", i, cs[i].Paper, cs[i].Sign, cs[i].Verdict(), w.paper, w.sign)
		}
	}
	// Per network: (99 − 60 + 97 − 55)/2 = 40.5 for the first network.
	s := &AblationStudy{Task: "dms", Ns: []int{2, 3}, Nets: []string{"a", "b"},
		WithCB: [][]float64{{99, 97}, {100, 98}}, NoCB: [][]float64{{60, 55}, {90, 80}}}
	c := ablationClaims([]*AblationStudy{s})[0]
	if d, _ := c.Diff(); c.A.N != 2 || math.Abs(d-(40.5+14)/2) > 1e-9 {
		t.Errorf("ablation claim %+v, want the mean of the per-network drops 40.5 and 14", c.A)
	}
	md := ClaimsMarkdown(append(cs, c))
	for _, w := range []string{"**shown**", "| the CB-RNN learns faster than the matched RNN | Table 4, DMS |", "| +110 ± 1 | +77.8 | shown |"} {
		if !strings.Contains(md, w) {
			t.Errorf("claims table lacks %q:\n%s", w, md)
		}
	}
}
