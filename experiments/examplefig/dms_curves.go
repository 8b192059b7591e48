package examplefig

import (
	"context"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/plots"
)

// dms-curves: the CB-RNN against the matched RNN on N-DMS, N per epoch
// (mean ± SEM over runs) and the learning metrics. The README's worked
// example of "Adding a figure".
func init() {
	experiments.Register(experiments.FigureSpec{
		ID:    "dms-curves",
		Title: "N-DMS: CB-RNN vs parameter-matched RNN",
		Needs: []experiments.Need{{
			Tasks:  []string{"dms"},
			Groups: []experiments.Group{experiments.CBRNN, experiments.RNNMatched},
			Epochs: func(p experiments.Profile) int { return p.Epochs },
		}},
		Draw: drawDMSCurves,
	})
}

// drawDMSCurves gets the cohorts as cs[need][task][group].
func drawDMSCurves(ctx context.Context, e *experiments.Env, p experiments.Profile, cs [][][]*experiments.Cohort) (*experiments.Drawing, error) {
	dms := cs[0][0]
	table := analysis.GroupTable(experiments.AnalysisGroups(dms), p.Epochs)
	var series []plots.Series
	var rows [][]string
	for i, c := range dms {
		x, mean, sem := experiments.EpochCurve(c.Curves, c.Budget)
		series = append(series, plots.Series{Label: c.Label, X: x, Mean: mean, SEM: sem, Color: c.Group.Colour()})
		rows = append(rows, experiments.MetricCells(table.Rows[i]))
	}
	panel := plots.Curves("N-DMS", "epoch", "N (task difficulty reached)", series)
	return &experiments.Drawing{
		Rows: [][]*plot.Plot{{panel}}, W: 5.5, H: 4.2,
		Markdown: plots.MarkdownTable(experiments.MetricHeader, rows),
	}, nil
}
