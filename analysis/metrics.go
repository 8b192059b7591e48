package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// RunMetrics are the learning metrics of one run's per-epoch N curve
// (METHODS §4). MaxN is the largest N attempted (the curve records the N trained
// during each epoch, before any advance), FinalN the N of the last recorded
// epoch, MeanN the mean over epochs and AUC the trapezoid area with dx = 1
// epoch. Epochs is len(curve).
type RunMetrics struct {
	MaxN, FinalN, MeanN, AUC float64
	Epochs                   int
}

// Metrics computes the per-run learning metrics of a curve. An empty curve
// gives all-NaN metrics and Epochs = 0.
//
// AUC = Σ_{i=0}^{E−2} (c_i + c_{i+1})/2, i.e. numpy.trapz(curve, dx=1); a
// single-epoch curve has AUC 0. Curves that stopped early (N = 150 reached
// before the budget) should be padded to the budget first with PadTo, which
// GroupTable does when given a budget.
func Metrics(curve []float64) RunMetrics {
	if len(curve) == 0 {
		nan := math.NaN()
		return RunMetrics{MaxN: nan, FinalN: nan, MeanN: nan, AUC: nan}
	}
	return RunMetrics{
		MaxN:   floats.Max(curve),
		FinalN: curve[len(curve)-1],
		MeanN:  stat.Mean(curve, nil),
		AUC:    Trapezoid(curve),
		Epochs: len(curve),
	}
}

// Trapezoid integrates y over unit spacing (dx = 1) with the trapezoid rule.
// Hand-written: gonum's integrate.Trapezoidal needs an explicit x grid and
// this is a single sum.
func Trapezoid(y []float64) float64 {
	s := 0.0
	for i := 1; i < len(y); i++ {
		s += 0.5 * (y[i-1] + y[i])
	}
	return s
}

// PadTo returns curve extended to length n by repeating its last value (a run
// that stopped early at N = 150 "stays" at its last N), or truncated to n if
// it is longer. n ≤ 0 returns a copy unchanged. An empty curve stays empty.
func PadTo(curve []float64, n int) []float64 {
	if n <= 0 || len(curve) == 0 {
		return append([]float64(nil), curve...)
	}
	out := make([]float64, n)
	m := copy(out, curve)
	for i := m; i < n; i++ {
		out[i] = curve[len(curve)-1]
	}
	return out
}

// EpochsToHalf returns the number of epochs up to and including the first
// one whose N is ≥ globalMax/2 (1-based: a run at the threshold from the
// start gives 1), and whether the run reaches it at all.
//
// globalMax is the largest N over ALL runs of ALL groups being compared
// (GlobalMax), so every group is measured against the same threshold. A run
// that never reaches the threshold returns (0, false) and has no value: the
// authors' analysis (learning_metrics.py, first_epoch_reaching) counts
// epochs from 1 and leaves such a run out of the group's mean (NaN, then
// nanmean), and so does GroupTable.
func EpochsToHalf(curve []float64, globalMax float64) (int, bool) {
	thr := globalMax / 2
	for i, v := range curve {
		if v >= thr {
			return i + 1, true
		}
	}
	return 0, false
}

// HalfThreshold is the N that "half" counts the epochs to, the one rule of
// every table (METHODS §4.1). The authors' rule is half the global max N
// (learning_metrics.py); at their budgets that lies far above the start N.
// Where it does not (½·max ≤ start: a short budget, the sliding
// curriculum starting at N = 4, appC's DMS threshold 2.0 equal to its start
// N 2), every run would "reach half" in its first epoch and the metric
// would measure nothing, so the threshold becomes half the way from the
// start N to the global max, start + ½(max − start). With no run above the
// start N there is no threshold: NaN, and rule says why.
func HalfThreshold(globalMax, startN float64) (thr float64, rule string) {
	switch {
	case math.IsNaN(globalMax):
		return math.NaN(), "no data"
	case math.IsNaN(startN) || globalMax/2 > startN:
		return globalMax / 2, "half the global max N (the authors' rule)"
	case globalMax > startN:
		return startN + (globalMax-startN)/2, fmt.Sprintf("half the way from the start N %g to the global max %g (half the max, %g, is not above the start N)", startN, globalMax, globalMax/2)
	}
	return math.NaN(), fmt.Sprintf("no run got beyond the start N %g, so no epoch count to half means anything", startN)
}

// EpochsToReach is the 1-based epoch of the first N ≥ thr, and whether the
// curve gets there (never for a NaN threshold).
func EpochsToReach(curve []float64, thr float64) (int, bool) {
	for i, v := range curve {
		if v >= thr {
			return i + 1, true
		}
	}
	return 0, false
}

// StartN is the smallest first-epoch N over all curves of all groups (the
// curriculum's start N); NaN when there is no data.
func StartN(groups []Group) float64 {
	m := math.NaN()
	for _, g := range groups {
		for _, c := range g.Curves {
			if len(c) > 0 && (math.IsNaN(m) || c[0] < m) {
				m = c[0]
			}
		}
	}
	return m
}

// GlobalMax is the largest value over all curves of all groups (the
// reference for EpochsToHalf). It is NaN when there is no data.
func GlobalMax(groups []Group) float64 {
	m := math.NaN()
	for _, g := range groups {
		for _, c := range g.Curves {
			for _, v := range c {
				if math.IsNaN(m) || v > m {
					m = v
				}
			}
		}
	}
	return m
}

// Summary is mean, sample standard deviation (ddof = 1) and standard error of
// the mean (SD/√N) of N values.
type Summary struct {
	Mean, SD, SEM float64
	N             int
}

// Summarise returns the mean, SD (ddof = 1) and SEM of values. With no values
// every field is NaN (N = 0); with one value SD and SEM are 0 (undefined, but
// reported as 0 so tables and error bars stay drawable).
func Summarise(values []float64) Summary {
	switch len(values) {
	case 0:
		nan := math.NaN()
		return Summary{Mean: nan, SD: nan, SEM: nan}
	case 1:
		return Summary{Mean: values[0], N: 1}
	}
	mean, sd := stat.MeanStdDev(values, nil) // unbiased: divides by N−1
	return Summary{Mean: mean, SD: sd, SEM: sd / math.Sqrt(float64(len(values))), N: len(values)}
}

// Group is a named set of runs (one per-epoch N curve per run).
type Group struct {
	Name   string
	Curves [][]float64
}

// GroupRow holds per-group summaries of the learning metrics (one row of
// Table 4). Half is epochs-to-half-global-max over the runs that reach it;
// the others are left out of it and counted in HalfNotReached.
type GroupRow struct {
	Name                           string
	MaxN, Half, AUC, FinalN, MeanN Summary
	HalfNotReached                 int
	// Values are the per-run numbers the summaries are of, in run order
	// (Half: only the runs that reach the threshold), for the tests of the
	// claims table.
	Values RunValues
}

// RunValues are per-run learning metrics.
type RunValues struct {
	MaxN, Half, AUC, FinalN, MeanN []float64
}

// GroupTableResult is the output of GroupTable: the common reference and one
// row per group, in input order.
type GroupTableResult struct {
	// Budget is the length every curve was padded/truncated to (0 = as is).
	Budget int
	// GlobalMax is the max N over every run of every group, StartN the
	// smallest first-epoch N; HalfThreshold is HalfThreshold(GlobalMax,
	// StartN) and HalfRule says which rule gave it.
	GlobalMax, StartN, HalfThreshold float64
	HalfRule                         string
	Rows                             []GroupRow
}

// GroupTable computes the Table-4 metrics for each group. If budget > 0 every
// curve is first padded with its last value (or truncated) to budget epochs
// with PadTo, so that runs which finished early at N = 150 keep contributing
// their final N to AUC and mean N. Empty curves are ignored.
func GroupTable(groups []Group, budget int) GroupTableResult {
	padded := make([]Group, len(groups))
	for i, g := range groups {
		padded[i].Name = g.Name
		for _, c := range g.Curves {
			if len(c) == 0 {
				continue
			}
			padded[i].Curves = append(padded[i].Curves, PadTo(c, budget))
		}
	}
	gmax, start := GlobalMax(padded), StartN(padded)
	thr, rule := HalfThreshold(gmax, start)
	res := GroupTableResult{Budget: budget, GlobalMax: gmax, StartN: start, HalfThreshold: thr, HalfRule: rule}
	for _, g := range padded {
		var maxN, half, auc, fin, mean []float64
		row := GroupRow{Name: g.Name}
		for _, c := range g.Curves {
			m := Metrics(c)
			maxN = append(maxN, m.MaxN)
			auc = append(auc, m.AUC)
			fin = append(fin, m.FinalN)
			mean = append(mean, m.MeanN)
			if e, ok := EpochsToReach(c, thr); ok {
				half = append(half, float64(e))
			} else {
				row.HalfNotReached++
			}
		}
		row.Values = RunValues{MaxN: maxN, Half: half, AUC: auc, FinalN: fin, MeanN: mean}
		row.MaxN, row.Half, row.AUC = Summarise(maxN), Summarise(half), Summarise(auc)
		row.FinalN, row.MeanN = Summarise(fin), Summarise(mean)
		res.Rows = append(res.Rows, row)
	}
	return res
}

// MeanSEMCurve averages curves of possibly unequal length epoch by epoch.
// The output length is the longest curve's; a shorter curve is padded with
// its last value (a run that stopped early at N = 150 stays at its last N).
// sem[i] is SD(ddof=1)/√n over the n non-empty curves (0 when n = 1). Empty
// curves are ignored; with none, both results are nil.
func MeanSEMCurve(curves [][]float64) (mean, sem []float64) {
	longest := 0
	var kept [][]float64
	for _, c := range curves {
		if len(c) == 0 {
			continue
		}
		kept = append(kept, c)
		longest = max(longest, len(c))
	}
	if len(kept) == 0 {
		return nil, nil
	}
	for i := range kept {
		kept[i] = PadTo(kept[i], longest)
	}
	mean = make([]float64, longest)
	sem = make([]float64, longest)
	col := make([]float64, len(kept))
	for t := range longest {
		for i, c := range kept {
			col[i] = c[t]
		}
		s := Summarise(col)
		mean[t], sem[t] = s.Mean, s.SEM
	}
	return mean, sem
}
