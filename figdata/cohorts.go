package figdata

import (
	"fmt"
	"image/color"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// ScalingGCs are the granule-layer widths of Fig 2b's CB-RNNs, each paired
// with a parameter-matched RNN (experiments.ScalingGroups).
var ScalingGCs = []int{64, 128, 256, 512}

// Cohorts are the runs a figure was drawn from, as `cbrnn figures` loaded
// them: Needs[need][task][group], in the order of the figure's needs
// (experiments.FigureSpec.Needs). Every figure saves them (CohortsID), so
// a notebook shows a figure's runs, curves and metrics without opening
// the runs through experiments (and GoMLX).
type Cohorts struct {
	Needs [][][]Cohort
}

// CohortsID is the figure data id of figure id's cohorts.
func CohortsID(id string) string { return id + ".cohorts" }

// Cohort is one group's runs on one task (experiments.Cohort, without the
// task's and the model's Go values).
type Cohort struct {
	Task string // the task's name: dms, parity, …
	// Heads are the task's output heads (multitask, switch), in order.
	Heads []string
	Label string // the cohort's legend label: CB-RNN, RNN-202, …
	// GroupLabel is its group's label, which names the paper's rows
	// (PaperTable4): CB-RNN, RNN, Frozen-core, ….
	GroupLabel string
	Model      string // the network, described (gomlx_models' Config.Describe)
	// ModelName is the registry's name of the model: cb-rnn, rnn, cb-gru, ….
	ModelName string
	Regime    string // the training regime ("" = standard)
	// Curriculum is the group's curriculum ("" = the standard one).
	Curriculum string
	Color      color.RGBA
	Params     int      // trainable parameters of one network
	Budget     int      // epoch budget
	Dirs       []string // the run directories
	// Curves are the N trained at each epoch, per run.
	Curves [][]float64
}

// Series is the cohort's mean ± SEM learning curve, padded to the budget
// (METHODS §4), labelled with its number of runs.
func (c Cohort) Series() plots.Series {
	x, mean, sem := EpochCurve(c.Curves, c.Budget)
	return plots.Series{Label: c.CurveLabel(), X: x, Mean: mean, SEM: sem, Color: c.Color}
}

// StepSeries is Series drawn as steps (the multitask panels).
func (c Cohort) StepSeries() plots.StepSeries {
	x, mean, sem := EpochCurve(c.Curves, c.Budget)
	return plots.StepSeries{Label: c.CurveLabel(), X: x, Mean: mean, SEM: sem, Color: c.Color}
}

// CurveLabel is the legend label: the group and its number of runs.
func (c Cohort) CurveLabel() string { return fmt.Sprintf("%s (n=%d)", c.Label, len(c.Curves)) }

// AnalysisGroups are cohorts as analysis groups (their curves, named by
// label), for analysis.GroupTable.
func AnalysisGroups(cs []Cohort) []analysis.Group {
	out := make([]analysis.Group, len(cs))
	for i, c := range cs {
		out[i] = analysis.Group{Name: c.Label, Curves: c.Curves}
	}
	return out
}

// PadAll extends curves of runs that stopped early (max N reached, or a
// fixed-N run solved) with their last N up to the budget, as METHODS §4's
// metrics do.
func PadAll(curves [][]float64, budget int) [][]float64 {
	out := make([][]float64, len(curves))
	for i, c := range curves {
		out[i] = analysis.PadTo(c, budget)
	}
	return out
}

// EpochCurve is the mean ± SEM over runs of per-epoch curves padded to the
// budget, with x the epochs counted from 1.
func EpochCurve(curves [][]float64, budget int) (x, mean, sem []float64) {
	mean, sem = analysis.MeanSEMCurve(PadAll(curves, budget))
	x = make([]float64, len(mean))
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x, mean, sem
}

// IdenticalCurves: two cohorts' runs trained the same N every epoch up to
// their budgets (run by run), so a figure draws them as one line.
func IdenticalCurves(a, b Cohort) bool {
	if len(a.Curves) != len(b.Curves) || len(a.Curves) == 0 {
		return false
	}
	for i := range a.Curves {
		x, y := analysis.PadTo(a.Curves[i], a.Budget), analysis.PadTo(b.Curves[i], b.Budget)
		if len(x) != len(y) {
			return false
		}
		for j := range x {
			if x[j] != y[j] {
				return false
			}
		}
	}
	return true
}

// DrawnOnce merges cohorts with identical curves (IdenticalCurves) into the
// first, labelled "A = B", as the figures' curve panels draw them.
func DrawnOnce(cs []Cohort) []Cohort {
	var out []Cohort
	dropped := map[int]bool{}
	for i, c := range cs {
		if dropped[i] {
			continue
		}
		for j := i + 1; j < len(cs); j++ {
			if !dropped[j] && IdenticalCurves(cs[i], cs[j]) {
				c.Label += " = " + cs[j].Label
				dropped[j] = true
			}
		}
		out = append(out, c)
	}
	return out
}
