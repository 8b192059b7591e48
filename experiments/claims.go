package experiments

import (
	"fmt"
	"math"
	"strings"

	"github.com/cbrnn/cbrnn/analysis"
)

// The claims table of paper/results.md: each of the paper's claims checked
// on the runs of the profile, by one stated rule, so that the report says
// only what its numbers show. The figures that draw the evidence compute
// the claims from the very numbers they draw (drawn.claims), and All
// gathers them into the report.

// ClaimRule is the rule every verdict follows, printed with the table.
const ClaimRule = "Our difference is a − b (or, for one group, its mean), and SE its standard error: √(SEM_a² + SEM_b²) over runs (SEM over networks for a per-network quantity). " +
	"**shown**: the paper's sign and |difference| ≥ 2 SE. **contradicted**: the opposite sign and ≥ 2 SE. **not shown**: within 2 SE of zero — this profile cannot tell. " +
	"**not testable**: fewer than 2 runs in a group (no SE), or no direction in the material this package has (the paper's text beyond its abstract and Table 4 is not in it)."

// A Claim is one claim of the paper checked on this profile's runs.
type Claim struct {
	Claim  string // what the paper says, in words
	Where  string // the figure or table that draws the evidence
	Metric string // what is compared: "AUC, CB-RNN − RNN"
	Paper  string // the paper's values, or how it states the claim
	// Sign is the paper's direction of the difference: +1, −1, or 0 when
	// the material here gives none.
	Sign int
	// A and B are our two groups (B.N = 0 for a one-group quantity: then
	// the difference is A's mean).
	A, B   analysis.Summary
	Digits int
}

// pairClaim compares groups a and b.
func pairClaim(claim, where, metric, paper string, sign int, a, b analysis.Summary, digits int) Claim {
	return Claim{Claim: claim, Where: where, Metric: metric, Paper: paper, Sign: sign, A: a, B: b, Digits: digits}
}

// oneClaim tests one group's per-network quantity against zero.
func oneClaim(claim, where, metric, paper string, sign int, values []float64, digits int) Claim {
	return Claim{Claim: claim, Where: where, Metric: metric, Paper: paper, Sign: sign, A: analysis.Summarise(finite(values)), Digits: digits}
}

func finite(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// Diff is our difference and SE its standard error.
func (c Claim) Diff() (diff, se float64) {
	if c.B.N == 0 {
		return c.A.Mean, c.A.SEM
	}
	return c.A.Mean - c.B.Mean, math.Hypot(c.A.SEM, c.B.SEM)
}

// Verdict applies ClaimRule.
func (c Claim) Verdict() string {
	d, se := c.Diff()
	if c.Sign == 0 {
		return "not testable (no direction)"
	}
	if c.A.N < 2 || (c.B.N != 0 && c.B.N < 2) || math.IsNaN(d) || !(se > 0) {
		return "not testable (n < 2)"
	}
	switch z := d / se; {
	case z*float64(c.Sign) >= 2:
		return "shown"
	case z*float64(c.Sign) <= -2:
		return "contradicted"
	}
	return "not shown"
}

// ClaimsMarkdown renders the claims table with its rule.
func ClaimsMarkdown(cs []Claim) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## The paper's claims, checked on these runs\n\n")
	b.WriteString(ClaimRule + "\n\n")
	b.WriteString("| claim | where | metric | paper | ours: a, b | difference ± SE | z | verdict |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range cs {
		d, se := c.Diff()
		ours := pm(c.A, c.Digits)
		if c.B.N != 0 {
			ours += ", " + pm(c.B, c.Digits)
		}
		z := "–"
		if se > 0 && !math.IsNaN(d) {
			z = fmt.Sprintf("%+.1f", d/se)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Claim, c.Where, c.Metric, c.Paper, ours,
			fmt.Sprintf("%+.*f ± %.*f", c.Digits, d, c.Digits, se), z, c.Verdict())
	}
	b.WriteString("\n")
	return b.String()
}

// Verdicts counts the claims by verdict, for the report's summary line.
func Verdicts(cs []Claim) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		out[c.Verdict()]++
	}
	return out
}

// rowsByLabel indexes a learning-metric table by group label.
func rowsByLabel(t analysis.GroupTableResult) map[string]analysis.GroupRow {
	out := map[string]analysis.GroupRow{}
	for _, r := range t.Rows {
		out[r.Name] = r
	}
	return out
}

// table4Claims are Table 4's claims on one task: the CB-RNN against the
// matched RNN (faster, higher), and the Frozen-core and Periodic-core
// networks against the RNN. Rows are keyed by the group labels of table4.
func table4Claims(task string, rows map[string]analysis.GroupRow, rnnLabel string) []Claim {
	ref := paperTable4[task]
	where := "Table 4, " + displayTask(task)
	rnn, ok := rows[rnnLabel]
	if !ok {
		return nil
	}
	paper := func(a string, i int, digits int) string {
		return fmt.Sprintf("%.*f vs %.*f", digits, ref[a][i], digits, ref["RNN"][i])
	}
	var cs []Claim
	if cb, ok := rows["CB-RNN"]; ok {
		cs = append(cs,
			pairClaim("the CB-RNN learns faster than the matched RNN", where, "AUC of N, CB-RNN − "+rnnLabel, paper("CB-RNN", 2, 0), +1, cb.AUC, rnn.AUC, 0),
			pairClaim("the CB-RNN learns faster than the matched RNN", where, "epochs to half the global max N, CB-RNN − "+rnnLabel, paper("CB-RNN", 1, 0), -1, cb.Half, rnn.Half, 0),
			pairClaim("the CB-RNN reaches a higher N", where, "max N, CB-RNN − "+rnnLabel, paper("CB-RNN", 0, 2), +1, cb.MaxN, rnn.MaxN, 2))
	}
	if fr, ok := rows["Frozen-core"]; ok {
		cs = append(cs,
			pairClaim("Frozen-core keeps the efficiency over the RNN", where, "AUC, Frozen-core − "+rnnLabel, paper("Frozen-core", 2, 0), +1, fr.AUC, rnn.AUC, 0),
			pairClaim("Frozen-core keeps the efficiency over the RNN", where, "epochs to half, Frozen-core − "+rnnLabel, paper("Frozen-core", 1, 0), -1, fr.Half, rnn.Half, 0))
	}
	if pc, ok := rows["Periodic-core"]; ok {
		cs = append(cs, pairClaim("Periodic-core learns faster than the RNN", where, "AUC, Periodic-core − "+rnnLabel, paper("Periodic-core", 2, 0), +1, pc.AUC, rnn.AUC, 0))
	}
	return cs
}

// curveClaim is "a learns faster than b" on the AUC of a learning-metric
// table, where the paper gives only the direction (its abstract: "learns
// faster … across a variety of regimes").
func curveClaim(claim, where string, t analysis.GroupTableResult, a, b string) []Claim {
	rows := rowsByLabel(t)
	ra, okA := rows[a]
	rb, okB := rows[b]
	if !okA || !okB {
		return nil
	}
	return []Claim{pairClaim(claim, where, "AUC of N, "+a+" − "+b, "direction: "+a+" ahead", +1, ra.AUC, rb.AUC, 0)}
}

// perNetworkMean is each network's mean over Ns of f(network, N index).
func perNetworkMean(nets, ns int, f func(k, j int) float64) []float64 {
	out := make([]float64, nets)
	for k := range out {
		var vs []float64
		for j := range ns {
			vs = append(vs, f(k, j))
		}
		out[k] = analysis.Summarise(finite(vs)).Mean
	}
	return out
}

// switchClaim is the task-switching claim: the AUC of the global N line
// (the active task's N, cut at the clip), a against b.
func switchClaim(t analysis.SwitchTableResult, a, b string) []Claim {
	var ra, rb *analysis.SwitchGroupRow
	for i := range t.Rows {
		switch t.Rows[i].Name {
		case a:
			ra = &t.Rows[i]
		case b:
			rb = &t.Rows[i]
		}
	}
	if ra == nil || rb == nil {
		return nil
	}
	return []Claim{pairClaim("the CB-RNN progresses faster under task switching", "fig3, fig4c",
		fmt.Sprintf("AUC of the active line (first %d epochs), %s − %s", t.Clip, a, b), "direction: "+a+" ahead", +1, ra.ActiveAUC, rb.ActiveAUC, 0)}
}

// ablationClaims: removing the CB lowers accuracy, per network over the
// shared Ns.
func ablationClaims(studies []*AblationStudy) []Claim {
	var cs []Claim
	for _, s := range studies {
		drops := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.WithCB[k][j] - s.NoCB[k][j] })
		cs = append(cs, oneClaim("removing the CB lowers a trained CB-RNN's accuracy ("+displayTask(s.Task)+")", "fig5",
			"accuracy with − without the CB (%), per network, mean over shared N", "direction: accuracy falls", +1, drops, 1))
	}
	return cs
}

// recoveryClaims: retraining the readout does not bring back the accuracy
// the network had with its CB.
func recoveryClaims(studies []*RecoveryStudy) []Claim {
	var cs []Claim
	for _, s := range studies {
		gaps := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.WithCB[k][j] - s.Recovered[k][j] })
		cs = append(cs, oneClaim("retraining the readout does not make up for the CB ("+displayTask(s.Task)+")", "appH",
			"accuracy with the CB − after readout retraining (%), per network", "direction: the gap stays", +1, gaps, 1))
	}
	return cs
}

// moduleClaims are appendix G's comparisons; the material here states no
// direction for them, so they are reported, not judged.
func moduleClaims(task string, full, frozen *ModuleStudy) []Claim {
	var cs []Claim
	lastDim := func(s *ModuleStudy, pop string) []float64 {
		var v []float64
		for _, d := range s.LastDims[pop] {
			v = append(v, d.D95PerWidth)
		}
		return v
	}
	paired := func(a, b []float64) []float64 {
		var out []float64
		for i := range min(len(a), len(b)) {
			out = append(out, a[i]-b[i])
		}
		return out
	}
	if full != nil {
		cs = append(cs,
			oneClaim("cerebellar and cortical populations differ in dimensionality ("+displayTask(task)+")", "appG",
				"d95/width, GC − hidden, per network at its last analysed N", "a comparison, no direction here", 0,
				paired(lastDim(full, "gc"), lastDim(full, "hidden")), 3),
			oneClaim("cerebellar and cortical populations differ in timescale ("+displayTask(task)+")", "appG",
				"population τ (steps), CB output − hidden, per network at its last analysed N", "a comparison, no direction here", 0,
				paired(full.LastPopTau["cb_bias"], full.LastPopTau["hidden"]), 1))
	}
	if full != nil && frozen != nil {
		cs = append(cs, pairClaim("freezing the core changes the GC code's dimensionality ("+displayTask(task)+")", "appG",
			"GC d95/width, Frozen-core − full, at the last analysed N", "a comparison, no direction here", 0,
			analysis.Summarise(finite(lastDim(frozen, "gc"))), analysis.Summarise(finite(lastDim(full, "gc"))), 3))
	}
	return cs
}
