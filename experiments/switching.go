package experiments

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// Task switching as the authors analyse and draw it (paper/METHODS §4.2;
// their analysis/learning_metrics.py: analyse_switch_groups and
// analysis/multitask_switching_plotting_utils.py).

// Phase colours of the authors' switching ribbon
// (_plot_task_switch_global_progression_on_ax: DMS #35749D, parity #3B7D23).
var (
	switchFirstColor  = color.RGBA{R: 0x35, G: 0x74, B: 0x9D, A: 0xff}
	switchSecondColor = color.RGBA{R: 0x3B, G: 0x7D, B: 0x23, A: 0xff}
)

// SwitchRun reads a task-switching run's per-epoch record: the N trained
// and the task trained each epoch.
func SwitchRun(d *rundir.Dir) ([]analysis.SwitchEpoch, error) {
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil {
		return nil, err
	}
	if len(st) == 0 {
		return nil, fmt.Errorf("run %s has no finished epoch", d.Path)
	}
	out := make([]analysis.SwitchEpoch, len(st))
	for i, s := range st {
		if s.Active == "" {
			return nil, fmt.Errorf("run %s epoch %d records no active task: not a task-switching run", d.Path, s.Epoch)
		}
		out[i] = analysis.SwitchEpoch{N: float64(s.N), Task: s.Active}
	}
	return out, nil
}

// SwitchGroups reads every run of switching cohorts.
func SwitchGroups(cs []*Cohort) ([]analysis.SwitchGroup, error) {
	out := make([]analysis.SwitchGroup, len(cs))
	for i, c := range cs {
		out[i].Name = c.Label
		for _, d := range c.Dirs {
			r, err := SwitchRun(d)
			if err != nil {
				return nil, err
			}
			out[i].Runs = append(out[i].Runs, r)
		}
	}
	return out, nil
}

// switchTasks are the tasks of the switching plan, in plan order.
func switchTasks(cs []*Cohort) []string {
	if len(cs) > 0 && len(cs[0].Task.HeadNames) > 0 {
		return cs[0].Task.HeadNames
	}
	return []string{"dms", "parity"}
}

// SwitchTable computes the authors' switching metrics of cohorts, clipped at
// analysis.SwitchClip (650 epochs).
func SwitchTable(cs []*Cohort) (analysis.SwitchTableResult, error) {
	gs, err := SwitchGroups(cs)
	if err != nil {
		return analysis.SwitchTableResult{}, err
	}
	return analysis.SwitchTable(gs, switchTasks(cs), analysis.SwitchClip), nil
}

// SwitchMarkdown renders a switching table: the active-line metrics, the
// epochs to each switch, and the adaptation after each switch.
func SwitchMarkdown(title string, t analysis.SwitchTableResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — active line cut at %d epochs; half = first epoch with N ≥ %.1f (global max %.0f); adaptation = epochs from a switch to the next N, over the post-switch phases that reach it (censored: cut by the clip first).\n\n",
		title, t.Clip, t.HalfThreshold, t.GlobalMax)
	nSw := 0
	for _, r := range t.Rows {
		nSw = max(nSw, len(r.EpochsToSwitch))
	}
	b.WriteString("| group | n | mean N | AUC | final N | half |")
	for k := 1; k <= nSw; k++ {
		fmt.Fprintf(&b, " epochs to switch %d |", k)
	}
	b.WriteString(" adaptation (epochs) | phases reached / total | censored | N gained |\n|---|---|---|---|---|---|")
	for range nSw {
		b.WriteString("---|")
	}
	b.WriteString("---|---|---|---|\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |", r.Name, len(r.Runs), pm(r.ActiveMeanN, 2), pm(r.ActiveAUC, 0), pm(r.ActiveFinalN, 2), pmOf(r.ActiveHalf, len(r.Runs), 0))
		for k := range nSw {
			s := analysis.Summary{Mean: math.NaN()}
			if k < len(r.EpochsToSwitch) {
				s = r.EpochsToSwitch[k]
			}
			fmt.Fprintf(&b, " %s |", pmOf(s, len(r.Runs), 0))
		}
		fmt.Fprintf(&b, " %s | %s / %s | %s | %s |\n", pmOf(r.AdaptationSpeed, len(r.Runs), 1), pm(r.Successful, 2), pm(r.Total, 2), pm(r.Censored, 2), pm(r.Gain, 2))
	}
	b.WriteString("\n")
	return b.String()
}

// pmOf is pm with the number of runs that have the value when not all do.
func pmOf(s analysis.Summary, of, digits int) string {
	if s.N == of || s.N == 0 {
		return pm(s, digits)
	}
	return fmt.Sprintf("%s (%d of %d)", pm(s, digits), s.N, of)
}

// SwitchGlobalPanel is the authors' single-axis switching panel (fig4c:
// _plot_task_switch_global_progression_on_ax): per group the mean ± SEM
// over runs of the active task's N per epoch as steps, dotted where most
// runs train the second task, and a ribbon per group with the fraction of
// runs on the second task; x from 1 to xlim (650 in the paper), y from 2.
func SwitchGlobalPanel(title string, cs []*Cohort, xlim int) (*plot.Plot, error) {
	gs, err := SwitchGroups(cs)
	if err != nil {
		return nil, err
	}
	tasks := switchTasks(cs)
	second := tasks[len(tasks)-1]
	var series []plots.StepSeries
	var ribbons []plots.Ribbon
	longest := 0
	for i, g := range gs {
		ap := analysis.ActiveProgressionOf(g.Runs, second)
		x := make([]float64, len(ap.Mean))
		dotted := make([]bool, len(ap.Mean))
		for t := range x {
			x[t] = float64(t + 1)
			dotted[t] = ap.FracSecond[t] >= 0.5
		}
		longest = max(longest, len(x))
		col := cs[i].Group.Colour()
		series = append(series, plots.StepSeries{Label: fmt.Sprintf("%s (n=%d)", g.Name, len(g.Runs)), X: x, Mean: ap.Mean, SEM: ap.SEM, Dotted: dotted, Color: col})
		ribbons = append(ribbons, plots.Ribbon{Label: g.Name, Frac: ap.FracSecond, Color: col})
	}
	xmax := float64(min(xlim, longest) + 1)
	p := plots.StepCurves(title, "global epoch", "N of the active task", series, plots.StepOptions{
		XMin: 1, XMax: xmax, YMin: 2, Ribbons: ribbons,
		RibbonColors: [2]color.Color{switchFirstColor, switchSecondColor},
		RibbonKeys:   [2]string{displayTask(tasks[0]) + " phase (solid)", displayTask(second) + " phase (dotted)"},
	})
	return p, nil
}

// SwitchTaskPanels are the authors' per-task switching panels (fig3:
// _plot_task_switch_N_only_on_axes): one panel per task with each group's
// mean ± SEM N of that task per epoch (the N it trains, or resumes at while
// inactive), dashed vertical lines where each group's first run switches
// into the task, and grey dashed lines at N = 5, 15 (first task) and 10
// (second); x from 1 to xlim.
func SwitchTaskPanels(cs []*Cohort, xlim int) ([]*plot.Plot, error) {
	gs, err := SwitchGroups(cs)
	if err != nil {
		return nil, err
	}
	tasks := switchTasks(cs)
	var out []*plot.Plot
	for ti, task := range tasks {
		var series []plots.StepSeries
		var vl []plots.VLine
		longest := 0
		for i, g := range gs {
			col := cs[i].Group.Colour()
			var lines [][]float64
			start := 2.0
			if len(cs[i].Dirs) > 0 {
				var c trainer.Config
				if err := cs[i].Dirs[0].ReadConfig(&c); err == nil && c.StartN > 0 {
					start = float64(c.StartN)
				}
			}
			for _, r := range g.Runs {
				lines = append(lines, analysis.TaskLineDrawn(r, task, start))
			}
			mean, sem := nanMeanSEM(lines)
			x := make([]float64, len(mean))
			for t := range x {
				x[t] = float64(t + 1)
			}
			longest = max(longest, len(x))
			series = append(series, plots.StepSeries{Label: fmt.Sprintf("%s (n=%d)", g.Name, len(g.Runs)), X: x, Mean: mean, SEM: sem, Color: col})
			if len(g.Runs) > 0 {
				for _, e := range analysis.SwitchEpochsInto(g.Runs[0], task) {
					vl = append(vl, plots.VLine{X: float64(e), Color: col})
				}
			}
		}
		h := []float64{10}
		if ti == 0 {
			h = []float64{5, 15}
		}
		p := plots.StepCurves("Task switching: "+displayTask(task), "global epoch", "N", series, plots.StepOptions{
			XMin: 1, XMax: float64(min(xlim, longest) + 1), YMin: 2, VLines: vl, HLines: h,
		})
		out = append(out, p)
	}
	return out, nil
}

// nanMeanSEM averages lines of possibly unequal length epoch by epoch over
// the runs recorded there (the authors pad shorter runs with NaN).
func nanMeanSEM(lines [][]float64) (mean, sem []float64) {
	longest := 0
	for _, l := range lines {
		longest = max(longest, len(l))
	}
	mean, sem = make([]float64, longest), make([]float64, longest)
	for t := range longest {
		var col []float64
		for _, l := range lines {
			if t < len(l) && !math.IsNaN(l[t]) {
				col = append(col, l[t])
			}
		}
		s := analysis.Summarise(col)
		mean[t], sem[t] = s.Mean, s.SEM
	}
	return mean, sem
}

// displayTask is a task's name in titles (figdata.DisplayTask).
func displayTask(t string) string { return figdata.DisplayTask(t) }
