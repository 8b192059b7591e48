package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/trainer"
	"gonum.org/v1/plot"
)

// curvesPanel draws N vs epoch, mean ± SEM, for cohorts on one task.
func curvesPanel(title string, cs []*Cohort) *plot.Plot {
	cs, _ = drawnOnce(cs)
	var series []plots.Series
	for _, c := range cs {
		series = append(series, CurveSeries(c))
	}
	p := plots.Curves(title, "epoch", "N (task difficulty reached)", series)
	p.Y.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

// CurveSeries is one line of a learning-curve panel: a cohort's N per epoch,
// mean ± SEM over its runs (EpochCurve), labelled with its number of runs and
// in its group's colour. The figures and the notebooks draw it alike.
func CurveSeries(c *Cohort) plots.Series {
	x, mean, sem := EpochCurve(c.Curves, c.Budget)
	return plots.Series{Label: curveLabel(c), X: x, Mean: mean, SEM: sem, Color: c.Group.Colour()}
}

// StepCurveSeries is CurveSeries drawn as steps (the multitask panels).
func StepCurveSeries(c *Cohort) plots.StepSeries {
	x, mean, sem := EpochCurve(c.Curves, c.Budget)
	return plots.StepSeries{Label: curveLabel(c), X: x, Mean: mean, SEM: sem, Color: c.Group.Colour()}
}

func curveLabel(c *Cohort) string { return fmt.Sprintf("%s (n=%d)", c.Label, len(c.Curves)) }

// nAxis puts whole-number ticks on an x axis of N.
func nAxis(p *plot.Plot) *plot.Plot {
	p.X.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

// padAll extends curves of runs that stopped early (figdata.PadAll).
func padAll(curves [][]float64, budget int) [][]float64 { return figdata.PadAll(curves, budget) }

// EpochCurve is the mean ± SEM over runs of per-epoch curves padded to the
// budget, with x the epochs counted from 1 (figdata.EpochCurve).
func EpochCurve(curves [][]float64, budget int) (x, mean, sem []float64) {
	return figdata.EpochCurve(curves, budget)
}

func fig2a(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0]
	d := &Drawing{W: 11, H: 4.2}
	var panels []*plot.Plot
	var md strings.Builder
	for i, name := range singleTasks {
		panels = append(panels, curvesPanel(strings.ToUpper(name), cs[i]))
		md.WriteString(metricsMarkdown(strings.ToUpper(name), cs[i], p))
	}
	d.Rows = [][]*plot.Plot{panels}
	d.Markdown = md.String()
	return d, nil
}

func fig2b(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0]
	d := &Drawing{W: 11, H: 4.2}
	var panels []*plot.Plot
	var md strings.Builder
	for i, name := range scalingTasks(p, 0) {
		var cb, rnn plots.Series
		cb.Label, rnn.Label = "CB-RNN (H=64, G=64…512)", "RNN (matched)"
		cb.Color, rnn.Color = CBRNN.Colour(), RNNMatched.Colour()
		fmt.Fprintf(&md, "**%s** — AUC (N × epochs) vs trainable parameters\n\n| network | params | AUC mean | SEM | n |\n|---|---|---|---|---|\n", strings.ToUpper(name))
		for j, c := range cs[i] {
			var aucs []float64
			for _, curve := range padAll(c.Curves, c.Budget) {
				aucs = append(aucs, analysis.Metrics(curve).AUC)
			}
			s := analysis.Summarise(aucs)
			ser := &cb
			if j%2 == 1 {
				ser = &rnn
			}
			ser.X = append(ser.X, float64(c.Params))
			ser.Mean = append(ser.Mean, s.Mean)
			ser.SEM = append(ser.SEM, zeroNaN(s.SEM))
			fmt.Fprintf(&md, "| %s | %d | %.0f | %.0f | %d |\n", c.Label, c.Params, s.Mean, zeroNaN(s.SEM), s.N)
		}
		md.WriteString("\n")
		d.Claims = append(d.Claims, scalingClaims(name, cs[i], metricTable(cs[i]))...)
		panels = append(panels, plots.LinePoints(strings.ToUpper(name), "trainable parameters", "AUC of N over epochs", []plots.Series{cb, rnn}))
	}
	d.Rows = [][]*plot.Plot{panels}
	d.Markdown = md.String()
	return d, nil
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func fig3(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	mt, sw := all[0][0], all[1][0]
	d := &Drawing{W: 16, H: 4.4}
	// The authors' combined figure (multitask_switching_plotting_utils.py:
	// plot_multitask_and_switching_combined): the shared N of multitask, and
	// one switching panel per task, cut at 650 epochs.
	sd, err := SwitchingData(sw)
	if err != nil {
		return nil, err
	}
	if err := e.SaveFigData("fig3", p, all, sd); err != nil {
		return nil, err
	}
	d.Rows = [][]*plot.Plot{append([]*plot.Plot{stepPanel("Multitask (DMS + parity heads, shared N)", mt)}, sd.TaskPanels(analysis.SwitchClip)...)}
	t := sd.Table
	d.Markdown = metricsMarkdown("Multitask", mt, p) + SwitchMarkdown("Task switching", t)
	d.Claims = append(orderingClaims("multitask", "multitask", "fig3, fig4b (multitask, N of DMS)", mt, metricTable(mt)), switchClaims(t, sw)...)
	return d, nil
}

func fig4(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	single, sw := all[0], all[1]
	d := &Drawing{W: 11, H: 8.8}
	swDrawn, swNote := drawnOnce(sw[0])
	global, err := SwitchGlobalPanel("(c) Task switching", swDrawn, analysis.SwitchClip)
	if err != nil {
		return nil, err
	}
	d.Rows = [][]*plot.Plot{
		{curvesPanel("(a) DMS", single[0]), curvesPanel("(a) Parity", single[1])},
		{stepPanel("(b) Multitask", single[2]), global},
	}
	sd, err := SwitchingData(sw[0])
	if err != nil {
		return nil, err
	}
	data := figdata.Fig4{Switching: sd, Periodic: trainer.PeriodicCore, Periods: map[string]int{}}
	for _, need := range all {
		for _, byTask := range need {
			data.Periods[byTask[0].Task.Name] = trainer.PeriodFor(byTask[0].Task.Name)
		}
	}
	if err := e.SaveFigData("fig4", p, all, data); err != nil {
		return nil, err
	}
	t := sd.Table
	tDrawn, err := SwitchTable(swDrawn)
	if err != nil {
		return nil, err
	}
	d.Markdown = metricsMarkdown("(a) DMS", single[0], p) + metricsMarkdown("(a) Parity", single[1], p) +
		metricsMarkdown("(b) Multitask", single[2], p) + SwitchMarkdown("(c) Task switching", tDrawn)
	if swNote != "" {
		d.Markdown += swNote + "\n\n"
	}
	// The single tasks' rows are Table 4's (the same runs); the multitask
	// and switching rows here are those fig3 does not have.
	d.Claims = append(orderingClaims("multitask", "multitask", "fig3, fig4b (multitask, N of DMS)", single[2], metricTable(single[2])), switchClaims(t, sw[0])...)
	return d, nil
}

// stepPanel draws N vs epoch, mean ± SEM over runs, as steps (the authors'
// multitask panel, _plot_shared_N_progression_on_ax).
func stepPanel(title string, cs []*Cohort) *plot.Plot {
	cs, _ = drawnOnce(cs)
	var series []plots.StepSeries
	for _, c := range cs {
		series = append(series, StepCurveSeries(c))
	}
	p := plots.StepCurves(title, "global epoch", "N", series, plots.StepOptions{YMin: math.NaN()})
	p.Y.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

func appC(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0]
	d := &Drawing{W: 11, H: 4.2}
	d.Rows = [][]*plot.Plot{{curvesPanel("GRU: DMS", cs[0]), curvesPanel("GRU: Parity", cs[1])}}
	d.Markdown = metricsMarkdown("GRU, DMS", cs[0], p) + metricsMarkdown("GRU, Parity", cs[1], p)
	for i, name := range singleTasks {
		d.Claims = append(d.Claims, curveClaim("appC/"+name+"/auc/grupluscb-vs-gru", "a GRU with the CB learns faster than the matched GRU ("+displayTask(name)+")", "appC", metricTable(cs[i]), "GRU+CB", LabelFor(GRUMatched, cs[i][0].Task))...)
	}
	return d, nil
}
