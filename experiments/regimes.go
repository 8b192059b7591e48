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
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// The curricula and controls of the authors' code that the paper's figures
// do not show: continual learning with savings, the fixed-schedule,
// cumulative and sliding curricula, and the auxiliary-RNN and compressed-CB
// controls.
// The authors' code has no plotting function for any of them and their
// results hold no runs of them except the auxiliary-RNN control (whose
// figure, if any, is not in their code), so each gets a figure of its own
// here: "continual", "curricula", "controls". Their groups use the
// profile's SeedsExtra runs (1 at quick, to keep that profile near an hour).

// The curricula an experiment group can ask for (Group.Curriculum).
const (
	CurrContinual     = "continual"      // METHODS §3.7, plan dms → parity → dms
	CurrCumulative    = "cumulative"     // METHODS §3.9, the authors' defaults (1 head, +1 per advance)
	CurrSliding       = "sliding"        // METHODS §3.9, a window of SlidingWindow Ns moving by SlidingForget
	CurrFixedSchedule = "fixed-schedule" // METHODS §3.8, N + 1 every profile.AdvanceEvery epochs
)

// SlidingWindow and SlidingForget size the sliding groups. The authors store
// no sliding runs, and their defaults (1 head, forget 1) make sliding the
// single curriculum, so the groups use a window of 3 Ns moving by 1.
const SlidingWindow, SlidingForget = 3, 1

// The groups of the new figures.
var (
	ContinualGroups = []Group{
		{Label: "CB-RNN", Model: "cb-rnn", Regime: trainer.Standard, Curriculum: CurrContinual, Color: plots.ColorCBRNN},
		{Label: "Frozen-core", Model: "cb-rnn", Regime: trainer.FrozenCore, Curriculum: CurrContinual, Color: plots.ColorFrozenCore},
		{Label: "Periodic-core", Model: "cb-rnn", Regime: trainer.PeriodicCore, Curriculum: CurrContinual, Color: plots.ColorPeriodicCore},
		{Label: "Per-task core", Model: "cb-rnn", Regime: trainer.PerTaskOnce, Curriculum: CurrContinual, Color: plots.Palette[0]},
		{Label: "RNN", Model: "rnn", Regime: trainer.Standard, Curriculum: CurrContinual, Color: plots.ColorRNN},
	}
	FixedScheduleGroups = []Group{
		{Label: "CB-RNN, fixed schedule", Model: "cb-rnn", Regime: trainer.Standard, Curriculum: CurrFixedSchedule, Color: plots.ColorCBRNN},
		{Label: "RNN, fixed schedule", Model: "rnn", Regime: trainer.Standard, Curriculum: CurrFixedSchedule, Color: plots.ColorRNN},
	}
	MultiHeadGroups = []Group{
		{Label: "CB-RNN, cumulative", Model: "cb-rnn", Regime: trainer.Standard, Curriculum: CurrCumulative, Color: plots.Palette[0]},
		{Label: "RNN, cumulative", Model: "rnn", Regime: trainer.Standard, Curriculum: CurrCumulative, Color: plots.Palette[3]},
		{Label: "CB-RNN, sliding", Model: "cb-rnn", Regime: trainer.Standard, Curriculum: CurrSliding, Color: plots.Palette[1]},
		{Label: "RNN, sliding", Model: "rnn", Regime: trainer.Standard, Curriculum: CurrSliding, Color: plots.Palette[4]},
	}
	// AuxRNN is the auxiliary-RNN control (METHODS §1.7): a leaky RNN of the
	// CB's parameter budget in the CB's place, trained as the authors'
	// single-task runs (single_{task}_elman_size_64_auxH139_RNNlr0.01_CBlr0.01).
	AuxRNN = Group{Label: "Aux-RNN in the CB's place", Model: "aux-rnn-cb", Regime: trainer.Standard, Extra: true, AuxControl: true, Color: plots.Palette[1]}
	// AuxRNNCoreLR is the authors' second auxiliary-RNN run set
	// (single_{task}_elman_size_64_auxH139_RNNlr0.001_CBlr0.01, 3 networks
	// per task): the core and readout at lr 0.001, the auxiliary RNN at the
	// shared 0.01 (METHODS §1.7).
	AuxRNNCoreLR = Group{Label: "Aux-RNN, core lr 0.001", Model: "aux-rnn-cb", Regime: trainer.Standard, Extra: true, AuxControl: true, CoreLR: 0.001, Color: plots.Palette[3]}
	// CBCompress is the CB with a linear bottleneck before the granule layer
	// (METHODS §1.8; the registry's D = 16).
	CBCompress = Group{Label: "CB-RNN, compressed CB", Model: "cb-compress", Regime: trainer.Standard, Extra: true, Color: plots.Palette[2]}
)

// multiNTasks are the tasks of the cumulative and sliding groups.
var multiNTasks = []string{"dms_multin", "parity_multin"}

// extraBudget is the epoch budget of the new single-task groups: the paper's
// at paper, less at quick (the cumulative readout of 149 heads makes those
// runs about 3× dearer than a single-head run on the Go backend).
func extraBudget(p Profile) int { return p.EpochsExtra }

// truncated is a reference cohort (fig2a's runs) cut to a shorter budget:
// the first epochs of a run do not depend on its budget, so this is the
// cohort that budget would have trained.
func truncated(c *Cohort, budget int) *Cohort {
	if budget >= c.Budget {
		return c
	}
	t := *c
	t.Budget = budget
	t.Curves = make([][]float64, len(c.Curves))
	for i, cv := range c.Curves {
		t.Curves[i] = cv[:min(len(cv), budget)]
	}
	return &t
}

// references returns the CB-RNN and RNN cohorts of task i cut to budget
// (the extra groups').
func references(all [][]*Cohort, i int, budget int) []*Cohort {
	return []*Cohort{truncated(all[i][0], budget), truncated(all[i][1], budget)}
}

func continualBudget(p Profile) int {
	return len(trainer.PlanNames(trainer.DefaultPlan)) * p.EpochsPerPhase
}

// curricula returns the trainer settings of the group's curriculum under a
// profile.
func (g Group) curricula(p Profile) trainer.Curricula {
	switch g.Curriculum {
	case CurrContinual:
		return trainer.Curricula{Curriculum: trainer.Continual, Plan: trainer.DefaultPlan, EpochsPerPhase: g.epochsPerPhase(p)}
	case CurrCumulative:
		return trainer.Curricula{Curriculum: trainer.Cumulative}
	case CurrSliding:
		return trainer.Curricula{Curriculum: trainer.Sliding, InitHeads: SlidingWindow, ForgetHeads: SlidingForget}
	case CurrFixedSchedule:
		return trainer.Curricula{AdvanceEvery: p.AdvanceEvery}
	}
	return trainer.Curricula{}
}

// epochsPerPhase is the continual curriculum's phase length for the group:
// the profile's EpochsPerPhase, or PerTaskEpochsPerPhase for the per-task
// study's groups.
func (g Group) epochsPerPhase(p Profile) int {
	if g.PerTaskStudy {
		return p.PerTaskEpochsPerPhase
	}
	return p.EpochsPerPhase
}

// applyCurriculum sets a run's curriculum from its group and profile.
func (g Group) applyCurriculum(p Profile, c *trainer.Config) error {
	switch g.Curriculum {
	case "":
		return nil
	case CurrContinual:
		if g.epochsPerPhase(p) <= 0 {
			return fmt.Errorf("profile %s sets no epochs per continual phase", p.Name)
		}
		if g.Regime == trainer.PeriodicCore {
			c.Period = trainer.ContinualPeriod
		}
	case CurrFixedSchedule:
		if p.AdvanceEvery <= 0 {
			return fmt.Errorf("profile %s sets no fixed-schedule period", p.Name)
		}
	case CurrCumulative, CurrSliding:
	default:
		return fmt.Errorf("unknown curriculum %q (want %s, %s, %s or %s)", g.Curriculum, CurrContinual, CurrCumulative, CurrSliding, CurrFixedSchedule)
	}
	c.Curricula = g.curricula(p)
	return c.Validate()
}

// line is one group's curves in a panel.
type line struct {
	label  string
	curves [][]float64
	budget int
	color  color.Color
	dashed bool
}

// linesPanel draws mean ± SEM curves against the epoch
// (figdata.LinePanel).
func linesPanel(title, ylabel string, ls []line) *plot.Plot {
	return linePanel(title, ylabel, ls, false).Plot()
}

// linePanel is a panel of lines as figure data, which the regimes' figures
// draw and save for their notebooks.
func linePanel(title, ylabel string, ls []line, integerY bool) figdata.LinePanel {
	p := figdata.LinePanel{Title: title, YLabel: ylabel, IntegerY: integerY}
	for _, l := range ls {
		p.Lines = append(p.Lines, figdata.Line{Label: l.label, Curves: l.curves, Budget: l.budget, Color: rgbaOf(l.color), Dashed: l.dashed})
	}
	return p
}

func cohortLine(c *Cohort) line {
	return line{label: c.Label, curves: c.Curves, budget: c.Budget, color: c.Group.Colour(), dashed: c.Group.Curriculum == CurrSliding}
}

// runStats reads the per-epoch records of a cohort's runs.
func runStats(c *Cohort) ([][]trainer.EpochStats, error) {
	out := make([][]trainer.EpochStats, len(c.Dirs))
	for i, d := range c.Dirs {
		st, err := rundir.ReadStats[trainer.EpochStats](d)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// field turns each run's records into one curve.
func field(runs [][]trainer.EpochStats, f func(trainer.EpochStats) float64) [][]float64 {
	out := make([][]float64, len(runs))
	for i, st := range runs {
		for _, s := range st {
			out[i] = append(out[i], f(s))
		}
	}
	return out
}

// continualFig draws the continual curriculum: the active task's N, and each
// task's N (every task is tested at its own N every epoch), per group; the
// table holds the savings of DMS (met in phases 0 and 2).
func continualFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0][0]
	heads := cs[0].Task.HeadNames
	perTask := make([][]line, len(heads))
	var active []line
	var md strings.Builder
	data := figdata.Continual{Plan: trainer.PlanNames(trainer.DefaultPlan), PerPhase: p.EpochsPerPhase, Threshold: trainer.PaperThreshold}
	fmt.Fprintf(&md, "Plan %s, %d epochs per phase (budget %d epochs), threshold %.0f %%. Savings of a task met twice (METHODS §3.7): epochs to reach the threshold in its first and second phase (e₀, e₁; the second restarts one below the last N it solved), ratio (e₀ − e₁)/e₀ over the runs where both exist, and the mean accuracy over the first L epochs of each phase (L = the shorter phase).\n\n",
		trainer.DefaultPlan, p.EpochsPerPhase, continualBudget(p), 98.0)
	md.WriteString("| group | n | task | e₀ | e₁ | savings ratio | runs with a ratio | accuracy, phase 1st / 2nd |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range cs {
		runs, err := runStats(c)
		if err != nil {
			return nil, err
		}
		active = append(active, cohortLine(c))
		for h := range heads {
			perTask[h] = append(perTask[h], line{label: c.Label, budget: c.Budget, color: c.Group.Colour(),
				curves: field(runs, func(s trainer.EpochStats) float64 { return float64(s.HeadN[h]) })})
		}
		byTask := map[string][]trainer.TaskSavings{}
		var order []string
		for _, st := range runs {
			phases, err := trainer.ContinualPhases(st, heads)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Label, err)
			}
			for _, s := range trainer.Savings(phases, trainer.PaperThreshold) {
				if byTask[s.Task] == nil {
					order = append(order, s.Task)
				}
				byTask[s.Task] = append(byTask[s.Task], s)
			}
		}
		if len(order) == 0 {
			fmt.Fprintf(&md, "| %s | %d | – | – | – | – | 0 | – |\n", c.Label, len(runs))
		}
		for _, task := range order {
			var cols savingsColumns
			cols.add(byTask[task])
			e0, e1, ratio, a0, a1 := cols.e0, cols.e1, cols.ratio, cols.a0, cols.a1
			data.Savings = append(data.Savings, figdata.Savings{Group: c.Label, Task: task, Runs: len(byTask[task]),
				E0: e0, E1: e1, Ratio: ratio, Acc0: a0, Acc1: a1})
			fmt.Fprintf(&md, "| %s | %d | %s | %s | %s | %s | %d | %s / %s |\n", c.Label, len(byTask[task]), strings.ToUpper(task),
				pm(analysis.Summarise(e0), 1), pm(analysis.Summarise(e1), 1), pm(analysis.Summarise(ratio), 2), len(ratio),
				pm(analysis.Summarise(a0), 1), pm(analysis.Summarise(a1), 1))
		}
	}
	md.WriteString("\n")
	row := []figdata.LinePanel{linePanel("(a) N of the task being trained", "N", active, true)}
	for h, name := range heads {
		row = append(row, linePanel(fmt.Sprintf("(%c) N of %s (tested every epoch)", 'b'+h, strings.ToUpper(name)), "N", perTask[h], true))
	}
	data.Figure = figdata.Lines{W: 5.5 * float64(len(row)), H: 4.2, Rows: [][]figdata.LinePanel{row}}
	if err := e.SaveFigData("continual", p, all, data); err != nil {
		return nil, err
	}
	d := &Drawing{W: data.Figure.W, H: data.Figure.H, Rows: data.Figure.Plots()}
	d.Markdown = md.String() + metricsMarkdown("N of the task being trained", cs, p)
	return d, nil
}

// curriculaFig draws the fixed schedule (test accuracy, since N is set by
// the clock) and the cumulative and sliding curricula (their largest N next
// to the standard curriculum's N).
func curriculaFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	refs, fixed, multi := all[0], all[1], all[2]
	var accRow, nRow []figdata.LinePanel
	var md strings.Builder
	data := figdata.Curricula{SlidingWindow: SlidingWindow}
	fmt.Fprintf(&md, "Budget %d epochs (the standard CB-RNN and RNN are fig2a's runs over their first %d epochs). Fixed schedule (METHODS §3.8): N + 1 every %d epochs whatever the accuracy. Cumulative: one more head (N) per advance, the old ones kept; sliding: a window of %d Ns moving by %d per advance; both advance when the mean accuracy over their heads reaches 98 %% (METHODS §3.9), on the multi-N tasks (%s).\n\n",
		p.EpochsExtra, p.EpochsExtra, p.AdvanceEvery, SlidingWindow, SlidingForget, strings.Join(multiNTasks, ", "))
	md.WriteString("| task | group | n | final N | mean test accuracy (%) | highest N passed at ≥ 98 % |\n|---|---|---|---|---|---|\n")
	for i, name := range singleTasks {
		var acc []line
		for _, c := range fixed[i] {
			runs, err := runStats(c)
			if err != nil {
				return nil, err
			}
			l := cohortLine(c)
			l.curves = field(runs, func(s trainer.EpochStats) float64 { return s.TestAcc })
			acc = append(acc, l)
			var finalN, meanAcc, passed []float64
			for _, st := range runs {
				best := math.NaN()
				sum := 0.0
				for _, s := range st {
					sum += s.TestAcc
					if s.TestAcc >= 98 && !(float64(s.N) <= best) {
						best = float64(s.N)
					}
				}
				finalN = append(finalN, float64(st[len(st)-1].N))
				meanAcc = append(meanAcc, sum/float64(len(st)))
				if !math.IsNaN(best) {
					passed = append(passed, best)
				}
			}
			data.Fixed = append(data.Fixed, figdata.FixedSchedule{Task: name, Label: c.Label, Runs: len(runs),
				FinalN: finalN, MeanAcc: meanAcc, Passed: passed})
			fmt.Fprintf(&md, "| %s | %s | %d | %s | %s | %s (%d of %d runs) |\n", strings.ToUpper(name), c.Label, len(runs),
				pm(analysis.Summarise(finalN), 1), pm(analysis.Summarise(meanAcc), 1), pm(analysis.Summarise(passed), 1), len(passed), len(runs))
		}
		p1 := linePanel(fmt.Sprintf("%s, fixed schedule: test accuracy", strings.ToUpper(name)), "test accuracy (%)", acc, false)
		accRow = append(accRow, p1)
		var ns []line
		for _, c := range append(references(refs, i, p.EpochsExtra), multi[i]...) {
			ns = append(ns, cohortLine(c))
		}
		p2 := linePanel(fmt.Sprintf("%s: standard, cumulative, sliding (largest N)", strings.ToUpper(name)), "N", ns, true)
		nRow = append(nRow, p2)
	}
	md.WriteString("\n")
	for i, name := range singleTasks {
		md.WriteString(metricsMarkdown(strings.ToUpper(name)+": standard vs cumulative and sliding (largest N)", append(references(refs, i, p.EpochsExtra), multi[i]...), p))
	}
	data.Figure = figdata.Lines{W: 11, H: 8.4, Rows: [][]figdata.LinePanel{accRow, nRow}}
	if err := e.SaveFigData("curricula", p, all, data); err != nil {
		return nil, err
	}
	return &Drawing{W: data.Figure.W, H: data.Figure.H, Rows: data.Figure.Plots(), Markdown: md.String()}, nil
}

// auxClaims are the auxiliary-RNN control's rows, a control the paper does
// not report: the CB-RNN learns faster (AUC, over the controls' budget)
// than a network with a recurrent module of the CB's parameter budget in
// the CB's place, at the shared learning rate and with the core at lr 0.001
// (the authors' two run sets), so that the advantage is the feed-forward
// expansion's and not any extra module's.
func auxClaims(task string, t analysis.GroupTableResult) []Claim {
	var out []Claim
	for _, g := range []Group{AuxRNN, AuxRNNCoreLR} {
		var ra, rb *analysis.GroupRow
		for i := range t.Rows {
			switch t.Rows[i].Name {
			case CBRNN.Label:
				ra = &t.Rows[i]
			case g.Label:
				rb = &t.Rows[i]
			}
		}
		if ra == nil || rb == nil {
			continue
		}
		id := "controls/" + task + "/cb-vs-aux"
		if g.CoreLR > 0 {
			id += "-corelr"
		}
		c := betweenClaim(id, "the CB-RNN learns faster than a recurrent module of the CB's size in its place, "+g.Label+" ("+displayTask(task)+")", "controls",
			"AUC of N over epochs (the controls' budget), CB-RNN − "+g.Label, "a control the paper does not report", claims.Greater,
			ra.Name, ra.Values.AUC, rb.Name, rb.Values.AUC, 0)
		c.Family = FamilyControls
		out = append(out, c)
	}
	return out
}

// controlsFig draws the controls next to the CB-RNN and the matched RNN.
func controlsFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := make([][]*Cohort, len(singleTasks))
	for i := range cs {
		cs[i] = append(references(all[0], i, p.ControlsBudget()), all[1][i]...)
	}
	var row []figdata.LinePanel
	var md strings.Builder
	var claimsOf []Claim
	md.WriteString("The authors' auxiliary-RNN runs and the compression layer appear in no plotting function of their code, so these controls are drawn here as extra groups of the single-task comparison (fig2a, whose CB-RNN and RNN runs are shown over their first " +
		fmt.Sprint(p.ControlsBudget()) + " epochs, the controls' budget). Trainable parameters: ")
	for j, c := range cs[0] {
		if j > 0 {
			md.WriteString(", ")
		}
		fmt.Fprintf(&md, "%s %d", c.Label, c.Params)
	}
	md.WriteString(".\n\n")
	for i, name := range singleTasks {
		var ls []line
		for _, c := range cs[i] {
			ls = append(ls, cohortLine(c))
		}
		row = append(row, linePanel(strings.ToUpper(name), "N (task difficulty reached)", ls, true))
		md.WriteString(metricsMarkdown(strings.ToUpper(name), cs[i], p))
		claimsOf = append(claimsOf, auxClaims(name, metricTable(cs[i]))...)
	}
	fig := figdata.Lines{W: 11, H: 4.2, Rows: [][]figdata.LinePanel{row}}
	if err := e.SaveFigData("controls", p, all, fig); err != nil {
		return nil, err
	}
	return &Drawing{W: fig.W, H: fig.H, Rows: fig.Plots(), Markdown: md.String(), Claims: claimsOf}, nil
}

// savingsColumns gathers one group's savings records column by column:
// epochs to criterion at the first and the second visit (runs that reached
// it), the ratio where it is defined, and the accuracy after a fixed
// budget at each visit.
type savingsColumns struct{ e0, e1, ratio, a0, a1 []float64 }

func (c *savingsColumns) add(ss []trainer.TaskSavings) {
	for _, s := range ss {
		if s.EpochsToCriterion[0] > 0 {
			c.e0 = append(c.e0, float64(s.EpochsToCriterion[0]))
		}
		if s.EpochsToCriterion[1] > 0 {
			c.e1 = append(c.e1, float64(s.EpochsToCriterion[1]))
		}
		if s.RatioOK {
			c.ratio = append(c.ratio, s.Ratio)
		}
		c.a0, c.a1 = append(c.a0, s.FixedBudgetAcc[0]), append(c.a1, s.FixedBudgetAcc[1])
	}
}
