package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/trainer"
)

// The claims table of paper/results.md and the claims file
// (paper/claims.json): each of the paper's claims checked on the runs of
// the profile by the one claims engine (package claims), so that the
// report, the README and the notebooks say only what its numbers show. The
// figures that draw the evidence build their claims from the very
// per-network numbers they draw (Drawing.Claims); JudgeResults judges them
// all together, one Holm family per heading.

// The Holm families, one per heading of the claims table. The paper's
// claims (Table 4 and the figures' claims) are corrected together, because
// the report states them together; controls the paper does not report are
// corrected apart, so that adding a check of the protocol never makes a
// claim of the paper harder to support.
const (
	FamilyPaper    = "The paper's claims"
	FamilyControls = "Controls"
)

// Families lists the families in the order the report prints them.
var Families = []string{FamilyPaper, FamilyControls, SketchFamily}

// ClaimSeed is the base seed of every resampling of the claims engine.
const ClaimSeed = 20260101

// A Claim is one claim of the paper, with this profile's per-network
// values, before it is judged.
type Claim struct {
	ID     string // stable across profiles: "table4/dms/auc/cb-rnn-vs-rnn-202"
	Family string // FamilyPaper (when "") or FamilyControls
	Figure string // the figure whose runs give the evidence (set when the figure is saved)
	Claim  string // what the paper says, in words
	Where  string // "Table 4, DMS", "fig5", …
	Metric string // what is compared, with its unit
	Paper  string // the paper's numbers, or how it states the claim
	// Direction is the paper's sign of mean(A) − mean(B) (of the mean
	// paired difference); claims.NoDirection when the material here gives
	// none.
	Direction claims.Direction
	Design    claims.Design
	// A and B are the per-network values of the two groups (Paired: A[i]
	// and B[i] are network i's; B nil: A holds the differences).
	LabelA, LabelB string
	A, B           []float64
	PaperEffect    *claims.PaperEffect // the paper's difference and SD, where it gives them
	Digits         int
	// NotTestable, when set, is why the runs cannot judge the claim for a
	// reason the statistics cannot see (a group that is another group here,
	// a budget that ends first, equal numbers in the paper).
	NotTestable string
}

func (c Claim) family() string {
	if c.Family == "" {
		return FamilyPaper
	}
	return c.Family
}

// betweenClaim compares two groups of networks.
func betweenClaim(id, claim, where, metric, paper string, dir claims.Direction, la string, a []float64, lb string, b []float64, digits int) Claim {
	return Claim{ID: id, Claim: claim, Where: where, Metric: metric, Paper: paper, Direction: dir, Design: claims.Between,
		LabelA: la, A: finite(a), LabelB: lb, B: finite(b), Digits: digits}
}

// pairedClaim compares each network under two conditions; b nil means a
// holds the per-network differences.
func pairedClaim(id, claim, where, metric, paper string, dir claims.Direction, la string, a []float64, lb string, b []float64, digits int) Claim {
	a, b = finitePairs(a, b)
	return Claim{ID: id, Claim: claim, Where: where, Metric: metric, Paper: paper, Direction: dir, Design: claims.Paired,
		LabelA: la, A: a, LabelB: lb, B: b, Digits: digits}
}

func finite(v []float64) []float64 {
	out := []float64{}
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// finitePairs keeps the networks whose values are finite in both
// conditions (b nil: in a).
func finitePairs(a, b []float64) ([]float64, []float64) {
	if b == nil {
		return finite(a), nil
	}
	oa, ob := []float64{}, []float64{}
	for i := range min(len(a), len(b)) {
		if ok := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }; ok(a[i]) && ok(b[i]) {
			oa, ob = append(oa, a[i]), append(ob, b[i])
		}
	}
	return oa, ob
}

// A JudgedClaim is a claim with the engine's result.
type JudgedClaim struct {
	Claim
	claims.Result
	FamilySize int // the directed, testable claims of its family (Holm's m)
}

// JudgeClaims judges claims with package claims, Holm over each family.
// A claim whose ID was seen before is dropped (two figures that draw the
// same runs give the same row once, from the first).
func JudgeClaims(cs []Claim) ([]JudgedClaim, error) {
	seen := map[string]bool{}
	var kept []Claim
	for _, c := range cs {
		if c.ID != "" && seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		kept = append(kept, c)
	}
	out := make([]JudgedClaim, len(kept))
	for _, fam := range Families {
		var idx []int
		var comps []claims.Comparison
		for i, c := range kept {
			if c.family() != fam {
				continue
			}
			dir := c.Direction
			if c.NotTestable != "" {
				dir = claims.NoDirection // reported, outside the family
			}
			idx = append(idx, i)
			comps = append(comps, claims.Comparison{Name: c.ID + ": " + c.Claim, Design: c.Design, A: c.A, B: c.B, Direction: dir, Paper: c.PaperEffect})
		}
		if len(comps) == 0 {
			continue
		}
		m := 0
		for i, comp := range comps {
			if comp.Direction != claims.NoDirection && len(kept[idx[i]].A) >= 2 && (comp.Design == claims.Paired || len(comp.B) >= 2) {
				m++
			}
		}
		// The sample size a row would need is priced at Holm's strictest
		// level, α/m: what the smallest p of the family must beat.
		opt := claims.Options{Seed: ClaimSeed, NeedAlpha: 0.05 / float64(max(m, 1))}
		rs, err := claims.Evaluate(comps, opt)
		if err != nil {
			return nil, fmt.Errorf("claims (%s): %w", fam, err)
		}
		for k, r := range rs {
			i := idx[k]
			c := kept[i]
			if c.NotTestable != "" {
				r.Verdict, r.Reason, r.Need, r.Direction = claims.NotTestable, c.NotTestable, nil, c.Direction
			} else if c.Direction == claims.NoDirection && r.Verdict == claims.NotTestable && r.NA >= 2 {
				r.Reason = "the material here gives no direction for this comparison (reported, not judged, outside the Holm family)"
			}
			out[i] = JudgedClaim{Claim: c, Result: r, FamilySize: m}
		}
	}
	return out, nil
}

// JudgeResults gathers the claims of drawn figures, Table 4's first (the
// headline), then fig4's (its multitask rows compare all four groups
// against one half threshold, as the paper's do, so they win over fig3's
// two-group rows of the same ID), then the figures' in order, and judges
// them.
func JudgeResults(rs []*Result) ([]JudgedClaim, error) {
	rank := func(id string) int {
		switch id {
		case "table4":
			return 0
		case "fig4":
			return 1
		}
		return 2
	}
	var cs []Claim
	for pass := range 3 {
		for _, r := range rs {
			if rank(r.ID) != pass {
				continue
			}
			for _, c := range r.Claims {
				if c.Figure == "" {
					c.Figure = r.ID
				}
				cs = append(cs, c)
			}
		}
	}
	return JudgeClaims(cs)
}

// VerdictCounts counts judged claims by verdict.
func VerdictCounts(js []JudgedClaim) map[claims.Verdict]int {
	out := map[claims.Verdict]int{}
	for _, j := range js {
		out[j.Verdict]++
	}
	return out
}

// CountsSentence is the report's first line about the claims.
func CountsSentence(js []JudgedClaim) string {
	v := VerdictCounts(js)
	return fmt.Sprintf("Of the %d claims checked below, %d are supported by this profile's runs, %d are contradicted, %d are inconclusive and %d are not testable here.",
		len(js), v[claims.Supported], v[claims.Contradicted], v[claims.Inconclusive], v[claims.NotTestable])
}

// ---- formatting ------------------------------------------------------------

func fmtMeanSEM(v []float64, digits int) string {
	switch len(v) {
	case 0:
		return "–"
	case 1:
		return fmt.Sprintf("%.*f", digits, v[0])
	}
	m, sd := stat.MeanStdDev(v, nil)
	return fmt.Sprintf("%.*f ± %.*f", digits, m, digits, sd/math.Sqrt(float64(len(v))))
}

// Ours is our numbers: mean ± SEM of each group with its n.
func (j JudgedClaim) Ours() string {
	if j.Claim.Design == claims.Paired && j.B == nil {
		return fmt.Sprintf("%s %s (n = %d)", j.LabelA, fmtMeanSEM(j.A, j.Digits), len(j.A))
	}
	return fmt.Sprintf("%s %s (n = %d) vs %s %s (n = %d)", j.LabelA, fmtMeanSEM(j.A, j.Digits), len(j.A), j.LabelB, fmtMeanSEM(j.B, j.Digits), len(j.B))
}

func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	if p < 0.001 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.3g", p)
}

// TestText names the tests run and their p's, and the one that decided.
func (j JudgedClaim) TestText() string {
	par, ex := j.Parametric, j.Exact
	if par.Name == "" && ex.Name == "" {
		return "–"
	}
	pt := fmt.Sprintf("%s p = %s", par.Name, fmtP(par.P))
	if !par.Defined() {
		pt = fmt.Sprintf("%s undefined (%s)", par.Name, par.Note)
	}
	return fmt.Sprintf("%s; %s p = %s (smallest possible %s); decides: %s", pt, ex.Name, fmtP(ex.P), fmtP(ex.MinP), j.DecidedBy)
}

// EffectText is the difference with its 95 % interval and Hedges' g.
func (j JudgedClaim) EffectText() string {
	e := j.Effect
	if math.IsNaN(e.Diff) {
		return "–"
	}
	s := fmt.Sprintf("%+.*f", j.Digits, e.Diff)
	if !math.IsNaN(e.DiffCI.Lo) {
		s += fmt.Sprintf(" [%.*f, %.*f]", j.Digits, e.DiffCI.Lo, j.Digits, e.DiffCI.Hi)
	}
	if !math.IsNaN(e.G) && !math.IsInf(e.G, 0) {
		name := "g"
		if j.Claim.Design == claims.Paired {
			name = "g_z"
		}
		s += fmt.Sprintf("; %s = %.2f", name, e.G)
		if !math.IsNaN(e.GCI.Lo) && !math.IsInf(e.GCI.Lo, 0) {
			s += fmt.Sprintf(" [%.2f, %.2f]", e.GCI.Lo, e.GCI.Hi)
		}
	}
	return s
}

// NeedText says what would decide an inconclusive (or too small) row:
// networks per group for 80 % power at the observed and the paper's effect,
// and the exact test's floor. ParseNeed reads it back.
func (j JudgedClaim) NeedText() string {
	n := j.Need
	if n == nil || j.Verdict == claims.Supported || j.Verdict == claims.Contradicted {
		return ""
	}
	unit := "networks per group"
	if j.Claim.Design == claims.Paired {
		unit = "networks (pairs)"
	}
	var parts []string
	if n.AtObserved > 0 {
		parts = append(parts, fmt.Sprintf("n = %d %s for %.0f %% power at the observed effect (|g| = %.2f)", n.AtObserved, unit, 100*n.Power, n.Observed))
	} else {
		parts = append(parts, "no n at the observed effect (none observed)")
	}
	if n.AtPaper > 0 {
		parts = append(parts, fmt.Sprintf("n = %d at the paper's effect (|g| = %.2f)", n.AtPaper, n.Paper))
	}
	if n.Floor > 0 {
		parts = append(parts, fmt.Sprintf("the exact test needs n ≥ %d to reach p < %.2g at all", n.Floor, n.Alpha))
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(" (level α/m = %.2g, Holm's strictest)", n.Alpha)
}

// ParseNeed reads the sample sizes back from a record's Need (NeedText's
// wording): at the observed effect, at the paper's (0 when not given) and
// the exact test's floor.
func ParseNeed(s string) (atObserved, atPaper, floor int) {
	for _, part := range strings.Split(s, "; ") {
		var n int
		switch {
		case strings.Contains(part, "at the observed effect"):
			fmt.Sscanf(part, "n = %d", &n)
			atObserved = n
		case strings.Contains(part, "at the paper's effect"):
			fmt.Sscanf(part, "n = %d", &n)
			atPaper = n
		case strings.HasPrefix(part, "the exact test needs n ≥ "):
			fmt.Sscanf(strings.TrimPrefix(part, "the exact test needs n ≥ "), "%d", &n)
			floor = n
		}
	}
	return atObserved, atPaper, floor
}

// ReasonText is the reason column: the engine's reason, and what would
// decide an inconclusive row.
func (j JudgedClaim) ReasonText() string {
	s := j.Reason
	if n := j.NeedText(); n != "" {
		s += ". What would decide: " + n
	}
	return s
}

// Sentence says the verdict in words with the numbers.
func (j JudgedClaim) Sentence() string {
	v := j.Verdict.String()
	v = strings.ToUpper(v[:1]) + v[1:]
	var s string
	if j.Claim.Design == claims.Paired && j.B == nil {
		s = fmt.Sprintf("%s: %s %s %s (n = %d)", v, j.Metric, j.LabelA, fmtMeanSEM(j.A, j.Digits), len(j.A))
	} else if j.Claim.Design == claims.Paired {
		s = fmt.Sprintf("%s: %s %s vs %s %s, %s (n = %d networks)", v, j.LabelA, fmtMeanSEM(j.A, j.Digits), j.LabelB, fmtMeanSEM(j.B, j.Digits), j.Metric, len(j.A))
	} else {
		each := fmt.Sprintf("n = %d and %d", len(j.A), len(j.B))
		if len(j.A) == len(j.B) {
			each = fmt.Sprintf("n = %d each", len(j.A))
		}
		s = fmt.Sprintf("%s: %s %s vs %s %s, %s (%s)", v, j.LabelA, fmtMeanSEM(j.A, j.Digits), j.LabelB, fmtMeanSEM(j.B, j.Digits), j.Metric, each)
	}
	switch j.Verdict {
	case claims.Supported, claims.Contradicted:
		s += fmt.Sprintf("; adjusted p = %s; paper %s.", fmtP(j.AdjustedP), j.Paper)
	case claims.Inconclusive:
		s += fmt.Sprintf("; adjusted p = %s", fmtP(j.AdjustedP))
		if j.Exact.MinP >= 0.05 {
			s += fmt.Sprintf("; the %s test's smallest possible p at this n is %s", j.Exact.Name, fmtP(j.Exact.MinP))
		}
		if j.Need != nil && j.Need.AtObserved > 0 {
			s += fmt.Sprintf("; %d networks per group would give 80 %% power at the observed effect", j.Need.AtObserved)
		}
		s += "."
	default:
		s += "; " + j.Reason + "."
	}
	return s
}

// Record is the row as the claims file holds it.
func (j JudgedClaim) Record() ClaimRecord {
	opt := func(p float64) *float64 {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return nil
		}
		return &p
	}
	return ClaimRecord{ID: j.ID, Family: j.Claim.family(), Figure: j.Figure, Claim: j.Claim.Claim, Where: j.Where, Metric: j.Metric,
		Paper: j.Paper, Ours: j.Ours(), Test: j.TestText(), Effect: j.EffectText(), P: opt(j.P), AdjustedP: opt(j.AdjustedP),
		Verdict: j.Verdict.String(), Reason: j.Reason, Need: j.NeedText(), Sentence: j.Sentence()}
}

// Records are the judged claims as the claims file holds them.
func Records(js []JudgedClaim) []ClaimRecord {
	out := make([]ClaimRecord, len(js))
	for i, j := range js {
		out[i] = j.Record()
	}
	return out
}

// ClaimsMarkdown renders the judged claims, one table per family, with the
// method.
func ClaimsMarkdown(js []JudgedClaim) string {
	if len(js) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## The paper's claims, checked on these runs\n\n")
	b.WriteString(claims.Method + "\n\n")
	b.WriteString("Families: **" + FamilyPaper + "** are Table 4's and the figures' claims, corrected together because the report states them together; **" + FamilyControls +
		"** are checks of the protocol that the paper does not report, corrected apart so that they never make a claim of the paper harder to support; **" + SketchFamily +
		"** are the statements of the sketch this package started from (the `seed-*` figures), not the paper's, corrected apart likewise. Rows for which the material here gives no direction are reported, not judged, outside every family. " +
		"Ours: mean ± SEM over networks. `cbrnn plan --profile P` prices what would decide the inconclusive rows.\n\n")
	for _, fam := range Families {
		var rows []JudgedClaim
		for _, j := range js {
			if j.Claim.family() == fam {
				rows = append(rows, j)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s (Holm over %d directed, testable claims)\n\n", fam, rows[0].FamilySize)
		b.WriteString("| claim | where | metric | paper | ours (a, b with n) | test | effect [95 % CI] | p | adjusted p | verdict | reason / what would decide |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, j := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | **%s** | %s |\n", cell(j.Claim.Claim), cell(j.Where), cell(j.Metric), cell(j.Paper),
				cell(j.Ours()), cell(j.TestText()), cell(j.EffectText()), fmtP(j.P), fmtP(j.AdjustedP), j.Verdict, cell(j.ReasonText()))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// ---- the rows --------------------------------------------------------------

// paperStat is one of the paper's numbers: mean and SD over its n = 8.
type paperStat struct{ Mean, SD float64 }

// The paper's metrics with their SDs (Table 4, n = 8; METHODS §6), by
// metric: max N, half, AUC.
var paperTable4SD = map[string]map[string][3]paperStat{
	"dms": {
		"CB-RNN":        {{34.75, 0.886}, {215, 11.31}, {25041, 627.0}},
		"Frozen-core":   {{30.00, 1.309}, {275, 28.65}, {21689, 710.3}},
		"Periodic-core": {{35.63, 2.446}, {264, 17.34}, {23595, 792.4}},
		"RNN":           {{31.38, 0.518}, {456, 28.98}, {19254, 524.4}},
	},
	"parity": {
		"CB-RNN":        {{18.75, 0.463}, {153, 14.97}, {14171, 232.4}},
		"Frozen-core":   {{15.13, 0.354}, {176, 8.92}, {11971, 244.5}},
		"Periodic-core": {{16.75, 0.707}, {166, 10.59}, {12996, 570.9}},
		"RNN":           {{16.75, 0.707}, {312, 23.96}, {11505, 252.0}},
	},
	"multitask": {
		"CB-RNN":        {{21.875, 0.991}, {168.9, 15.15}, {16082, 570.7}},
		"Frozen-core":   {{17.75, 1.035}, {235.9, 25.85}, {13511, 450.8}},
		"Periodic-core": {{19.25, 2.435}, {218.8, 17.24}, {14594, 759.3}},
		"RNN":           {{16.25, 1.389}, {550.3, 65.72}, {10857, 609.9}},
	},
}

// paperSwitch are the paper's task-switching numbers (active line, first
// 650 epochs; METHODS §6): mean N and AUC, mean and SD over n = 8.
var paperSwitch = map[string][2]paperStat{
	"CB-RNN":      {{12.50, 0.161}, {8115, 104.4}},
	"Frozen-core": {{11.97, 0.153}, {7772, 99.3}},
	"RNN":         {{9.85, 0.412}, {6393, 268.0}},
}

// paperEffect is the paper's difference A − B with the pooled SD (equal n).
func paperEffect(a, b paperStat) *claims.PaperEffect {
	return &claims.PaperEffect{Diff: a.Mean - b.Mean, SD: math.Sqrt((a.SD*a.SD + b.SD*b.SD) / 2)}
}

// The ordering the paper draws (CB-RNN > Periodic-core > Frozen-core >
// RNN), as the pairs it implies; each pair's direction is taken from the
// paper's numbers per metric, not from the ordering.
var orderPairs = [][2]string{
	{"CB-RNN", "Periodic-core"}, {"CB-RNN", "Frozen-core"}, {"CB-RNN", "RNN"},
	{"Periodic-core", "Frozen-core"}, {"Periodic-core", "RNN"}, {"Frozen-core", "RNN"},
}

var metricNames = [3]struct{ id, name string }{{"maxn", "max N"}, {"half", "epochs to half"}, {"auc", "AUC of N over epochs"}}

func slug(s string) string {
	return strings.NewReplacer(" ", "-", "=", "", "+", "plus", ",", "").Replace(strings.ToLower(s))
}

// pairText states a pair's claim in words by metric and direction.
func pairText(metric int, a, b string, dir claims.Direction) string {
	switch metric {
	case 0:
		if dir == claims.Greater {
			return a + " reaches a higher N than " + b
		}
		return a + " reaches a lower N than " + b
	case 1:
		if dir == claims.Less {
			return a + " reaches half the max N sooner than " + b
		}
		return a + " reaches half the max N later than " + b
	}
	if dir == claims.Greater {
		return a + " learns faster than " + b + " (larger AUC)"
	}
	return a + " learns slower than " + b + " (smaller AUC)"
}

func signOf(d float64) claims.Direction {
	switch {
	case d > 0:
		return claims.Greater
	case d < 0:
		return claims.Less
	}
	return claims.NoDirection
}

// metricValues are a group row's per-run values of metric k.
func metricValues(r analysis.GroupRow, k int) []float64 {
	return [][]float64{r.Values.MaxN, r.Values.Half, r.Values.AUC}[k]
}

// orderingClaims are the pairwise claims of the paper's ordering on one
// task (Table 4's single tasks, the multitask of fig4b): per metric, each
// pair of groups present, in the paper's direction with the paper's
// numbers beside ours. paperKey maps our label to the paper's group
// ("RNN-202" → "RNN"); vacuous names the groups that are another group
// here, with why.
func orderingClaims(prefix, task, where string, cs []*Cohort, t analysis.GroupTableResult) []Claim {
	ref := paperTable4SD[task]
	rows := map[string]analysis.GroupRow{}
	ours := map[string]string{}
	for i, c := range cs {
		key := c.Group.Label
		if c.Group.Label == RNNMatched.Label {
			key = "RNN"
		}
		rows[key], ours[key] = t.Rows[i], c.Label
	}
	vacuous := vacuousPeriodic(cs)
	var out []Claim
	for k, m := range metricNames {
		for _, pr := range orderPairs {
			ra, okA := rows[pr[0]]
			rb, okB := rows[pr[1]]
			if !okA || !okB {
				continue
			}
			pa, pb := ref[pr[0]][k], ref[pr[1]][k]
			dir := signOf(pa.Mean - pb.Mean)
			la, lb := ours[pr[0]], ours[pr[1]]
			digits := 0
			if k == 0 {
				digits = 2
			}
			at := where
			if strings.HasPrefix(where, "Table 4") && pr[0] == CBRNN.Label && pr[1] == RNNMatched.Label {
				at = strings.Replace(where, "Table 4", "Table 4 and fig2a", 1) // fig2a draws this very pair
			}
			c := betweenClaim(fmt.Sprintf("%s/%s/%s-vs-%s", prefix, m.id, slug(la), slug(lb)), pairText(k, la, lb, dir), at,
				fmt.Sprintf("%s, %s − %s", m.name, la, lb),
				fmt.Sprintf("%.*f ± %.*f vs %.*f ± %.*f (mean ± SD, n = 8)", digits+1, pa.Mean, digits+1, pa.SD, digits+1, pb.Mean, digits+1, pb.SD),
				dir, la, metricValues(ra, k), lb, metricValues(rb, k), digits)
			c.PaperEffect = paperEffect(pa, pb)
			switch {
			case dir == claims.NoDirection:
				c.NotTestable = fmt.Sprintf("the paper's numbers are equal (%g vs %g), so they give no direction", pa.Mean, pb.Mean)
			case k == 1 && math.IsNaN(t.HalfThreshold):
				c.NotTestable = t.HalfRule
			}
			for _, g := range pr {
				if why, ok := vacuous[g]; ok {
					c.NotTestable = why
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// vacuousPeriodic says, for a Periodic-core cohort among cs that never
// reached its first core refresh within the budget, why its rows would
// only repeat Frozen-core's.
func vacuousPeriodic(cs []*Cohort) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		if c.Group.Label != PeriodicCoreGroup.Label {
			continue
		}
		if refreshed, at := periodicRefreshed(c); !refreshed {
			out[PeriodicCoreGroup.Label] = fmt.Sprintf("no Periodic-core run reached its first core refresh at N = %d (k = %d) within the budget, so Periodic-core is Frozen-core here and its rows would repeat Frozen-core's numbers", at, trainer.PeriodFor(c.Task.Name))
		}
	}
	return out
}

// periodicRefreshed reports whether any run of a Periodic-core cohort
// trained at an N where its core trains again (the regime's first refresh
// is at start N + k, METHODS §3.4), and that N. It reads the trained N of
// every epoch (the runs' stats, as the curves hold them).
func periodicRefreshed(c *Cohort) (bool, int) {
	k := trainer.PeriodFor(c.Task.Name)
	first := -1
	for _, curve := range c.Curves {
		if len(curve) == 0 {
			continue
		}
		at := int(curve[0]) + k
		if first < 0 || at < first {
			first = at
		}
		for _, n := range curve {
			if int(n) >= at {
				return true, at
			}
		}
	}
	return false, first
}

// identicalRuns reports whether two cohorts' runs trained the same N at
// every epoch up to the budget (Frozen-core and a Periodic-core that never
// refreshed): the figures draw such groups once.
func identicalRuns(a, b *Cohort) bool {
	return figdata.IdenticalCurves(figdata.Cohort{Curves: a.Curves, Budget: a.Budget}, figdata.Cohort{Curves: b.Curves, Budget: b.Budget})
}

// drawnOnce merges groups whose runs are identical up to the budget into
// one line labelled with both names, and says so in a note (empty when
// none are merged). Claims use the cohorts as they are.
func drawnOnce(cs []*Cohort) ([]*Cohort, string) {
	var out []*Cohort
	var notes []string
	dropped := map[int]bool{}
	for i, c := range cs {
		if dropped[i] {
			continue
		}
		cc := c
		for j := i + 1; j < len(cs); j++ {
			if !dropped[j] && identicalRuns(c, cs[j]) {
				if cc == c {
					copy := *c
					cc = &copy
				}
				cc.Label += " = " + cs[j].Label
				dropped[j] = true
				why := "identical runs up to the budget"
				if cs[j].Group.Label == PeriodicCoreGroup.Label {
					why = "no refresh within the budget"
				}
				notes = append(notes, fmt.Sprintf("%s = %s (%s): drawn once.", c.Label, cs[j].Label, why))
			}
		}
		out = append(out, cc)
	}
	return out, strings.Join(notes, " ")
}

// table4Claims are Table 4's claims on one task: every pair of the
// paper's ordering, per metric.
func table4Claims(task string, cs []*Cohort, t analysis.GroupTableResult) []Claim {
	return orderingClaims("table4/"+task, task, "Table 4, "+displayTask(task), cs, t)
}

// curveClaim is "a learns faster than b" on the AUC of a learning-metric
// table, where the paper gives only the direction.
func curveClaim(id, claim, where string, t analysis.GroupTableResult, a, b string) []Claim {
	var ra, rb *analysis.GroupRow
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
	return []Claim{betweenClaim(id, claim, where, "AUC of N over epochs, "+a+" − "+b, "direction only: "+a+" ahead", claims.Greater, a, ra.Values.AUC, b, rb.Values.AUC, 0)}
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

// switchClaims are the task-switching claims (fig3, fig4c; METHODS §4.2):
// the active line's mean N and AUC for each pair with the paper's numbers,
// and the adaptation speed of the CB-RNN against the RNN.
func switchClaims(t analysis.SwitchTableResult, cs []*Cohort) []Claim {
	rows := map[string]*analysis.SwitchGroupRow{}
	ours := map[string]string{}
	for i := range t.Rows {
		key := t.Rows[i].Name
		for _, c := range cs {
			if c.Label == key && c.Group.Label == RNNMatched.Label {
				key = "RNN"
			}
		}
		rows[key], ours[key] = &t.Rows[i], t.Rows[i].Name
	}
	where := fmt.Sprintf("fig3, fig4c (first %d epochs)", t.Clip)
	var out []Claim
	for k, m := range []struct{ id, name string }{{"meann", "mean N of the active line"}, {"auc", "AUC of the active line"}} {
		for _, pr := range [][2]string{{"CB-RNN", "Frozen-core"}, {"CB-RNN", "RNN"}, {"Frozen-core", "RNN"}} {
			ra, rb := rows[pr[0]], rows[pr[1]]
			if ra == nil || rb == nil {
				continue
			}
			pa, pb := paperSwitch[pr[0]][k], paperSwitch[pr[1]][k]
			vals := func(r *analysis.SwitchGroupRow) []float64 {
				var v []float64
				for _, run := range r.Runs {
					v = append(v, [2]float64{run.ActiveMeanN, run.ActiveAUC}[k])
				}
				return v
			}
			la, lb := ours[pr[0]], ours[pr[1]]
			digits := 0
			if k == 0 {
				digits = 2
			}
			c := betweenClaim(fmt.Sprintf("switch/%s/%s-vs-%s", m.id, slug(la), slug(lb)),
				fmt.Sprintf("%s progresses faster than %s under task switching", la, lb), where, fmt.Sprintf("%s, %s − %s", m.name, la, lb),
				fmt.Sprintf("%.*f ± %.*f vs %.*f ± %.*f (mean ± SD, n = 8)", digits+1, pa.Mean, digits+1, pa.SD, digits+1, pb.Mean, digits+1, pb.SD),
				signOf(pa.Mean-pb.Mean), la, vals(ra), lb, vals(rb), digits)
			c.PaperEffect = paperEffect(pa, pb)
			out = append(out, c)
		}
	}
	for _, g := range []string{"CB-RNN", "Frozen-core"} {
		ra, rb := rows[g], rows["RNN"]
		if ra == nil || rb == nil {
			continue
		}
		speed := func(r *analysis.SwitchGroupRow) []float64 {
			var v []float64
			for _, run := range r.Runs {
				if run.Total > 0 {
					v = append(v, run.AdaptationSpeed)
				}
			}
			return v
		}
		la, lb := ours[g], ours["RNN"]
		c := betweenClaim(fmt.Sprintf("switch/adaptation/%s-vs-%s", slug(la), slug(lb)), la+" adapts faster than "+lb+" after a switch", where,
			fmt.Sprintf("epochs to the next N after a switch (mean over a run's post-switch phases), %s − %s", la, lb),
			"direction only: the CB networks adapt faster (the paper gives no number in the material here)", claims.Less, la, speed(ra), lb, speed(rb), 1)
		if len(speed(ra)) == 0 && len(speed(rb)) == 0 {
			c.NotTestable = fmt.Sprintf("the budget ends before any run's first switch within the first %d epochs", t.Clip)
		}
		out = append(out, c)
	}
	// Periodic-core has no switching numbers in the paper (the authors
	// have no Periodic-core switching group): it gets no row.
	return out
}

// scalingClaims are Fig 2b's claims: at every size the CB-RNN's AUC is
// above its parameter-matched RNN's. The G = 256 pair is Table 4's.
func scalingClaims(task string, cs []*Cohort, t analysis.GroupTableResult) []Claim {
	var out []Claim
	for i := 0; i+1 < len(cs); i += 2 {
		if cs[i].Group.Label == CBRNN.Label {
			continue // G = 256: Table 4's row
		}
		a, b := cs[i], cs[i+1]
		c := betweenClaim(fmt.Sprintf("fig2b/%s/auc/%s-vs-%s", task, slug(a.Label), slug(b.Label)),
			fmt.Sprintf("at matched size the CB-RNN learns faster (%s, %d vs %d parameters)", displayTask(task), a.Params, b.Params), "fig2b, "+displayTask(task),
			fmt.Sprintf("AUC of N over epochs, %s − %s", a.Label, b.Label), "direction only: the CB-RNN above its matched RNN at every size",
			claims.Greater, a.Label, t.Rows[i].Values.AUC, b.Label, t.Rows[i+1].Values.AUC, 0)
		out = append(out, c)
	}
	return out
}

// The paper's CB ablation sizes (Fig 5): accuracy points lost without the
// CB. The material here does not say which task each belongs to.
const paperAblation = "−37.6 and −45.1 points (Fig 5; which task each is, the material here does not say)"

// ablationClaims: removing the CB lowers accuracy, per network over the
// shared Ns.
func ablationClaims(studies []*AblationStudy) []Claim {
	var cs []Claim
	for _, s := range studies {
		drops := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.NoCB[k][j] - s.WithCB[k][j] })
		c := pairedClaim("fig5/"+s.Task+"/ablation", "removing the CB lowers a trained CB-RNN's accuracy ("+displayTask(s.Task)+")", "fig5",
			"accuracy without − with the CB (points), per network, mean over the shared N", paperAblation, claims.Less, "CB-RNN", drops, "", nil, 1)
		if len(s.Ns) == 0 {
			c.NotTestable = "the runs share no checkpointed N within the budget"
		}
		cs = append(cs, c)
	}
	return cs
}

// recoveryClaims: retraining the readout does not bring back the accuracy
// the network had with its CB (the paper's), and the retraining lowers the
// held-out loss it optimises (a control of the protocol).
func recoveryClaims(studies []*RecoveryStudy) []Claim {
	var cs []Claim
	for _, s := range studies {
		with := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.WithCB[k][j] })
		rec := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.Recovered[k][j] })
		cs = append(cs, pairedClaim("appH/"+s.Task+"/recovery-gap", "retraining the readout does not make up for the CB ("+displayTask(s.Task)+")", "appH",
			"accuracy (%), with the CB vs after readout retraining, per network, mean over N", "direction only: the gap stays", claims.Greater, "with CB", with, "retrained", rec, 1))
		if len(s.NoCBLoss) > 0 {
			l0 := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.NoCBLoss[k][j] })
			l1 := perNetworkMean(len(s.Nets), len(s.Ns), func(k, j int) float64 { return s.RecoveredLoss[k][j] })
			c := pairedClaim("appH/"+s.Task+"/retraining-lowers-loss", "the readout retraining lowers the held-out loss it optimises ("+displayTask(s.Task)+")", "appH",
				"held-out cross-entropy, before vs after retraining, per network", "not reported (a control of the protocol)", claims.Greater, "before", l0, "after", l1, 3)
			c.Family = FamilyControls
			cs = append(cs, c)
		}
	}
	return cs
}

// fig6Claims are Fig 6's directly comparable values: the CB contribution
// to the DMS memory propagation is positive early and falls later, the
// RNN-only propagation lies above the CB-RNN's in both windows, and the
// parity CB term carries the parity (Correct above No CB, Same above
// Opposite). Our early window is the lower half of the analysed Ns, the
// late window the upper half (the authors' windows are not computed here).
func fig6Claims(s *MechanismStudy) []Claim {
	var out []Claim
	xs := ints(s.DMSNs)
	// window is each network's mean Q over the Ns of w it reached (NaN
	// where it reached none), and the Ns of w the study has.
	window := func(rows [][]DMSPropagation, f func(DMSPropagation) float64, w []int) []float64 {
		return perNetworkMean(len(rows), len(s.DMSNs), func(k, j int) float64 {
			if !slices.Contains(w, s.DMSNs[j]) {
				return math.NaN()
			}
			return f(rows[k][j])
		})
	}
	inWindow := func(w []int) []int {
		var ns []int
		for _, n := range s.DMSNs {
			if slices.Contains(w, n) {
				ns = append(ns, n)
			}
		}
		return ns
	}
	early, late := inWindow(EarlyWindow), inWindow(LateWindow)
	reached := fmt.Sprintf("the checkpointed Ns ∈ %s", formatNs(s.DMSNs))
	notReached := func(name string, w []int) string {
		return fmt.Sprintf("the budget does not reach the paper's %s window (N ∈ %s; %s)", name, formatNs(w), reached)
	}
	cb := func(r DMSPropagation) float64 { return r.QCB }
	full := func(r DMSPropagation) float64 { return r.QFull }
	det := func(r DMSPropagation) float64 { return r.QDet }
	windows := fmt.Sprintf("the paper's windows: early N ∈ %s, late N ∈ %s; reached: early %s, late %s", formatNs(EarlyWindow), formatNs(LateWindow), formatNs(early), formatNs(late))
	c := pairedClaim("fig6/dms/qcb-early", "the CB contributes to the DMS memory propagation early in learning", "fig6b",
		"Q_CB = Q_full − Q_detached, per network, mean over the early window ("+windows+")", "0.399 (early window)", claims.Greater, "CB contribution", window(s.DMS, cb, EarlyWindow), "", nil, 3)
	if len(early) == 0 {
		c.NotTestable = notReached("early", EarlyWindow)
	}
	out = append(out, c)
	c = pairedClaim("fig6/dms/qcb-falls", "the CB contribution falls as N grows", "fig6b",
		"Q_CB early vs late window, per network ("+windows+")", "0.399 early → 0.012 late", claims.Greater, "early", window(s.DMS, cb, EarlyWindow), "late", window(s.DMS, cb, LateWindow), 3)
	if len(early) == 0 || len(late) == 0 {
		c.NotTestable = notReached("early and late", append(append([]int{}, EarlyWindow...), LateWindow...)) + "; fig6/dms/qcb-slope tests the trend as a fit"
	}
	out = append(out, c)
	for _, w := range []struct {
		name string
		ns   []int
		win  []int
		note string
	}{{"early", early, EarlyWindow, "RNN-only 1.109, above the CB-RNN's"}, {"late", late, LateWindow, "above the CB-RNN's in the late window too"}} {
		c := betweenClaim("fig6/dms/q-rnn-vs-cb-"+w.name, "the RNN-only propagation Q lies above the CB-RNN's ("+w.name+" window)", "fig6a",
			"Q, "+s.BaseLabel+" − CB-RNN (full), per network, "+w.name+" window ("+windows+")", w.note, claims.Greater,
			s.BaseLabel, window(s.DMSBase, full, w.win), "CB-RNN", window(s.DMS, full, w.win), 3)
		if len(w.ns) == 0 {
			c.NotTestable = notReached(w.name, w.win)
		}
		out = append(out, c)
	}
	// The trend over N as a fit (the authors' within-seed OLS slope of Q
	// against N, seed_level_tests): per network over the Ns it reached.
	slopes := func(rows [][]DMSPropagation, f func(DMSPropagation) float64) []float64 {
		var v []float64
		for _, row := range rows {
			ys := make([]float64, len(row))
			for j, r := range row {
				ys[j] = f(r)
			}
			v = append(v, finiteSlope(xs, ys))
		}
		return v
	}
	trend := func(c Claim) Claim {
		if len(s.DMSNs) < 2 {
			c.NotTestable = fmt.Sprintf("a slope needs two Ns and the networks reached %s (N ≥ %d)", formatNs(s.DMSNs), MinMechanismN)
		}
		return c
	}
	fit := "per-network OLS slope of %s against N over the Ns it reached (" + reached + "), one-sample against 0"
	out = append(out, trend(pairedClaim("fig6/dms/qcb-slope", "the CB contribution falls as N grows (the trend as a fit)", "fig6b",
		fmt.Sprintf(fit, "Q_CB"), "0.399 early → 0.012 late: falls", claims.Less, "slope of Q_CB", slopes(s.DMS, cb), "", nil, 4)))
	for _, r := range []struct {
		id, label string
		rows      [][]DMSPropagation
		f         func(DMSPropagation) float64
	}{{"qfull-slope", "CB-RNN (full)", s.DMS, full}, {"qdet-slope", "CB-RNN (CB detached)", s.DMS, det}, {"qrnn-slope", s.BaseLabel + " (RNN-only)", s.DMSBase, full}} {
		out = append(out, trend(pairedClaim("fig6/dms/"+r.id, "the trend of "+r.label+"'s Q over N", "fig6a",
			fmt.Sprintf(fit, "Q"), "a trend the paper draws; no direction stated here", claims.NoDirection, "slope of Q, "+r.label, slopes(r.rows, r.f), "", nil, 4)))
	}
	cond := func(i int) []float64 {
		return perNetworkMean(len(s.Parity), len(s.ParityNs), func(k, j int) float64 { return s.Parity[k][j].Values()[i] })
	}
	noParity := ""
	if len(s.ParityNs) == 0 {
		noParity = "the budget ends before the parity networks share a checkpoint"
	}
	for _, p := range []struct {
		id, claim string
		a, b      int
	}{{"correct-vs-nocb", "the CB term carries the parity: one step with it lands nearer the correct parity than one without", 0, 1},
		{"same-vs-opposite", "a borrowed CB term of the same required parity beats one of the opposite", 2, 3}} {
		c := pairedClaim("fig6/parity/"+p.id, p.claim, "fig6c", "normalised score, "+ParitySwapConditions[p.a]+" vs "+ParitySwapConditions[p.b]+", per network, mean over N",
			"direction only (Fig 6c)", claims.Greater, ParitySwapConditions[p.a], cond(p.a), ParitySwapConditions[p.b], cond(p.b), 2)
		c.NotTestable = noParity
		out = append(out, c)
	}
	return out
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
	if full != nil {
		cs = append(cs,
			pairedClaim("appG/"+task+"/dim-gc-vs-hidden", "cerebellar and cortical populations differ in dimensionality ("+displayTask(task)+")", "appG",
				"d95/width, GC vs hidden, per network at its last analysed N", "a comparison, no direction here", claims.NoDirection,
				"GC", lastDim(full, "gc"), "hidden", lastDim(full, "hidden"), 3),
			pairedClaim("appG/"+task+"/tau-cb-vs-hidden", "cerebellar and cortical populations differ in timescale ("+displayTask(task)+")", "appG",
				"population τ (steps), CB output vs hidden, per network at its last analysed N", "a comparison, no direction here", claims.NoDirection,
				"CB output", full.LastPopTau["cb_bias"], "hidden", full.LastPopTau["hidden"], 1))
	}
	if full != nil && frozen != nil {
		cs = append(cs, betweenClaim("appG/"+task+"/gc-dim-frozen-vs-full", "freezing the core changes the GC code's dimensionality ("+displayTask(task)+")", "appG",
			"GC d95/width, Frozen-core − full, at the last analysed N", "a comparison, no direction here", claims.NoDirection,
			"Frozen-core", lastDim(frozen, "gc"), "full", lastDim(full, "gc"), 3))
	}
	return cs
}
