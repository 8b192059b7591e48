package experiments

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/trainer"
)

// The controls a reviewer asks for first, none of which the paper reports
// (METHODS §5.1): the fixed-N control without a curriculum (is the CB
// advantage a curriculum artefact?), a learning-rate sweep (is it an
// artefact of the shared lr 0.01?) and the volatility oddball (does it
// hold on the authors' other task?). Each is a figure of its own —
// "fixedn", "lrsweep", "oddball" — with its rows in the claims table's
// Controls family, and its runs per group and budget set by the profile
// (Profile.SeedsFixedN …).

// The controls a group can belong to (Group.Control).
const (
	ControlFixedN  = "fixedn"
	ControlLRSweep = "lrsweep"
	ControlOddball = "oddball"
)

// AuthorsFixedN is the N of the authors' fixed-N runs
// (results/single_task/fixedN_new: single_nocurr with --ns_init 5, whose
// only checkpoint is rnn_N5_N5; METHODS §3.4).
const AuthorsFixedN = 5

// NotReported is the paper's column of a control the paper does not report.
const NotReported = "a control the paper does not report"

// controlSeeds is the profile's runs per group of a control.
func controlSeeds(control string, p Profile) (int, error) {
	var n int
	switch control {
	case ControlFixedN:
		n = p.SeedsFixedN
	case ControlLRSweep:
		n = p.SeedsSweep
	case ControlOddball:
		n = p.SeedsOddball
	default:
		return 0, fmt.Errorf("unknown control %q (want %s, %s or %s)", control, ControlFixedN, ControlLRSweep, ControlOddball)
	}
	if n <= 0 {
		return 0, fmt.Errorf("profile %s trains no runs of the %s control (set its seeds)", p.Name, control)
	}
	return n, nil
}

// The controls' groups.
var (
	// FixedNGroups train DMS at N = 5 from the first epoch and stop when
	// it is solved, as the authors' single_nocurr runs (CB-RNN G = 256 and
	// RNN-202, lr 0.01).
	FixedNGroups = []Group{
		{Label: "CB-RNN, fixed N", Model: "cb-rnn", Regime: trainer.FixedN, FixedN: AuthorsFixedN, Control: ControlFixedN, Color: plots.ColorCBRNN},
		{Label: "RNN, fixed N", Model: "rnn", Regime: trainer.FixedN, FixedN: AuthorsFixedN, Control: ControlFixedN, Color: plots.ColorRNN},
	}
	// OddballGroups are the paper's CB-RNN, matched RNN and Frozen-core on
	// the oddball task, as the authors' results/reservoir_comparisons/oddball
	// runs (single curriculum from N = 2, lr 0.01; Frozen-core is their
	// alternating cb_only variant).
	OddballGroups = []Group{oddballGroup(CBRNN), oddballGroup(RNNMatched), oddballGroup(FrozenCoreGroup)}
)

func oddballGroup(g Group) Group {
	g.Control = ControlOddball
	return g
}

// SweepLRs are the learning rates of the sweep; PaperLR's points are
// fig2a's runs.
var SweepLRs = []float64{0.003, 0.01, 0.03}

// PaperLR is the paper's shared learning rate (METHODS §3).
const PaperLR = 0.01

// SweepGroups are the sweep's new groups: per learning rate other than the
// paper's, the CB-RNN then the matched RNN.
func SweepGroups() []Group {
	var out []Group
	for _, lr := range SweepLRs {
		if lr == PaperLR {
			continue
		}
		out = append(out,
			Group{Label: fmt.Sprintf("CB-RNN, lr %g", lr), Model: "cb-rnn", Regime: trainer.Standard, LR: lr, Control: ControlLRSweep, Color: plots.ColorCBRNN},
			Group{Label: fmt.Sprintf("RNN, lr %g", lr), Model: "rnn", Regime: trainer.Standard, LR: lr, Control: ControlLRSweep, Color: plots.ColorRNN})
	}
	return out
}

func fixedNBudget(p Profile) int  { return p.EpochsFixedN }
func sweepBudget(p Profile) int   { return p.EpochsSweep }
func oddballBudget(p Profile) int { return p.EpochsOddball }

// SweepTasks are the sweep's tasks under a profile (DMS alone at quick, to
// stay within its hour; DMS when the profile names none).
func SweepTasks(p Profile) []string {
	if len(p.SweepTasks) == 0 {
		return []string{"dms"}
	}
	return p.SweepTasks
}

// sweepTasks are the tasks of every need of the sweep (FigureSpec.TasksAt).
func sweepTasks(p Profile, _ int) []string { return SweepTasks(p) }

// ---- fixedn ----------------------------------------------------------------

// FixedNRun is one fixed-N run: the epoch it solved its N at (0: not
// within the budget) and its test accuracy per epoch.
type FixedNRun struct {
	Solved int
	Acc    []float64
}

// FixedNRuns reads a fixed-N cohort's runs.
func FixedNRuns(c *Cohort) ([]FixedNRun, error) {
	runs, err := runStats(c)
	if err != nil {
		return nil, err
	}
	out := make([]FixedNRun, len(runs))
	for i, st := range runs {
		for _, s := range st {
			out[i].Acc = append(out[i].Acc, s.TestAcc)
			if s.Solved && out[i].Solved == 0 {
				out[i].Solved = s.Epoch
			}
		}
	}
	return out, nil
}

// EpochsToSolve is each run's epochs to solve its N, a run that did not
// solve it within the budget counted at budget + 1 (a lower bound), and
// how many solved.
func EpochsToSolve(runs []FixedNRun, budget int) (epochs []float64, solved int) {
	for _, r := range runs {
		if r.Solved > 0 {
			epochs = append(epochs, float64(r.Solved))
			solved++
		} else {
			epochs = append(epochs, float64(budget+1))
		}
	}
	return epochs, solved
}

// fixedNFig draws the fixed-N control: test accuracy per epoch at N = 5,
// and the epochs to solve it per group.
func fixedNFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0][0]
	var vals [][]float64
	var md strings.Builder
	fmt.Fprintf(&md, "DMS at N = %d from the first epoch, no curriculum (the authors' single_nocurr runs, results/single_task/fixedN_new; METHODS §3.4): a run stops when its test accuracy reaches %.0f %%. Budget %d epochs of %d + %d batches of %d. Epochs to solve: the epoch a run first reached the threshold; a run that did not within the budget counts as budget + 1 = %d epochs, a lower bound.\n\n",
		AuthorsFixedN, trainer.PaperThreshold, p.EpochsFixedN, p.Steps, p.TestSteps, p.Batch, p.EpochsFixedN+1)
	md.WriteString("| group | n | solved | epochs to solve (mean ± SEM) | per network |\n|---|---|---|---|---|\n")
	data := figdata.FixedN{N: AuthorsFixedN}
	for _, c := range cs {
		runs, err := FixedNRuns(c)
		if err != nil {
			return nil, err
		}
		g := figdata.FixedNGroup{Label: c.Label, Budget: c.Budget}
		if col, ok := c.Group.Colour().(color.RGBA); ok {
			g.Color = col
		}
		for _, r := range runs {
			g.Solved, g.Acc = append(g.Solved, r.Solved), append(g.Acc, r.Acc)
		}
		data.Groups = append(data.Groups, g)
		ep, solved := g.EpochsToSolve()
		vals = append(vals, ep)
		s := analysis.Summarise(ep)
		per := make([]string, len(ep))
		for i, v := range ep {
			per[i] = fmt.Sprint(v)
			if runs[i].Solved == 0 {
				per[i] = fmt.Sprintf("> %d", c.Budget)
			}
		}
		fmt.Fprintf(&md, "| %s | %d | %d of %d | %s | %s |\n", c.Label, len(runs), solved, len(runs), pm(s, 1), strings.Join(per, ", "))
	}
	md.WriteString("\n")
	if err := e.SaveFigData("fixedn", p, all, data); err != nil {
		return nil, err
	}
	d := &Drawing{W: 11, H: 4.2, Rows: [][]*plot.Plot{data.Panels()}, Markdown: md.String()}
	if len(cs) == 2 {
		d.Claims = []Claim{fixedNClaim(cs, vals)}
	}
	return d, nil
}

// fixedNClaim: without a curriculum the CB-RNN still solves the authors'
// N sooner than the matched RNN.
func fixedNClaim(cs []*Cohort, vals [][]float64) Claim {
	a, b := cs[0].Label, cs[1].Label
	c := betweenClaim(fmt.Sprintf("fixedn/dms/n%d/epochs-to-solve/%s-vs-%s", AuthorsFixedN, slug(a), slug(b)),
		fmt.Sprintf("without a curriculum the CB-RNN solves DMS at N = %d sooner than the matched RNN: the CB advantage is not a curriculum artefact", AuthorsFixedN),
		"fixedn, DMS", fmt.Sprintf("epochs to solve N = %d, %s − %s (unsolved: budget + 1)", AuthorsFixedN, a, b),
		NotReported+" (the authors ran it: fixedN_new, 10 networks per group)", claims.Less, a, vals[0], b, vals[1], 1)
	c.Family = FamilyControls
	return c
}

// ---- lrsweep ---------------------------------------------------------------

// SweepPoint is one architecture at one learning rate.
type SweepPoint struct {
	LR     float64
	Cohort *Cohort
	Row    analysis.GroupRow
}

// Sweep arranges one task's cohorts by architecture (0: CB-RNN, 1: RNN)
// and learning rate, the paper's lr from fig2a's runs cut to the sweep's
// budget, every row of one metric table at that budget.
func Sweep(ref, swept []*Cohort, budget int) [2][]SweepPoint {
	var out [2][]SweepPoint
	var cs []*Cohort
	k := 0
	for _, lr := range SweepLRs {
		for arch := range 2 {
			var c *Cohort
			if lr == PaperLR {
				cut := *truncated(ref[arch], budget) // a copy: fig2a's cohort stays as it is
				cut.Label = fmt.Sprintf("%s, lr %g", cut.Label, lr)
				c = &cut
			} else {
				c = swept[k]
				k++
			}
			out[arch] = append(out[arch], SweepPoint{LR: lr, Cohort: c})
			cs = append(cs, c)
		}
	}
	t := analysis.GroupTable(analysisGroups(cs), budget)
	for i := range cs {
		arch, j := i%2, i/2
		out[arch][j].Row = t.Rows[i]
	}
	return out
}

// BestLR is the index of the point with the largest mean AUC.
func BestLR(pts []SweepPoint) int {
	best := 0
	for i, pt := range pts {
		if pt.Row.AUC.Mean > pts[best].Row.AUC.Mean || math.IsNaN(pts[best].Row.AUC.Mean) {
			best = i
		}
	}
	return best
}

// lrSweepFig draws AUC and max N against the learning rate per task, CB-RNN
// and RNN, with the advantage at every lr and at each one's best lr.
func lrSweepFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	refs, swept := all[0], all[1]
	var rows [][]*plot.Plot
	var cl []Claim
	var md strings.Builder
	fmt.Fprintf(&md, "Learning rates %v for every parameter (core and CB alike, as the paper's one shared lr), %d networks per group, budget %d epochs; the lr %g points are fig2a's runs over their first %d epochs. Best lr: the largest mean AUC, chosen on these very runs.\n\n",
		SweepLRs, p.SeedsSweep, p.EpochsSweep, PaperLR, p.EpochsSweep)
	data := figdata.LRSweep{Budget: p.EpochsSweep, LRs: SweepLRs, PaperLR: PaperLR}
	for i := range swept {
		if len(swept[i]) == 0 || len(refs[i]) < 2 {
			continue
		}
		task := swept[i][0].Task.Name
		if refs[i][0].Budget < p.EpochsSweep {
			return nil, fmt.Errorf("profile %s: the sweep's budget (EpochsSweep %d) exceeds fig2a's (%d), whose runs are its lr %g points: set EpochsSweep ≤ Epochs", p.Name, p.EpochsSweep, refs[i][0].Budget, PaperLR)
		}
		pts := Sweep(refs[i], swept[i], p.EpochsSweep)
		bc, br := BestLR(pts[0]), BestLR(pts[1])
		st := figdata.LRSweepTask{Task: task, Best: [2]int{bc, br}}
		fmt.Fprintf(&md, "**%s** (budget %d epochs)\n\n| lr | %s |\n|---|---|---|---|---|---|---|---|\n", displayTask(task), p.EpochsSweep, strings.Join(MetricHeader, " | "))
		for arch := range 2 {
			for _, pt := range pts[arch] {
				fp := figdata.LRPoint{LR: pt.LR, Label: pt.Cohort.Label, Row: pt.Row}
				if col, ok := pt.Cohort.Group.Colour().(color.RGBA); ok {
					fp.Color = col
				}
				st.Points[arch] = append(st.Points[arch], fp)
				fmt.Fprintf(&md, "| %g | %s |\n", pt.LR, strings.Join(MetricCells(pt.Row), " | "))
			}
		}
		data.Tasks = append(data.Tasks, st)
		fmt.Fprintf(&md, "\nBest lr: %s %g, %s %g.\n\n", strings.SplitN(pts[0][0].Cohort.Label, ",", 2)[0], pts[0][bc].LR,
			strings.SplitN(pts[1][0].Cohort.Label, ",", 2)[0], pts[1][br].LR)
		rows = append(rows, st.Panels())
		cl = append(cl, sweepClaims(task, pts, bc, br)...)
	}
	if err := e.SaveFigData("lrsweep", p, all, data); err != nil {
		return nil, err
	}
	return &Drawing{W: 11, H: 4.2 * float64(max(1, len(rows))), Rows: rows, Markdown: md.String(), Claims: cl}, nil
}

// sweepClaims: the CB-RNN's advantage in AUC and max N at every learning
// rate, and at each architecture's best.
func sweepClaims(task string, pts [2][]SweepPoint, bc, br int) []Claim {
	var out []Claim
	add := func(id, what string, a, b SweepPoint) {
		la, lb := a.Cohort.Label, b.Cohort.Label
		for _, m := range []struct {
			id, name string
			v        func(r analysis.GroupRow) []float64
			digits   int
		}{
			{"auc", "AUC of N over epochs", func(r analysis.GroupRow) []float64 { return r.Values.AUC }, 0},
			{"maxn", "max N", func(r analysis.GroupRow) []float64 { return r.Values.MaxN }, 2},
		} {
			c := betweenClaim(fmt.Sprintf("lrsweep/%s/%s/%s/%s-vs-%s", task, id, m.id, slug(la), slug(lb)),
				fmt.Sprintf("the CB-RNN is ahead of the matched RNN %s (%s, %s): the advantage is not an artefact of the shared lr", what, displayTask(task), m.name),
				"lrsweep, "+displayTask(task), fmt.Sprintf("%s, %s − %s", m.name, la, lb), NotReported,
				claims.Greater, la, m.v(a.Row), lb, m.v(b.Row), m.digits)
			c.Family = FamilyControls
			out = append(out, c)
		}
	}
	for j := range pts[0] {
		add(fmt.Sprintf("lr%g", pts[0][j].LR), fmt.Sprintf("at lr %g", pts[0][j].LR), pts[0][j], pts[1][j])
	}
	add("best-lr", fmt.Sprintf("each at its best lr (%g vs %g)", pts[0][bc].LR, pts[1][br].LR), pts[0][bc], pts[1][br])
	return out
}

// ---- oddball ---------------------------------------------------------------

// oddballFig draws the oddball task's learning curves, their metrics, and
// the CB-RNN against the matched RNN and Frozen-core.
func oddballFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0][0]
	var md strings.Builder
	fmt.Fprintf(&md, "The volatility oddball (METHODS §2.4, the authors' registry generator), single curriculum from N = %d as the authors' results/reservoir_comparisons/oddball runs (lr 0.01, 1000 epochs, 3 networks per group); here %d networks per group, budget %d epochs of %d + %d batches of %d.\n\n",
		trainer.PaperStartN, p.SeedsOddball, p.EpochsOddball, p.Steps, p.TestSteps, p.Batch)
	md.WriteString(metricsMarkdown("Oddball", cs, p))
	desc, err := e.Source.Describe(ctx, "oddball")
	if err != nil {
		return nil, err
	}
	shape := figdata.TaskShape{Name: desc.Name, Inputs: desc.Inputs, Heads: desc.Heads, MinN: desc.MinN, MaxN: desc.MaxN}
	if err := e.SaveFigData("oddball", p, all, figdata.Oddball{Task: shape}); err != nil {
		return nil, err
	}
	d := &Drawing{W: 5.5, H: 4.2, Rows: [][]*plot.Plot{{curvesPanel("Oddball", cs)}}, Markdown: md.String()}
	t := metricTable(cs)
	for j := 1; j < len(cs); j++ {
		la, lb := cs[0].Label, cs[j].Label
		for _, m := range []struct {
			k      int
			id     string
			digits int
		}{{2, "auc", 0}, {0, "maxn", 2}} {
			c := betweenClaim(fmt.Sprintf("oddball/%s/%s-vs-%s", m.id, slug(la), slug(lb)),
				pairText(m.k, la, lb, claims.Greater)+" on the oddball task", "oddball",
				fmt.Sprintf("%s, %s − %s", metricNames[m.k].name, la, lb), NotReported+" (the authors ran it: reservoir_comparisons/oddball, 3 networks per group)",
				claims.Greater, la, metricValues(t.Rows[0], m.k), lb, metricValues(t.Rows[j], m.k), m.digits)
			c.Family = FamilyControls
			d.Claims = append(d.Claims, c)
		}
	}
	return d, nil
}
