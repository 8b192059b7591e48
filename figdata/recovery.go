package figdata

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// Recovery is appendix H's data: per task the readout recovery of its
// CB-RNN runs and, at the lowest shared N, the protocol against its two
// controls, as `cbrnn figures` computed them — what the appH notebook
// shows. LR, Momentum and Nesterov are the retraining's optimiser (the
// paper's, without its clipping).
type Recovery struct {
	Studies      []RecoveryStudy
	Controls     [][]RecoveryControl // [study]: empty where the runs share no N
	LR, Momentum float64
	Nesterov     bool
}

// RecoveryStudy is the readout recovery of a group on one task: per network
// (k) and N (j) of the intersection, the accuracy with the CB, without it,
// and without it after retraining the readout (%).
type RecoveryStudy struct {
	Task                    string
	Ns                      []int
	Nets                    []string
	WithCB, NoCB, Recovered [][]float64
	// The held-out cross-entropy of the CB-removed network before and
	// after the retraining: the objective the retraining lowers.
	NoCBLoss, RecoveredLoss [][]float64
	Steps, EvalBatches, B   int
}

// RecoveryControl is the readout retraining of one group at one N under
// the authors' protocol and two controls that tell a property of the
// protocol from a defect: the same protocol with a ten times smaller step
// (a protocol effect shrinks with the step), and the same protocol applied
// to the intact network (CB kept, whose readout is already trained: any
// change is the protocol's own). Start and End are per network (%); the
// cross-entropy columns are the held-out loss before and after.
type RecoveryControl struct {
	N                              int
	Name                           string
	Start, End, StartLoss, EndLoss []float64
}

// The authors' ablation colour (plot_cb_ablation_two_panel) and "Readout
// Training" green (readout_recovery.py: plot_cb_disabled_readout_recovery).
var (
	ColorAblated = color.RGBA{R: 0xfc, G: 0xac, B: 0xa3, A: 0xff}
	ColorReadout = color.RGBA{R: 0x00, G: 0x80, B: 0x00, A: 0xff}
)

// PM formats mean ± SEM with digits decimals ("–" for no value, the mean
// alone for one), as every table of the figures does.
func PM(s analysis.Summary, digits int) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "–"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.*f", digits, s.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, s.Mean, digits, s.SEM)
}

// Rows is the per-N table of a readout-recovery study: N, accuracy with
// the CB, with it disabled and with the readout retrained (mean ± SEM over
// networks), and the cross-entropy before → after the retraining. The
// figure and its notebook tabulate it alike.
func (s RecoveryStudy) Rows() [][]string {
	with, without, rec := PerN(s.WithCB, len(s.Ns)), PerN(s.NoCB, len(s.Ns)), PerN(s.Recovered, len(s.Ns))
	l0, l1 := PerN(s.NoCBLoss, len(s.Ns)), PerN(s.RecoveredLoss, len(s.Ns))
	rows := make([][]string, len(s.Ns))
	for j, n := range s.Ns {
		rows[j] = []string{fmt.Sprint(n), PM(with[j], 1), PM(without[j], 1), PM(rec[j], 1), fmt.Sprintf("%.3f → %.3f", l0[j].Mean, l1[j].Mean)}
	}
	return rows
}

// RecoveryPanels are appendix H's panels as the authors draw them: per
// task, the accuracy with the CB, with it removed, and removed with the
// readout retrained, against N (mean ± SEM over networks), and the two
// gaps to the intact network. The figure and its notebook draw them alike.
func RecoveryPanels(studies []RecoveryStudy) [][]*plot.Plot {
	var accRow, gapRow []*plot.Plot
	for _, s := range studies {
		name := DisplayTask(s.Task)
		xs := Ints(s.Ns)
		series := func(label string, m [][]float64, col color.Color, dashed bool) plots.Series {
			sum := PerN(m, len(s.Ns))
			sr := plots.Series{Label: label, X: xs, Color: col, Dashed: dashed}
			for _, v := range sum {
				sr.Mean, sr.SEM = append(sr.Mean, v.Mean), append(sr.SEM, zeroNaN(v.SEM))
			}
			return sr
		}
		gap := func(a, b [][]float64) [][]float64 {
			out := make([][]float64, len(a))
			for k := range a {
				for j := range a[k] {
					out[k] = append(out[k], a[k][j]-b[k][j])
				}
			}
			return out
		}
		accRow = append(accRow, NAxis(plots.LinePoints(name, "N", "accuracy (%)", []plots.Series{
			series("CB-RNN", s.WithCB, plots.ColorCBRNN, false),
			series("CB disabled", s.NoCB, ColorAblated, true),
			series(fmt.Sprintf("CB disabled, readout trained (%d steps)", s.Steps), s.Recovered, ColorReadout, false)})))
		gapRow = append(gapRow, NAxis(plots.LinePoints(name+": gap to the intact network", "N", "accuracy gap (points)", []plots.Series{
			series("CB-RNN − CB disabled", gap(s.WithCB, s.NoCB), ColorAblated, true),
			series("CB-RNN − readout trained", gap(s.WithCB, s.Recovered), ColorReadout, false)})))
	}
	return [][]*plot.Plot{accRow, gapRow}
}

// Diff is the per-network change End − Start of a control.
func (c RecoveryControl) Diff() []float64 {
	out := make([]float64, len(c.Start))
	for k := range out {
		out[k] = c.End[k] - c.Start[k]
	}
	return out
}
