package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/figdata"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/trainer"
)

// seed-pertask: the sketch's task-specific cerebellar modules (issue 22,
// part 6). The sketch proposes "a fixed cortex with task-specific
// cerebellar modules" and says that heterogeneous modularity mitigates
// interference between learned functions, and that freezing the core helps
// in continual learning. The model is gomlx_models' cb-rnn-pertask (one
// CB per task on the shared core, the active task's alone biasing it); it
// trains in the continual curriculum (plan DMS → parity → DMS) and in the
// multitask curriculum, standard and Frozen-core, against the shared-CB
// CB-RNN (standard and Frozen-core) and the matched RNN.
//
// Interference is read from the continual curriculum's per-epoch record:
// every task is tested at its own N after every epoch (EpochStats.HeadAcc,
// HeadN), and DMS's N does not move while parity trains (only the active
// task advances). A network's interference is DMS's test accuracy after
// the first epoch of the parity phase (plan phase 1) minus after its last
// epoch, both at that one N, in points: what learning task 2 took from
// task 1. Savings are the continual figure's (trainer.Savings).

// PerTaskID is the figure's id.
const PerTaskID = "seed-pertask"

// The per-task study's groups. The continual references are the continual
// figure's groups (ContinualGroups) with the study's seeds and phase length:
// at paper those are the same runs.
var (
	PerTaskContinualGroups = []Group{
		{Label: "Per-task CBs", Model: gm.PerTaskModel, Regime: trainer.Standard, Curriculum: CurrContinual, PerTaskStudy: true, Color: plots.Palette[2]},
		{Label: "Per-task CBs, frozen core", Model: gm.PerTaskModel, Regime: trainer.FrozenCore, Curriculum: CurrContinual, PerTaskStudy: true, Color: plots.Palette[4]},
		perTaskRef(ContinualGroups[0]), perTaskRef(ContinualGroups[1]), perTaskRef(ContinualGroups[4]),
	}
	PerTaskMultitaskGroups = []Group{
		{Label: "Per-task CBs", Model: gm.PerTaskModel, Regime: trainer.Standard, PerTaskStudy: true, Color: plots.Palette[2]},
		{Label: "Per-task CBs, frozen core", Model: gm.PerTaskModel, Regime: trainer.FrozenCore, PerTaskStudy: true, Color: plots.Palette[4]},
	}
	// perTaskMultitaskRefs are fig3's and fig4's multitask runs, cut to the
	// study's multitask budget.
	perTaskMultitaskRefs = []Group{CBRNN, FrozenCoreGroup, RNNMatched}
)

func perTaskRef(g Group) Group {
	g.PerTaskStudy = true
	return g
}

func perTaskContinualBudget(p Profile) int {
	return len(trainer.PlanNames(trainer.DefaultPlan)) * p.PerTaskEpochsPerPhase
}

func perTaskMultitaskBudget(p Profile) int { return p.PerTaskEpochs }

// seedPerTaskSpec is the figure seed-pertask (registered by seed.go's init,
// in issue 22's order).
func seedPerTaskSpec() FigureSpec {
	return FigureSpec{ID: PerTaskID, Title: "The sketch's task-specific cerebellar modules: interference and savings", Draw: perTaskFig, Notebook: SeedNotebook,
		Needs: []Need{
			{[]string{"switch"}, PerTaskContinualGroups, perTaskContinualBudget},
			{[]string{"multitask"}, PerTaskMultitaskGroups, perTaskMultitaskBudget},
			{[]string{"multitask"}, perTaskMultitaskRefs, mainBudget},
		},
		Shows: "per-task cerebellar modules in continual learning and multitask: interference with DMS while parity trains, savings, against the shared-CB CB-RNN and the RNN (seed-pertask)"}
}

// PerTaskInterference is one run's interference (points; NaN when the run
// never reached the parity phase) and DMS's accuracy at the end of phase 0,
// from its per-epoch record: task 0's accuracy after the first epoch of
// plan phase 1 minus after its last (see the file's comment).
func PerTaskInterference(st []trainer.EpochStats) (interference, endPhase0 float64) {
	interference, endPhase0 = math.NaN(), math.NaN()
	first, last := -1, -1
	for i, s := range st {
		switch {
		case s.PlanPhase == 0 && len(s.HeadAcc) > 0:
			endPhase0 = s.HeadAcc[0]
		case s.PlanPhase == 1 && len(s.HeadAcc) > 0:
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		interference = st[first].HeadAcc[0] - st[last].HeadAcc[0]
	}
	return interference, endPhase0
}

// perTaskFig draws the study: the continual curriculum (DMS's and parity's
// accuracy every epoch, the N of the task being trained) and the multitask
// N progression; the tables hold interference and savings per group.
func perTaskFig(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cont, multi := all[0][0], all[1][0]
	for _, c := range all[2][0] {
		multi = append(multi, truncated(c, perTaskMultitaskBudget(p)))
	}
	heads := cont[0].Task.HeadNames
	var md strings.Builder
	fmt.Fprintf(&md, "The sketch's claim, not the paper's: a fixed core with task-specific cerebellar modules mitigates interference. Continual curriculum, plan %s, %d epochs per phase (budget %d epochs); every task is tested at its own N after every epoch. "+
		"**Interference** = DMS's test accuracy after the first epoch of the parity phase minus after its last, at DMS's N (fixed while parity trains), in points, per network. Savings as in the continual figure (METHODS §3.7).\n\n",
		trainer.DefaultPlan, p.PerTaskEpochsPerPhase, perTaskContinualBudget(p))
	md.WriteString("| group | n | DMS accuracy, end of phase 0 (%) | interference (points) | DMS e₀ | DMS e₁ | savings ratio | runs with a ratio | DMS accuracy, phase 1st / 2nd (%) |\n|---|---|---|---|---|---|---|---|---|\n")
	interf := map[string][]float64{}
	var data figdata.SeedPerTask
	for _, name := range []string{gm.PerTaskModel, "cb-rnn", "rnn"} {
		c, err := gm.Build(name, gm.Options{Inputs: 2, Heads: []int{2, 2}})
		if err != nil {
			return nil, err
		}
		n := c.Count()
		data.Models = append(data.Models, figdata.ModelParams{Name: name, Describe: c.Describe(), Core: n.Core, CB: n.CB, Readout: n.Readout, Total: n.Total})
	}
	accLines := make([][]line, len(heads))
	var active []line
	for _, c := range cont {
		runs, err := runStats(c)
		if err != nil {
			return nil, err
		}
		active = append(active, cohortLine(c))
		for h := range heads {
			accLines[h] = append(accLines[h], line{label: c.Label, budget: c.Budget, color: c.Group.Colour(),
				curves: field(runs, func(s trainer.EpochStats) float64 { return s.HeadAcc[h] })})
		}
		var end0, in0 []float64
		var cols savingsColumns
		for _, st := range runs {
			in, end := PerTaskInterference(st)
			interf[c.Group.Label] = append(interf[c.Group.Label], in)
			end0, in0 = append(end0, end), append(in0, in)
			phases, err := trainer.ContinualPhases(st, heads)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Label, err)
			}
			for _, s := range trainer.Savings(phases, trainer.PaperThreshold) {
				if s.Task == heads[0] {
					cols.add([]trainer.TaskSavings{s})
				}
			}
		}
		data.Continual = append(data.Continual, figdata.PerTaskCohort{Label: c.Label, EndPhase0: end0, Interf: in0})
		e0, e1, ratio, a0, a1 := cols.e0, cols.e1, cols.ratio, cols.a0, cols.a1
		fmt.Fprintf(&md, "| %s | %d | %s | %s | %s | %s | %s | %d | %s / %s |\n", c.Label, len(runs), pm(analysis.Summarise(finite(end0)), 1),
			pm(analysis.Summarise(finite(interf[c.Group.Label])), 1), pm(analysis.Summarise(e0), 1), pm(analysis.Summarise(e1), 1),
			pm(analysis.Summarise(ratio), 2), len(ratio), pm(analysis.Summarise(a0), 1), pm(analysis.Summarise(a1), 1))
	}
	md.WriteString("\n")
	md.WriteString(metricsMarkdown(fmt.Sprintf("Multitask: N progression (fig3's and fig4's runs over their first %d epochs)", perTaskMultitaskBudget(p)), multi, p))

	row := []*plot.Plot{}
	for h, name := range heads {
		row = append(row, linesPanel(fmt.Sprintf("(%c) continual: %s test accuracy, every epoch", 'a'+h, strings.ToUpper(name)), "test accuracy (%)", accLines[h]))
	}
	pa := linesPanel(fmt.Sprintf("(%c) continual: N of the task being trained", 'a'+len(heads)), "N", active)
	var mlines []line
	for _, c := range multi {
		mlines = append(mlines, cohortLine(c))
	}
	pMulti := linesPanel(fmt.Sprintf("(%c) multitask: N", 'b'+len(heads)), "N", mlines)
	for _, pl := range []*plot.Plot{pa, pMulti} {
		pl.Y.Tick.Marker = plots.NiceTicks{Integer: true}
	}
	d := &Drawing{W: 11, H: 8.4, Rows: [][]*plot.Plot{row, {pa, pMulti}}, Markdown: md.String()}
	d.Claims = perTaskClaims(interf)
	if err := e.SaveFigData(PerTaskID, p, all, data); err != nil {
		return nil, err
	}
	return d, nil
}

// perTaskClaims are the sketch's two claims on interference, each a
// between-groups comparison of the per-network interference.
func perTaskClaims(interf map[string][]float64) []Claim {
	const metric = "DMS accuracy lost while parity trains (points, at DMS's fixed N: after the first minus after the last parity epoch), per network"
	where := SketchWhere(PerTaskID)
	g := PerTaskContinualGroups
	mk := func(id, claim string, a, b Group) Claim {
		c := betweenClaim(PerTaskID+"/continual/interference/"+id, claim, where, metric,
			"the sketch: task-specific cerebellar modules mitigate interference (not in the paper)", claims.Less,
			a.Label, interf[a.Label], b.Label, interf[b.Label], 1)
		c.Family = SketchFamily
		return c
	}
	return []Claim{
		mk("per-task-vs-shared", "per-task CBs reduce interference", g[0], g[2]),
		mk("frozen-per-task-vs-frozen-shared", "a frozen core with per-task CBs keeps task 1", g[1], g[3]),
	}
}
