package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/figdata"
)

// Fig 6 as the authors draw it (analysis/mechanism_plots.py:
// plot_dms_memory_dynamics for a–b, plot_parity_causal_bar and
// plot_parity_causal_by_N for c–d): mean ± SD over networks with faint
// per-network lines.

func fig6(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0] // [dms, parity][CB-RNN, RNN]
	s, err := e.MechanismStudyOf(ctx, cs[0][0].Dirs, cs[0][1].Dirs, cs[1][0].Dirs, cs[1][1].Dirs, p.DMSPropagationBatches(), p.ParitySwapBatches(), p.MaxCheckpoints)
	if err != nil {
		return nil, err
	}
	s.BaseLabel = cs[0][1].Label
	if err := e.SaveFigData("fig6", p, all, *s); err != nil {
		return nil, err
	}
	return DrawFig6(s, p), nil
}

// ints converts Ns to an x axis (figdata.Ints).
func ints(ns []int) []float64 { return figdata.Ints(ns) }

// qMatrix extracts one Q per network and N (figdata.QMatrix).
func qMatrix(rows [][]DMSPropagation, f func(DMSPropagation) float64) [][]float64 {
	return figdata.QMatrix(rows, f)
}

// DrawFig6 draws the mechanisms figure from a study: the figure and its
// notebook draw it alike.
func DrawFig6(s *MechanismStudy, p Profile) *Drawing {
	d := &Drawing{W: 13, H: 9}
	var md strings.Builder
	xs := ints(s.DMSNs)
	full := qMatrix(s.DMS, func(r DMSPropagation) float64 { return r.QFull })
	det := qMatrix(s.DMS, func(r DMSPropagation) float64 { return r.QDet })
	cbq := qMatrix(s.DMS, func(r DMSPropagation) float64 { return r.QCB })
	base := qMatrix(s.DMSBase, func(r DMSPropagation) float64 { return r.QFull })
	// The panels are drawn from the figure data, as the notebook draws them.
	d.Rows = s.Rows()
	var means, sds []float64
	for _, sm := range s.ParitySummary() {
		means, sds = append(means, zeroNaN(sm.Mean)), append(sds, zeroNaN(sm.SD))
	}

	fmt.Fprintf(&md, "**DMS memory propagation** — %d CB-RNN and %d %s networks, N ∈ %s (every checkpointed N, %d ≤ N ≤ %d, that at least two networks of a group reached; each N is averaged over the networks that reached it, n in the table), %d fixed batches per N (half give the memory directions, half are evaluated), rollouts from h₀ = 0; Q per network = the mean over the delay transitions of m_{t+1}ᵀ J m_t; mean ± SD over networks. The paper's windows: early N ∈ %s, late N ∈ %s.\n\n",
		len(s.DMS), len(s.DMSBase), s.BaseLabel, formatNs(s.DMSNs), MinMechanismN, MaxMechanismN, p.DMSPropagationBatches(), formatNs(EarlyWindow), formatNs(LateWindow))
	if len(s.DMSNs) == 0 {
		md.WriteString("No N ≥ 5 was reached by two networks of a DMS group at this profile: panels a–b are empty.\n\n")
	} else {
		md.WriteString("| N | n (CB-RNN / " + s.BaseLabel + ") | RNN-only | CB-RNN (full) | CB detached | CB contribution |\n|---|---|---|---|---|---|\n")
		col := func(m [][]float64, j int) analysis.Summary {
			var v []float64
			for _, row := range m {
				v = append(v, row[j])
			}
			return analysis.SummariseFinite(v)
		}
		for j, n := range s.DMSNs {
			fmt.Fprintf(&md, "| %d | %d / %d | %s | %s | %s | %s |\n", n, col(full, j).N, col(base, j).N, pmSD(col(base, j)), pmSD(col(full, j)), pmSD(col(det, j)), pmSD(col(cbq, j)))
		}
		md.WriteString("\n")
		if len(s.DMSNs) > 1 {
			md.WriteString(slopeMarkdown(xs, map[string][][]float64{"RNN-only": base, "CB-RNN (full)": full, "CB detached": det, "CB contribution": cbq},
				[]string{"RNN-only", "CB-RNN (full)", "CB detached", "CB contribution"}))
		}
	}
	fmt.Fprintf(&md, "**Parity CB encoding** — %d CB-RNN networks, N ∈ %s, %d fixed batches per N, rollouts from h₀ = 0; one step from the recorded state with the network's own CB term (Correct), none (No CB), or one borrowed from a transition of another condition with the same (Same) or the other (Opposite) required next parity; score = projection on the even–odd axis (fit on 70 %% of the transitions), signed towards the required parity and divided by half the centroid distance (+1 ≈ the correct centroid, −1 ≈ the wrong one). Per network the mean over N; mean ± SD over networks.\n\n",
		len(s.Parity), formatNs(s.ParityNs), p.ParitySwapBatches())
	if len(s.ParityNs) > 0 {
		md.WriteString("| condition | score |\n|---|---|\n")
		for ci, name := range ParitySwapConditions {
			fmt.Fprintf(&md, "| %s | %.2f ± %.2f |\n", name, means[ci], sds[ci])
		}
		md.WriteString("\n")
	}
	d.Markdown = md.String()
	d.Claims = fig6Claims(s)
	return d
}

// pmSD formats mean ± SD.
func pmSD(s analysis.Summary) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f ± %.3f", s.Mean, s.SD)
}

// formatNs writes a set of Ns as {2, 3, 4} ("none" when empty).
func formatNs(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// EarlyWindow and LateWindow are the authors' windows of the DMS
// propagation (dms_memory_dynamics_stats.py: EARLY_NS = range(5, 10),
// LATE_NS = range(26, 31)).
var (
	EarlyWindow = []int{5, 6, 7, 8, 9}
	LateWindow  = []int{26, 27, 28, 29, 30}
)

// finiteSlope is the OLS slope of ys against xs over the points where ys is
// finite (the Ns a network reached); NaN with fewer than two.
func finiteSlope(xs, ys []float64) float64 {
	var fx, fy []float64
	for i := range min(len(xs), len(ys)) {
		if !math.IsNaN(ys[i]) && !math.IsInf(ys[i], 0) {
			fx, fy = append(fx, xs[i]), append(fy, ys[i])
		}
	}
	if len(fx) < 2 {
		return math.NaN()
	}
	return analysis.OLSSlope(fx, fy)
}

// slopeMarkdown is a part of the authors' seed-level statistics
// (dms_memory_dynamics_stats.py: seed_level_tests): per network the OLS
// slope of Q against N over the Ns it reached; the mean ± SD over networks, a two-sided one-sample
// t-test against 0 and Cohen's d_z. (Their Wilcoxon tests, bootstrap
// intervals and leave-one-seed-out checks are not computed here.)
func slopeMarkdown(xs []float64, m map[string][][]float64, order []string) string {
	var b strings.Builder
	b.WriteString("| condition | slope of Q vs N (mean ± SD) | t | p (two-sided) | d_z |\n|---|---|---|---|---|\n")
	for _, name := range order {
		var slopes []float64
		for _, row := range m[name] {
			slopes = append(slopes, finiteSlope(xs, row))
		}
		s := analysis.SummariseFinite(slopes)
		tt, pv, dz := math.NaN(), math.NaN(), math.NaN()
		if s.N > 1 && s.SD > 0 {
			tt = s.Mean / (s.SD / math.Sqrt(float64(s.N)))
			pv = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(s.N - 1)}.Survival(math.Abs(tt))
			dz = s.Mean / s.SD
		}
		fmt.Fprintf(&b, "| %s | %s | %.2f | %.3g | %.2f |\n", name, pmSD(s), tt, pv, dz)
	}
	b.WriteString("\n")
	return b.String()
}
