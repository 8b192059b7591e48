package experiments

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// Task switching as the authors analyse and draw it (paper/METHODS §4.2;
// their analysis/learning_metrics.py: analyse_switch_groups and
// analysis/multitask_switching_plotting_utils.py).

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

// SwitchingData is switching cohorts as figure data (figdata.Switching):
// each group's runs epoch by epoch, its colour and start N, and the
// switching metrics (SwitchTable), which fig3 and fig4 draw from and save
// for their notebooks.
func SwitchingData(cs []*Cohort) (figdata.Switching, error) {
	gs, err := SwitchGroups(cs)
	if err != nil {
		return figdata.Switching{}, err
	}
	s := figdata.Switching{Tasks: switchTasks(cs)}
	for i, g := range gs {
		sc := figdata.SwitchCohort{Label: g.Name, Color: rgbaOf(cs[i].Group.Colour()), Runs: g.Runs}
		if len(cs[i].Dirs) > 0 {
			var c trainer.Config
			if err := cs[i].Dirs[0].ReadConfig(&c); err == nil {
				sc.StartN, sc.SwitchEvery = c.StartN, c.SwitchEvery
			}
		}
		s.Groups = append(s.Groups, sc)
	}
	s.Table = analysis.SwitchTable(gs, s.Tasks, analysis.SwitchClip)
	return s, nil
}

// rgbaOf is a colour as 8-bit RGBA (what figure data stores).
func rgbaOf(c color.Color) color.RGBA {
	if v, ok := c.(color.RGBA); ok {
		return v
	}
	r, g, b, a := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}

// SwitchGlobalPanel is the authors' single-axis switching panel (fig4c,
// figdata.Switching.GlobalPanel) of cohorts.
func SwitchGlobalPanel(title string, cs []*Cohort, xlim int) (*plot.Plot, error) {
	s, err := SwitchingData(cs)
	if err != nil {
		return nil, err
	}
	return s.GlobalPanel(title, xlim), nil
}

// SwitchTaskPanels are the authors' per-task switching panels (fig3,
// figdata.Switching.TaskPanels) of cohorts.
func SwitchTaskPanels(cs []*Cohort, xlim int) ([]*plot.Plot, error) {
	s, err := SwitchingData(cs)
	if err != nil {
		return nil, err
	}
	return s.TaskPanels(xlim), nil
}

// displayTask is a task's name in titles (figdata.DisplayTask).
func displayTask(t string) string { return figdata.DisplayTask(t) }
