package experiments

import (
	"context"
	"fmt"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/trainer"
)

// The sketch's over-freezing check (issue 22, seed-freeze): "freeze the RNN
// weights after N steps, train only the CB — the advantage should remain",
// and its pitfall "freezing the cortex too early, before minimal
// representations form, degrades performance". Frozen-core (METHODS §3.3)
// with the core frozen at the start (a random reservoir), after solving
// N = 2 (the paper's Frozen-core, fig4's runs), N = 4 and N = 8, against the
// standard CB-RNN and RNN-202 (fig2a's runs).

// FreezePoints are the sweep's freeze points, as trainer.Config.FreezeAfterN
// spells them, in the order drawn; 0 is the paper's (after solving the
// start N, 2).
var FreezePoints = []int{trainer.FreezeAtStart, 0, 4, 8}

// freezeN is the N after whose solving the core freezes (0 for at start).
func freezeN(k int) int {
	switch k {
	case trainer.FreezeAtStart:
		return 0
	case 0:
		return trainer.PaperStartN
	}
	return k
}

// FreezeGroup is the Frozen-core group of one freeze point; the paper's (0)
// is fig4's FrozenCoreGroup, so the sweep reuses its runs.
func FreezeGroup(k int) Group {
	if k == 0 {
		return FrozenCoreGroup
	}
	label := fmt.Sprintf("Frozen after N=%d", k)
	if k == trainer.FreezeAtStart {
		label = "Frozen at start (reservoir)"
	}
	i := map[int]int{trainer.FreezeAtStart: 3, 4: 4, 8: 6}[k]
	return Group{Label: label, Model: "cb-rnn", Regime: trainer.FrozenCore, FreezeAfterN: k, Sketch: true, Color: plots.Palette[i]}
}

// freezeSweep is the sweep's new groups (every freeze point but the paper's).
func freezeSweep() []Group {
	var gs []Group
	for _, k := range FreezePoints {
		if k != 0 {
			gs = append(gs, FreezeGroup(k))
		}
	}
	return gs
}

// sketchBudget is the epoch budget of the sketch's sweeps; sketchParity the
// same where the profile trains them on parity too, else 0 (none).
func sketchBudget(p Profile) int { return p.EpochsSketch }

func sketchParity(p Profile) int {
	if p.SketchParity {
		return p.EpochsSketch
	}
	return 0
}

// sketchWhere is a claim row's where for a figure, a task and what more
// places it (SketchWhere).
func sketchWhere(fig, task, more string) string {
	w := fig + ", " + displayTask(task)
	if more != "" {
		w += ", " + more
	}
	return SketchWhere(w)
}

// seedFreezeSpec is the figure seed-freeze (registered by seed.go's init,
// in issue 22's order).
func seedFreezeSpec() FigureSpec {
	refs := []Group{CBRNN, RNNMatched, FrozenCoreGroup}
	return FigureSpec{ID: "seed-freeze", Title: "The sketch's over-freezing check: Frozen-core frozen at start, after N = 2, 4, 8",
		Draw: seedFreeze, Notebook: SeedNotebook,
		Needs: []Need{{singleTasks, refs, mainBudget},
			{[]string{"dms"}, freezeSweep(), sketchBudget}, {[]string{"parity"}, freezeSweep(), sketchParity}},
		Shows: "over-freezing: Frozen-core with the core frozen at the start, after N = 2 (the paper's), 4 and 8, against the CB-RNN and the RNN (seed-freeze)"}
}

// sketchTasks pairs each task the sweep trained (needs 1 and 2 of a seed
// figure: DMS, then parity where the profile trains it) with its index in
// the references' need (singleTasks).
func sketchTasks(all [][][]*Cohort) (idx []int, sweeps [][]*Cohort) {
	for i, need := range all[1:] {
		if len(need) > 0 {
			idx, sweeps = append(idx, i), append(sweeps, need[0])
		}
	}
	return idx, sweeps
}

// Truncated is a cohort cut to a shorter budget (a reference drawn beside
// groups of a shorter budget): the first epochs of a run do not depend on
// its budget.
func Truncated(c *Cohort, budget int) *Cohort { return truncated(c, budget) }

// FrozeAt is the epoch (1-based) at which each run of a Frozen-core cohort
// first trained with its core frozen, 0 for a run whose core never froze
// (within its records; a truncated cohort's caller cuts at its budget).
func FrozeAt(c *Cohort) ([]int, error) {
	st, err := runStats(c)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(st))
	for i, run := range st {
		for _, s := range run {
			if s.Phase == trainer.PhaseCBOnly {
				out[i] = s.Epoch
				break
			}
		}
	}
	return out, nil
}

func seedFreeze(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	budget := p.EpochsSketch
	idx, sweeps := sketchTasks(all)
	d := &Drawing{W: 11, H: 4.2 * float64(len(idx))}
	var md strings.Builder
	fmt.Fprintf(&md, "Frozen-core (METHODS §3.3) with its freeze point moved: the core and readout train, the CB frozen, until N = k is solved; then the CB and readout only. k = 0 freezes the random core from the first epoch (a reservoir); k = 2 is the paper's Frozen-core (fig4's runs). Budget %d epochs, n = %d per new freeze point; the CB-RNN, RNN and the paper's Frozen-core are fig2a's and fig4's runs over their first %d epochs (a run's first epochs do not depend on its budget).", budget, p.SeedsSketch, budget)
	if !p.SketchParity {
		md.WriteString(" This profile trains the sweep on DMS only.")
	}
	md.WriteString("\n\n")
	data := figdata.SeedFreeze{Budget: budget}
	for j, ti := range idx {
		task := singleTasks[ti]
		ref := all[0][ti]
		cb, rnn := truncated(ref[0], budget), truncated(ref[1], budget)
		paper := *truncated(ref[2], budget)
		paper.Label = "Frozen after N=2 (paper's Frozen-core)"
		byPoint := map[int]*Cohort{0: &paper}
		for gi, g := range freezeSweep() {
			byPoint[g.FreezeAfterN] = sweeps[j][gi]
		}
		ordered := []*Cohort{cb, rnn}
		for _, k := range FreezePoints {
			ordered = append(ordered, byPoint[k])
		}
		var ls []line
		for _, c := range ordered {
			ls = append(ls, cohortLine(c))
		}
		curves := linesPanel("(a) "+displayTask(task)+": N per epoch", "N (task difficulty reached)", ls)
		curves.Y.Tick.Marker = plots.NiceTicks{Integer: true}
		t := metricTable(ordered)
		rows := map[string]analysis.GroupRow{}
		for _, r := range t.Rows {
			rows[r.Name] = r
		}
		var x, mean, sem []float64
		for _, k := range FreezePoints {
			s := rows[byPoint[k].Label].AUC
			x, mean, sem = append(x, float64(freezeN(k))), append(mean, s.Mean), append(sem, s.SEM)
		}
		flat := func(c *Cohort) plots.Series {
			s := rows[c.Label].AUC
			return plots.Series{Label: c.Label + " (reference)", X: []float64{0, 8}, Mean: []float64{s.Mean, s.Mean}, Color: c.Group.Colour(), Dashed: true}
		}
		auc := plots.LinePoints("(b) "+displayTask(task)+": AUC against the freeze point", "core frozen after solving N (0: at start)", "AUC of N over epochs",
			[]plots.Series{{Label: "Frozen-core", X: x, Mean: mean, SEM: sem, Color: plots.ColorFrozenCore}, flat(cb), flat(rnn)})
		d.Rows = append(d.Rows, []*plot.Plot{curves, auc})
		md.WriteString(metricsMarkdown(displayTask(task), ordered, p))
		md.WriteString("| freeze point | runs whose core froze within the budget | at epoch |\n|---|---|---|\n")
		froze := map[int][]int{}
		// The notebook's cohorts: the paper's Frozen-core under its own label.
		saved := []*Cohort{cb, rnn}
		for _, k := range FreezePoints {
			if k == 0 {
				saved = append(saved, truncated(ref[2], budget))
			} else {
				saved = append(saved, byPoint[k])
			}
		}
		fc, err := cohortsData(saved)
		if err != nil {
			return nil, err
		}
		ft := figdata.FreezeTask{Task: task, Cohorts: fc}
		for _, k := range FreezePoints {
			at, err := FrozeAt(byPoint[k])
			if err != nil {
				return nil, err
			}
			// The truncated reference: a freeze after the budget is none.
			for i, a := range at {
				if a > budget {
					at[i] = 0
				}
			}
			froze[k] = at
			ft.FrozeAt = append(ft.FrozeAt, at)
			n := 0
			for _, a := range at {
				if a > 0 {
					n++
				}
			}
			fmt.Fprintf(&md, "| %s | %d of %d | %v |\n", byPoint[k].Label, n, len(at), at)
		}
		md.WriteString("\n")
		data.Tasks = append(data.Tasks, ft)
		d.Claims = append(d.Claims, freezeClaims(task, rows, byPoint, rnn, froze, budget)...)
	}
	if err := e.SaveFigData("seed-freeze", p, all, data); err != nil {
		return nil, err
	}
	d.Markdown = md.String()
	return d, nil
}

// freezeClaims are the sketch's over-freezing rows on one task: each freeze
// point after some training keeps the advantage over the RNN (AUC), and
// freezing at the start loses it (AUC below the paper's freeze point's).
func freezeClaims(task string, rows map[string]analysis.GroupRow, byPoint map[int]*Cohort, rnn *Cohort, froze map[int][]int, budget int) []Claim {
	auc := func(c *Cohort) []float64 { return rows[c.Label].Values.AUC }
	var cs []Claim
	for _, k := range []int{0, 4, 8} {
		c := byPoint[k]
		cl := betweenClaim(fmt.Sprintf("seed-freeze/%s/auc/frozen-after-%d-vs-rnn", task, freezeN(k)),
			fmt.Sprintf("freezing the core after minimal training (after solving N = %d) keeps the CB-RNN's advantage over the RNN", freezeN(k)),
			sketchWhere("seed-freeze", task, ""), fmt.Sprintf("AUC of N over %d epochs, %s − %s", budget, c.Label, rnn.Label),
			"the sketch: \"freeze the RNN weights after N steps, train only the CB — the advantage should remain\"",
			claims.Greater, c.Label, auc(c), rnn.Label, auc(rnn), 0)
		cl.Family = SketchFamily
		if none(froze[k]) {
			cl.NotTestable = fmt.Sprintf("no run solved N = %d within the %d epochs, so no core froze: these runs trained the core with the CB frozen throughout", freezeN(k), budget)
		}
		cs = append(cs, cl)
	}
	start, paper := byPoint[trainer.FreezeAtStart], byPoint[0]
	cl := betweenClaim(fmt.Sprintf("seed-freeze/%s/auc/frozen-at-start-vs-after-2", task),
		"freezing the core at 0 epochs (a random reservoir) loses the advantage: it learns slower than freezing after N = 2",
		sketchWhere("seed-freeze", task, ""), fmt.Sprintf("AUC of N over %d epochs, %s − %s", budget, start.Label, paper.Label),
		"the sketch: \"freezing the cortex too early, before minimal representations form, degrades performance\"",
		claims.Less, start.Label, auc(start), paper.Label, auc(paper), 0)
	cl.Family = SketchFamily
	if none(froze[0]) {
		cl.NotTestable = fmt.Sprintf("no run of the paper's Frozen-core solved N = 2 within the %d epochs, so the two groups differ only in whether the core trained", budget)
	}
	return append(cs, cl)
}

// none reports whether no run froze.
func none(at []int) bool {
	for _, a := range at {
		if a > 0 {
			return false
		}
	}
	return true
}
