package figdata

import (
	"image/color"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// MinMechanismN and MaxMechanismN bound the DMS Ns of Fig 6's memory
// propagation (the authors' run_dms_memory_dynamics: NS = range(5, 31)).
const (
	MinMechanismN = 5
	MaxMechanismN = 30
)

// DMSPropagation is the memory propagation of one network at one N
// (METHODS §4.9): Q = the mean over the delay transitions t_rel = 0…N−3 of
// q = m_{t+1}ᵀ J m_t averaged over the evaluation trials, for the full
// Jacobian, the CB-detached one, and their difference (the CB's
// contribution; 0 without a CB). Full, Det and CB hold one value per
// transition.
type DMSPropagation struct {
	N                   int
	QFull, QDet, QCB    float64
	Full, Det, CB       []float64 // per delay transition
	DirTrials, EvTrials int
}

// ParitySwap is the parity CB-encoding result of one network at one N
// (METHODS §4.10): the mean normalised correct-transition score of one step
// taken with the network's own CB term ("Correct"), none ("No CB"), or one
// borrowed from a transition of another condition with the same required
// next parity ("Same") or the other one ("Opposite"); and of the swaps
// flipping one of c, i, o (G1–G3, computed as the authors do, not drawn).
type ParitySwap struct {
	N                              int
	Correct, NoCB, Same, Opposite  float64
	WrongOut, WrongIn, WrongParity float64
	HalfSep                        float64
	Transitions, Evaluated         int
}

// ParitySwapConditions names the drawn conditions in the authors' order.
var ParitySwapConditions = []string{"Correct", "No CB", "Same", "Opposite"}

// Values returns the drawn conditions in ParitySwapConditions order.
func (p ParitySwap) Values() []float64 { return []float64{p.Correct, p.NoCB, p.Same, p.Opposite} }

// MechanismStudy is Fig 6's data: its measures per network (k) and N (j),
// as `cbrnn figures` computed them (experiments.Env.MechanismStudyOf) —
// what the fig6 notebook shows.
type MechanismStudy struct {
	// DMS: the Ns (every checkpointed N, MinMechanismN ≤ N ≤
	// MaxMechanismN, that at least two networks of the CB-RNN or of the
	// baseline group reached: the trend over N as far as the budget
	// goes), the CB-RNN propagation and the baseline's; a network that did
	// not reach an N has NaN there.
	DMSNs       []int
	DMSNets     []string
	DMS         [][]DMSPropagation
	DMSBaseNets []string
	DMSBase     [][]DMSPropagation
	// Parity: the Ns every parity run has, and the CB-RNN swaps.
	ParityNs   []int
	ParityNets []string
	Parity     [][]ParitySwap
	BaseLabel  string
	// DMSBatches and ParityBatches are the fixed batches per N the
	// measures were computed on.
	DMSBatches, ParityBatches int
}

// Colours of Fig 6 (the authors' mechanism_plots.py).
var (
	Fig6Conditions = []color.Color{color.Black, color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff},
		color.RGBA{R: 0x75, G: 0x6B, B: 0xB1, A: 0xff}, color.RGBA{R: 0xC5, G: 0x1B, B: 0x7D, A: 0xff}}
	ColorDetached = color.RGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff}
)

// Ints converts Ns to an x axis.
func Ints(ns []int) []float64 {
	out := make([]float64, len(ns))
	for i, n := range ns {
		out[i] = float64(n)
	}
	return out
}

// NAxis puts whole-number ticks on an x axis of N.
func NAxis(p *plot.Plot) *plot.Plot {
	p.X.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

// QMatrix extracts one Q per network and N.
func QMatrix(rows [][]DMSPropagation, f func(DMSPropagation) float64) [][]float64 {
	out := make([][]float64, len(rows))
	for k, row := range rows {
		for _, r := range row {
			out[k] = append(out[k], f(r))
		}
	}
	return out
}

// ParityByCondition is the parity scores as [condition][network][N], in
// ParitySwapConditions order.
func (s MechanismStudy) ParityByCondition() [][][]float64 {
	out := make([][][]float64, len(ParitySwapConditions))
	for ci := range out {
		for _, row := range s.Parity {
			var v []float64
			for _, r := range row {
				v = append(v, r.Values()[ci])
			}
			out[ci] = append(out[ci], v)
		}
	}
	return out
}

// ParitySummary is, per condition, the mean ± SD over networks of each
// network's mean score over N.
func (s MechanismStudy) ParitySummary() []analysis.Summary {
	var out []analysis.Summary
	for _, perNet := range s.ParityByCondition() {
		out = append(out, analysis.SummariseFinite(PerNet(perNet)))
	}
	return out
}

// Rows are Fig 6's panels as the authors draw them
// (analysis/mechanism_plots.py: plot_dms_memory_dynamics for a–b,
// plot_parity_causal_bar and plot_parity_causal_by_N for c–d): mean ± SD
// over networks with faint per-network lines. The figure and its notebook
// draw them alike.
func (s MechanismStudy) Rows() [][]*plot.Plot {
	xs := Ints(s.DMSNs)
	full := QMatrix(s.DMS, func(r DMSPropagation) float64 { return r.QFull })
	det := QMatrix(s.DMS, func(r DMSPropagation) float64 { return r.QDet })
	cbq := QMatrix(s.DMS, func(r DMSPropagation) float64 { return r.QCB })
	base := QMatrix(s.DMSBase, func(r DMSPropagation) float64 { return r.QFull })
	pa := NAxis(plots.SeedLines("DMS memory propagation", "N", "Q (mean of m(t+1)·J·m(t))", []plots.SeedGroup{
		{Label: s.BaseLabel + " (RNN-only)", Color: plots.ColorRNN, X: xs, PerSeed: base},
		{Label: "CB-RNN (full)", Color: plots.ColorCBRNN, X: xs, PerSeed: full},
		{Label: "CB-RNN (CB detached)", Color: ColorDetached, Dashed: true, X: xs, PerSeed: det}}, 1))
	pb := NAxis(plots.SeedLines("DMS: CB contribution", "N", "Q_CB", []plots.SeedGroup{
		{Label: "CB contribution", Color: plots.ColorCBRNN, X: xs, PerSeed: cbq}}, 0))

	px := Ints(s.ParityNs)
	perCond := s.ParityByCondition()
	var means, sds []float64
	var sd []plots.SeedGroup
	for ci, sm := range s.ParitySummary() {
		means, sds = append(means, zeroNaN(sm.Mean)), append(sds, zeroNaN(sm.SD))
		sd = append(sd, plots.SeedGroup{Label: ParitySwapConditions[ci], Color: Fig6Conditions[ci], X: px, PerSeed: perCond[ci]})
	}
	pc := plots.Bars("Parity: one step with the CB term swapped", "normalised score", ParitySwapConditions,
		[]plots.BarSeries{{Values: means, Errs: sds}}, Fig6Conditions...)
	pc.Y.Min, pc.Y.Max = -1, 1
	pdd := NAxis(plots.SeedLines("Parity: swaps by N", "N", "normalised score", sd, 0))
	return [][]*plot.Plot{{pa, pb}, {pc, pdd}}
}
