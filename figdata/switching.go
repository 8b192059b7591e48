package figdata

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// Task switching as the authors draw it (paper/METHODS §4.2; their
// analysis/multitask_switching_plotting_utils.py), from the runs' per-epoch
// records as `cbrnn figures` read them, so that fig3, fig4 and their
// notebooks draw the same panels without opening the runs.

// Phase colours of the authors' switching ribbon
// (_plot_task_switch_global_progression_on_ax: DMS #35749D, parity #3B7D23).
var (
	switchFirstColor  = color.RGBA{R: 0x35, G: 0x74, B: 0x9D, A: 0xff}
	switchSecondColor = color.RGBA{R: 0x3B, G: 0x7D, B: 0x23, A: 0xff}
)

// Switching is one figure's task-switching cohorts: each group's runs, epoch
// by epoch, and the switching metrics computed from them.
type Switching struct {
	Tasks  []string // the tasks of the switching plan, in plan order
	Groups []SwitchCohort
	// Table is the authors' switching metrics of the groups, cut at
	// analysis.SwitchClip (experiments.SwitchTable).
	Table analysis.SwitchTableResult
}

// SwitchCohort is one group's task-switching runs.
type SwitchCohort struct {
	Label  string
	Color  color.RGBA
	StartN int // the N a task starts at (0: 2)
	// SwitchEvery is the trainer's switch period (epochs): a switch is
	// possible at its multiples.
	SwitchEvery int
	Runs        [][]analysis.SwitchEpoch // per run, per epoch: the N and the task trained
}

// GlobalPanel is the authors' single-axis switching panel (fig4c:
// _plot_task_switch_global_progression_on_ax): per group the mean ± SEM
// over runs of the active task's N per epoch as steps, dotted where most
// runs train the second task, and a ribbon per group with the fraction of
// runs on the second task; x from 1 to xlim (650 in the paper), y from 2.
func (s Switching) GlobalPanel(title string, xlim int) *plot.Plot {
	second := s.Tasks[len(s.Tasks)-1]
	var series []plots.StepSeries
	var ribbons []plots.Ribbon
	longest := 0
	for _, g := range s.Groups {
		ap := analysis.ActiveProgressionOf(g.Runs, second)
		x := make([]float64, len(ap.Mean))
		dotted := make([]bool, len(ap.Mean))
		for t := range x {
			x[t] = float64(t + 1)
			dotted[t] = ap.FracSecond[t] >= 0.5
		}
		longest = max(longest, len(x))
		series = append(series, plots.StepSeries{Label: fmt.Sprintf("%s (n=%d)", g.Label, len(g.Runs)), X: x, Mean: ap.Mean, SEM: ap.SEM, Dotted: dotted, Color: g.Color})
		ribbons = append(ribbons, plots.Ribbon{Label: g.Label, Frac: ap.FracSecond, Color: g.Color})
	}
	xmax := float64(min(xlim, longest) + 1)
	return plots.StepCurves(title, "global epoch", "N of the active task", series, plots.StepOptions{
		XMin: 1, XMax: xmax, YMin: 2, Ribbons: ribbons,
		RibbonColors: [2]color.Color{switchFirstColor, switchSecondColor},
		RibbonKeys:   [2]string{DisplayTask(s.Tasks[0]) + " phase (solid)", DisplayTask(second) + " phase (dotted)"},
	})
}

// TaskPanels are the authors' per-task switching panels (fig3:
// _plot_task_switch_N_only_on_axes): one panel per task with each group's
// mean ± SEM N of that task per epoch (the N it trains, or resumes at while
// inactive), dashed vertical lines where each group's first run switches
// into the task, and grey dashed lines at N = 5, 15 (first task) and 10
// (second); x from 1 to xlim.
func (s Switching) TaskPanels(xlim int) []*plot.Plot {
	var out []*plot.Plot
	for ti, task := range s.Tasks {
		var series []plots.StepSeries
		var vl []plots.VLine
		longest := 0
		for _, g := range s.Groups {
			start := 2.0
			if g.StartN > 0 {
				start = float64(g.StartN)
			}
			var lines [][]float64
			for _, r := range g.Runs {
				lines = append(lines, analysis.TaskLineDrawn(r, task, start))
			}
			mean, sem := nanMeanSEM(lines)
			x := make([]float64, len(mean))
			for t := range x {
				x[t] = float64(t + 1)
			}
			longest = max(longest, len(x))
			series = append(series, plots.StepSeries{Label: fmt.Sprintf("%s (n=%d)", g.Label, len(g.Runs)), X: x, Mean: mean, SEM: sem, Color: g.Color})
			if len(g.Runs) > 0 {
				for _, e := range analysis.SwitchEpochsInto(g.Runs[0], task) {
					vl = append(vl, plots.VLine{X: float64(e), Color: g.Color})
				}
			}
		}
		h := []float64{10}
		if ti == 0 {
			h = []float64{5, 15}
		}
		out = append(out, plots.StepCurves("Task switching: "+DisplayTask(task), "global epoch", "N", series, plots.StepOptions{
			XMin: 1, XMax: float64(min(xlim, longest) + 1), YMin: 2, VLines: vl, HLines: h,
		}))
	}
	return out
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
