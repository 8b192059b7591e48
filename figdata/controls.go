package figdata

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// What the reviewers' controls (fixedn, lrsweep, oddball) compute besides
// their cohorts, saved by their draw functions (experiments/reviewer.go)
// and read back by their notebooks, with the panels both draw.

// MetricHeader heads the cells of MetricCells.
var MetricHeader = []string{"group", "n", "max N", "final N", "mean N", "half (epochs)", "AUC"}

// MetricCells is one group's row of the learning-metric table (METHODS §4),
// as the figures' tables and the notebooks' show it: mean ± SEM of max,
// final and mean N, the epochs to half and the AUC.
func MetricCells(r analysis.GroupRow) []string {
	return []string{r.Name, fmt.Sprint(r.MaxN.N), pm(r.MaxN, 2), pm(r.FinalN, 2), pm(r.MeanN, 2), half(r), pm(r.AUC, 0)}
}

// pm formats mean ± SEM ("–" for no value, the mean alone for one).
func pm(s analysis.Summary, digits int) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "–"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.*f", digits, s.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, s.Mean, digits, s.SEM)
}

// half is the epochs-to-half cell: mean ± SEM over the runs that reach the
// threshold, and how many do not.
func half(r analysis.GroupRow) string {
	if r.HalfNotReached == 0 {
		return pm(r.Half, 0)
	}
	return fmt.Sprintf("%s (%d of %d never)", pm(r.Half, 0), r.HalfNotReached, r.MaxN.N)
}

// zeroNaN draws an undefined error bar (one run) as none.
func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// TaskShape is what a task plugin declares of its trials (the shape of
// task.Description): its name, inputs, heads and range of N.
type TaskShape struct {
	Name       string
	Inputs     int
	Heads      []int
	MinN, MaxN int
}

// Oddball is what the oddball figure saves besides its cohorts: the task
// as its plugin declares it.
type Oddball struct {
	Task TaskShape
}

// FixedN is what the fixed-N control computed: per group (its cohorts'
// order), each run's epoch of solving N and its test accuracy per epoch.
type FixedN struct {
	N      int // the one N every run trains at
	Groups []FixedNGroup
}

// FixedNGroup is one group's fixed-N runs.
type FixedNGroup struct {
	Label  string
	Color  color.RGBA
	Budget int
	// Solved is the epoch (1-based) each run first reached the threshold,
	// 0 for a run that did not within the budget.
	Solved []int
	// Acc is each run's test accuracy (%) per epoch, up to its stop.
	Acc [][]float64
}

// EpochsToSolve is each run's epochs to solve its N, a run that did not
// solve it within the budget counted at budget + 1 (a lower bound), and
// how many solved.
func (g FixedNGroup) EpochsToSolve() (epochs []float64, solved int) {
	for _, s := range g.Solved {
		if s > 0 {
			epochs = append(epochs, float64(s))
			solved++
		} else {
			epochs = append(epochs, float64(g.Budget+1))
		}
	}
	return epochs, solved
}

// Panels are the fixed-N figure: (a) test accuracy per epoch, mean ± SEM
// over runs, a solved run held at its last accuracy; (b) epochs to solve.
func (f FixedN) Panels() []*plot.Plot {
	longest := 1
	for _, g := range f.Groups {
		for _, a := range g.Acc {
			longest = max(longest, len(a))
		}
	}
	var acc []plots.Series
	var bars []plots.BarSeries
	for _, g := range f.Groups {
		x, mean, sem := EpochCurve(g.Acc, longest)
		acc = append(acc, plots.Series{Label: fmt.Sprintf("%s (n=%d)", g.Label, len(g.Acc)), X: x, Mean: mean, SEM: sem, Color: g.Color})
		ep, _ := g.EpochsToSolve()
		s := analysis.Summarise(ep)
		bars = append(bars, plots.BarSeries{Label: g.Label, Values: []float64{s.Mean}, Errs: []float64{zeroNaN(s.SEM)}, Color: g.Color})
	}
	return []*plot.Plot{
		plots.Curves(fmt.Sprintf("(a) DMS at N = %d: test accuracy", f.N), "epoch", "test accuracy (%)", acc),
		plots.Bars(fmt.Sprintf("(b) epochs to solve N = %d", f.N), "epochs (unsolved: budget + 1)", []string{"DMS"}, bars),
	}
}

// LRSweep is what the learning-rate sweep computed: per task, both
// architectures' learning metrics at every rate over the sweep's budget.
type LRSweep struct {
	Budget  int       // the sweep's epochs (Profile.EpochsSweep)
	LRs     []float64 // the rates, in the order of the points
	PaperLR float64   // the paper's rate, whose points are fig2a's runs
	Tasks   []LRSweepTask
}

// LRSweepTask is one task's sweep: Points[0] the CB-RNN's, Points[1] the
// RNN's, in the order of the rates; Best the index of each one's largest
// mean AUC.
type LRSweepTask struct {
	Task   string
	Points [2][]LRPoint
	Best   [2]int
}

// LRPoint is one architecture at one learning rate.
type LRPoint struct {
	LR    float64
	Label string // the cohort's: "CB-RNN, lr 0.003"
	Color color.RGBA
	Row   analysis.GroupRow
}

// Panels are the task's row of the figure: AUC and max N against log10 of
// the rate, mean ± SEM over networks.
func (t LRSweepTask) Panels() []*plot.Plot {
	var auc, maxN []plots.Series
	for arch := range 2 {
		pts := t.Points[arch]
		sa := plots.Series{Label: strings.SplitN(pts[0].Label, ",", 2)[0], Color: pts[0].Color} // "CB-RNN, lr 0.003" → "CB-RNN"
		sm := sa
		for _, pt := range pts {
			x := math.Log10(pt.LR)
			sa.X, sa.Mean, sa.SEM = append(sa.X, x), append(sa.Mean, pt.Row.AUC.Mean), append(sa.SEM, zeroNaN(pt.Row.AUC.SEM))
			sm.X, sm.Mean, sm.SEM = append(sm.X, x), append(sm.Mean, pt.Row.MaxN.Mean), append(sm.SEM, zeroNaN(pt.Row.MaxN.SEM))
		}
		auc, maxN = append(auc, sa), append(maxN, sm)
	}
	name := DisplayTask(t.Task)
	return []*plot.Plot{
		plots.LinePoints(name+": AUC against lr", "log10 learning rate", "AUC of N over epochs", auc),
		plots.LinePoints(name+": max N against lr", "log10 learning rate", "max N", maxN),
	}
}
