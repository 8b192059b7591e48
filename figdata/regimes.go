package figdata

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/plots"
)

// The regimes the paper does not show (continual, curricula, controls) are
// drawn as rows of mean ± SEM curve panels (Lines). Their draw functions
// build the panels' data, draw it and save it, so that their notebooks
// draw the same figure from the saved data.

// Line is one mean ± SEM curve against the epoch: one group's runs.
type Line struct {
	Label  string
	Curves [][]float64 // per run, per epoch
	Budget int         // epochs the curves are padded to (METHODS §4)
	Color  color.RGBA
	Dashed bool
}

// LinePanel is one panel of Lines.
type LinePanel struct {
	Title, YLabel string
	Lines         []Line
	IntegerY      bool // whole-number ticks on y (an N)
}

// Series are the panel's curves: each line's mean ± SEM over its runs,
// padded to its budget (EpochCurve), labelled with its number of runs.
func (p LinePanel) Series() []plots.Series {
	var series []plots.Series
	for _, l := range p.Lines {
		x, mean, sem := EpochCurve(l.Curves, l.Budget)
		series = append(series, plots.Series{Label: fmt.Sprintf("%s (n=%d)", l.Label, len(l.Curves)), X: x, Mean: mean, SEM: sem,
			Color: l.Color, Dashed: l.Dashed})
	}
	return series
}

// Plot draws the panel's Series against the epoch.
func (p LinePanel) Plot() *plot.Plot {
	pl := plots.Curves(p.Title, "epoch", p.YLabel, p.Series())
	if p.IntegerY {
		pl.Y.Tick.Marker = plots.NiceTicks{Integer: true}
	}
	return pl
}

// Lines is a figure of curve panels, W × H inches.
type Lines struct {
	W, H float64
	Rows [][]LinePanel
}

// Plots draws every panel, row by row.
func (l Lines) Plots() [][]*plot.Plot {
	out := make([][]*plot.Plot, len(l.Rows))
	for i, row := range l.Rows {
		for _, p := range row {
			out[i] = append(out[i], p.Plot())
		}
	}
	return out
}

// Continual is the continual figure's data: its panels and the savings of
// every task met twice (METHODS §3.7).
type Continual struct {
	Plan      []string // the tasks of the plan's phases, in order
	PerPhase  int      // epochs per phase
	Threshold float64  // % test accuracy that ends a task's learning
	Figure    Lines
	Savings   []Savings
}

// Savings are one group's savings on one task, one value per run that has
// it: the epochs to the threshold in the task's first and second phase,
// the savings ratio (e₀ − e₁)/e₀, and the mean accuracy over the first L
// epochs of each phase.
type Savings struct {
	Group, Task string
	Runs        int // runs that met the task twice
	E0, E1      []float64
	Ratio       []float64
	Acc0, Acc1  []float64
}

// Curricula is the curricula figure's data: its panels and, per task and
// fixed-schedule group, the per-run measures of the fixed schedule.
type Curricula struct {
	Figure        Lines
	SlidingWindow int // Ns in the sliding curriculum's window
	Fixed         []FixedSchedule
}

// FixedSchedule is one fixed-schedule group on one task, one value per run
// (Passed: per run that passed an N at ≥ 98 %).
type FixedSchedule struct {
	Task, Label string
	Runs        int
	FinalN      []float64
	MeanAcc     []float64 // mean test accuracy over the epochs (%)
	Passed      []float64 // highest N passed at ≥ 98 %
}

// Fig4 is fig4's data beyond its cohorts: the task switching of its four
// groups and the Periodic-core's refresh period on each task.
type Fig4 struct {
	Switching Switching
	Periodic  string         // the Periodic-core's regime (trainer.PeriodicCore)
	Periods   map[string]int // task → k (trainer.PeriodFor)
}
