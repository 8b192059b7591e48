package experiments

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/rundir"
)

// Result is what one figure produced.
type Result struct {
	ID       string
	Title    string
	PNGs     []string // absolute paths
	SVGs     []string
	Markdown string // tables and numbers, for paper/results.md
}

// figure is one entry of SPEC §5: the cohorts it needs, and how it draws
// them. Declaring the needs lets Plan train every figure's runs at once, in
// the largest ensembles.
type figure struct {
	title string
	needs []need
	make  func(ctx context.Context, e *Env, p Profile, cs [][][]*Cohort) (*drawn, error)
}

// need is a set of groups trained on a set of tasks at one budget.
type need struct {
	tasks  []string
	groups []Group
	epochs func(Profile) int
}

func mainBudget(p Profile) int   { return p.Epochs }
func gruBudget(p Profile) int    { return p.EpochsGRU }
func switchBudget(p Profile) int { return p.EpochsSwitch }

var (
	singleTasks = []string{"dms", "parity"}
	fig4Groups  = []Group{CBRNN, FrozenCore, PeriodicCore, RNNMatched}
)

func scalingGroups() []Group {
	var groups []Group
	for _, gc := range ScalingGCs {
		cb, rnn := ScalingGroups(gc)
		groups = append(groups, cb, rnn)
	}
	return groups
}

// drawn is a figure before it is saved: panels in rows (or a table), and
// text.
type drawn struct {
	rows     [][]*plot.Plot
	w, h     float64 // inches
	table    *plots.TableFigure
	markdown string
}

var figures = map[string]figure{
	"fig2a": {"Learning curves: CB-RNN vs parameter-matched RNN",
		[]need{{singleTasks, []Group{CBRNN, RNNMatched}, mainBudget}}, fig2a},
	"fig2b": {"AUC vs trainable parameters: four matched CB/RNN pairs",
		[]need{{singleTasks, scalingGroups(), mainBudget}}, fig2b},
	"fig3": {"Multitask and task switching",
		[]need{{[]string{"multitask", "switch"}, []Group{CBRNN, RNNMatched}, mainBudget}}, fig3},
	"fig4": {"Frozen-core and Periodic-core vs CB-RNN vs RNN",
		[]need{{[]string{"dms", "parity", "multitask"}, fig4Groups, mainBudget}, {[]string{"switch"}, fig4Groups, switchBudget}}, fig4},
	"fig5": {"CB ablation: accuracy with and without the CB",
		[]need{{singleTasks, []Group{CBRNN}, mainBudget}}, fig5},
	"appB": {"Appendix B: parameter matching", nil, appB},
	"appC": {"Appendix C: GRU with and without CB",
		[]need{{singleTasks, []Group{GRUCB, GRUMatched}, gruBudget}}, appC},
	"appG": {"Appendix G: PCA dimensionality and timescales per module",
		[]need{{[]string{"dms"}, []Group{CBRNN, FrozenCore}, mainBudget}}, appG},
	"appH": {"Appendix H: readout recovery after CB removal",
		[]need{{singleTasks, []Group{CBRNN}, mainBudget}}, appH},
	"table4": {"Table 4: learning metrics",
		[]need{{singleTasks, fig4Groups, mainBudget}}, table4},
}

// IDs lists the figure ids in the paper's order.
func IDs() []string {
	return []string{"fig2a", "fig2b", "fig3", "fig4", "fig5", "appB", "appC", "appG", "appH", "table4"}
}

// Figure trains (or loads) what figure id needs under the profile, draws it
// into figures/, and returns what it wrote.
func Figure(ctx context.Context, id string, opt Options) (*Result, error) {
	e, err := Open(ctx, opt)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	p, err := LookupProfile(opt.Profile)
	if err != nil {
		return nil, err
	}
	return e.Figure(ctx, id, p)
}

// Figure draws one figure with this Env.
func (e *Env) Figure(ctx context.Context, id string, p Profile) (*Result, error) {
	f, ok := figures[id]
	if !ok {
		return nil, fmt.Errorf("unknown figure %q (known: %s)", id, strings.Join(IDs(), ", "))
	}
	var cs [][][]*Cohort
	for _, n := range f.needs {
		c, err := e.cohorts(ctx, p, n.tasks, n.groups, n.epochs(p))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		cs = append(cs, c)
	}
	d, err := f.make(ctx, e, p, cs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	res := &Result{ID: id, Title: f.title, Markdown: d.markdown}
	var img any = d.table
	if d.table == nil {
		img = plots.Grid(d.rows, d.w, d.h)
	}
	base := filepath.Join(e.FiguresDir(), id)
	if err := plots.Save(img, base); err != nil {
		return nil, err
	}
	res.PNGs, res.SVGs = []string{base + ".png"}, []string{base + ".svg"}
	if d.markdown != "" {
		if err := writeText(filepath.Join(e.FiguresDir(), id+".md"), "# "+f.title+"\n\n"+d.markdown); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// curvesPanel draws N vs epoch, mean ± SEM, for cohorts on one task.
func curvesPanel(title string, cs []*Cohort) *plot.Plot {
	var series []plots.Series
	for _, c := range cs {
		mean, sem := analysis.MeanSEMCurve(padAll(c.Curves, c.Budget))
		x := make([]float64, len(mean))
		for i := range x {
			x[i] = float64(i + 1)
		}
		series = append(series, plots.Series{Label: fmt.Sprintf("%s (n=%d)", c.Label, len(c.Curves)), X: x, Mean: mean, SEM: sem, Color: plots.ColorFor(c.Group.Label)})
	}
	p := plots.Curves(title, "epoch", "N (task difficulty reached)", series)
	p.Y.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

// nAxis puts whole-number ticks on an x axis of N.
func nAxis(p *plot.Plot) *plot.Plot {
	p.X.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

// padAll extends curves of runs that stopped early (max N reached, or a
// fixed-N run solved) with their last N up to the budget, as SPEC §4's
// metrics do.
func padAll(curves [][]float64, budget int) [][]float64 {
	out := make([][]float64, len(curves))
	for i, c := range curves {
		out[i] = analysis.PadTo(c, budget)
	}
	return out
}

func fig2a(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 4.2}
	var panels []*plot.Plot
	var md strings.Builder
	for i, name := range singleTasks {
		panels = append(panels, curvesPanel(strings.ToUpper(name), cs[i]))
		md.WriteString(metricsMarkdown(strings.ToUpper(name), cs[i], p))
	}
	d.rows = [][]*plot.Plot{panels}
	d.markdown = md.String()
	return d, nil
}

func fig2b(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 4.2}
	var panels []*plot.Plot
	var md strings.Builder
	for i, name := range singleTasks {
		var cb, rnn plots.Series
		cb.Label, rnn.Label = "CB-RNN (H=64, G=64…512)", "RNN (matched)"
		cb.Color, rnn.Color = plots.ColorFor("CB-RNN"), plots.ColorFor("RNN")
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
		panels = append(panels, plots.LinePoints(strings.ToUpper(name), "trainable parameters", "AUC of N over epochs", []plots.Series{cb, rnn}))
	}
	d.rows = [][]*plot.Plot{panels}
	d.markdown = md.String()
	return d, nil
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func fig3(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 4.2}
	d.rows = [][]*plot.Plot{{
		curvesPanel("Multitask (DMS + parity heads, shared N)", cs[0]),
		curvesPanel("Task switching (global N)", cs[1]),
	}}
	d.markdown = metricsMarkdown("Multitask", cs[0], p) + metricsMarkdown("Task switching", cs[1], p)
	return d, nil
}

func fig4(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	single, sw := all[0], all[1]
	d := &drawn{w: 11, h: 8.4}
	d.rows = [][]*plot.Plot{
		{curvesPanel("(a) DMS", single[0]), curvesPanel("(a) Parity", single[1])},
		{curvesPanel("(b) Multitask", single[2]), curvesPanel("(c) Task switching", sw[0])},
	}
	d.markdown = metricsMarkdown("(a) DMS", single[0], p) + metricsMarkdown("(a) Parity", single[1], p) +
		metricsMarkdown("(b) Multitask", single[2], p) + metricsMarkdown("(c) Task switching", sw[0], p)
	return d, nil
}

// metricsMarkdown is the learning-metric table of cohorts (SPEC §4).
func metricsMarkdown(title string, cs []*Cohort, p Profile) string {
	budget := 0
	for _, c := range cs {
		budget = max(budget, c.Budget)
	}
	t := analysis.GroupTable(analysisGroups(cs), budget)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (profile %s, budget %d epochs, half = first epoch with N ≥ %.1f)\n\n", title, p.Name, budget, t.HalfThreshold)
	b.WriteString("| group | n | max N | final N | mean N | half (epochs) | AUC |\n|---|---|---|---|---|---|---|\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", r.Name, r.MaxN.N, pm(r.MaxN, 2), pm(r.FinalN, 2), pm(r.MeanN, 2), half(r), pm(r.AUC, 0))
	}
	b.WriteString("\n")
	return b.String()
}

// pm formats mean ± SEM.
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

func fig5(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 8.4}
	var lines, bars []*plot.Plot
	var md strings.Builder
	for i, name := range singleTasks {
		with, without := map[int][]float64{}, map[int][]float64{}
		var nets []string
		var netWith, netWithout []float64
		for r, dir := range cs[i][0].Dirs {
			cps, err := Checkpoints(dir, p.MaxCheckpoints)
			if err != nil {
				return nil, err
			}
			var sw, so []float64
			for _, c := range cps {
				a, err := e.Ablate(ctx, c, p.EvalBatches)
				if err != nil {
					return nil, err
				}
				with[c.N] = append(with[c.N], a.WithCB)
				without[c.N] = append(without[c.N], a.NoCB)
				sw, so = append(sw, a.WithCB), append(so, a.NoCB)
			}
			nets = append(nets, fmt.Sprintf("net %d", r+1))
			netWith = append(netWith, analysis.Summarise(sw).Mean)
			netWithout = append(netWithout, analysis.Summarise(so).Mean)
		}
		sWith, sWithout := byN("with CB", with), byN("CB removed", without)
		sWith.Color, sWithout.Color = plots.ColorFor("CB-RNN"), plots.ColorFor("RNN")
		lines = append(lines, nAxis(plots.LinePoints(strings.ToUpper(name)+": accuracy at each solved N", "N", "test accuracy (%)", []plots.Series{sWith, sWithout})))
		bars = append(bars, plots.Bars(strings.ToUpper(name)+": mean over solved N, per network", "test accuracy (%)", nets,
			[]plots.BarSeries{{Label: "with CB", Values: nanToZero(netWith), Color: plots.ColorFor("CB-RNN")}, {Label: "CB removed", Values: nanToZero(netWithout), Color: plots.ColorFor("RNN")}}))
		fmt.Fprintf(&md, "**%s** — accuracy (%%) on the same fixed %d×%d trials\n\n| N | with CB | CB removed | networks |\n|---|---|---|---|\n", strings.ToUpper(name), p.EvalBatches, p.Batch)
		for j, n := range sWith.X {
			fmt.Fprintf(&md, "| %.0f | %.1f | %.1f | %d |\n", n, sWith.Mean[j], sWithout.Mean[j], len(with[int(n)]))
		}
		md.WriteString("\n")
	}
	d.rows = [][]*plot.Plot{lines, bars}
	d.markdown = md.String()
	return d, nil
}

func nanToZero(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = zeroNaN(x)
	}
	return out
}

// byN turns per-N samples into a mean ± SEM series ordered by N.
func byN(label string, m map[int][]float64) plots.Series {
	ns := make([]int, 0, len(m))
	for n := range m {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	s := plots.Series{Label: label}
	for _, n := range ns {
		sum := analysis.Summarise(m[n])
		s.X = append(s.X, float64(n))
		s.Mean = append(s.Mean, sum.Mean)
		s.SEM = append(s.SEM, zeroNaN(sum.SEM))
	}
	return s
}

func appB(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	single, err := e.Source.Describe(ctx, "dms")
	if err != nil {
		return nil, err
	}
	header := []string{"model", "hidden", "G", "core", "CB", "readout", "total", "closest-match H"}
	var rows [][]string
	// pair adds a CB model and its baseline, with the hidden size the
	// closest-count rule would give the baseline.
	pair := func(cbG, baseG Group) error {
		cbM, err := ModelConfig(cbG, single)
		if err != nil {
			return err
		}
		baseM, err := ModelConfig(baseG, single)
		if err != nil {
			return err
		}
		// What the closest-count rule gives: the registry's matched baseline.
		ruleG := baseG
		ruleG.Options = gm.Options{GC: cbM.CB.Layers[0].Width}
		ruleM, err := ModelConfig(ruleG, single)
		if err != nil {
			return err
		}
		rule := ruleM.Core.Hidden
		for _, r := range []struct {
			g     Group
			m     gm.Config
			match string
		}{{cbG, cbM, ""}, {baseG, baseM, fmt.Sprint(rule)}} {
			c := r.m.Count()
			gcs := "–"
			if r.m.CB != nil {
				gcs = fmt.Sprint(r.m.CB.Layers[0].Width)
			}
			rows = append(rows, []string{LabelFor(r.g, single), fmt.Sprint(r.m.Core.Hidden), gcs, fmt.Sprint(c.Core), fmt.Sprint(c.CB), fmt.Sprint(c.Readout), fmt.Sprint(c.Total), r.match})
		}
		return nil
	}
	for _, gc := range ScalingGCs {
		if err := pair(ScalingGroups(gc)); err != nil {
			return nil, err
		}
	}
	if err := pair(GRUCB, GRUMatched); err != nil {
		return nil, err
	}
	md := "Parameter counts (readout included: one head, 2 classes, 1 input). A baseline takes the hidden size whose total is closest to its CB model's " +
		"(last column); Fig 2b uses the paper's pairs, which differ from that rule only at G=128 (the paper's RNN-160 against the closest H=157).\n\n" +
		plots.MarkdownTable(header, rows) + "\n"
	return &drawn{table: plots.Table("Appendix B: parameter matching", header, rows), markdown: md}, nil
}

func appC(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 4.2}
	d.rows = [][]*plot.Plot{{curvesPanel("GRU: DMS", cs[0]), curvesPanel("GRU: Parity", cs[1])}}
	d.markdown = metricsMarkdown("GRU, DMS", cs[0], p) + metricsMarkdown("GRU, Parity", cs[1], p)
	return d, nil
}

func appG(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 8.4}
	var dimPanels []*plot.Plot
	tauVals := map[string]map[string][]float64{} // group → population → taus
	var md strings.Builder
	md.WriteString("PCA dimensionality (d95 / population width), population timescales (steps) and the Treves–Rolls sparseness of the rate populations (population / lifetime) on DMS.\n\n" +
		"| group | population | d95/width (last N) | PR (last N) | population τ | unit τ (median) | sparseness (last N) |\n|---|---|---|---|---|---|---|\n")
	for _, c := range cs[0] {
		perPop := map[string]map[int][]float64{}
		lastDim := map[string][]analysis.Dim{}
		lastSparse := map[string][]Sparseness{}
		tauVals[c.Label] = map[string][]float64{}
		unitTaus := map[string][]float64{}
		for _, dir := range c.Dirs {
			cps, err := Checkpoints(dir, p.MaxCheckpoints)
			if err != nil {
				return nil, err
			}
			for j, cp := range cps {
				dims, err := e.Dimensionality(ctx, cp, p.PCABatches)
				if err != nil {
					return nil, err
				}
				for pop, dm := range dims.Dims {
					if perPop[pop] == nil {
						perPop[pop] = map[int][]float64{}
					}
					perPop[pop][cp.N] = append(perPop[pop][cp.N], dm.D95PerWidth)
					if j == len(cps)-1 {
						lastDim[pop] = append(lastDim[pop], dm)
					}
				}
				if j == len(cps)-1 {
					for pop, sp := range dims.Sparsity {
						lastSparse[pop] = append(lastSparse[pop], sp)
					}
				}
				if j == len(cps)-1 {
					ts, err := e.Timescales(cp, p.TimescaleT, p.TimescaleTrials, p.TimescaleDrop)
					if err != nil {
						return nil, err
					}
					for pop, t := range ts {
						tauVals[c.Label][pop] = append(tauVals[c.Label][pop], t.Population)
						unitTaus[pop] = append(unitTaus[pop], t.UnitMedian)
					}
				}
			}
		}
		var series []plots.Series
		for pi, pop := range Populations {
			if perPop[pop] == nil {
				continue
			}
			s := byN(pop, perPop[pop])
			s.Color = plots.Palette[pi%len(plots.Palette)]
			series = append(series, s)
			var dw, pr []float64
			for _, dm := range lastDim[pop] {
				dw, pr = append(dw, dm.D95PerWidth), append(pr, dm.PR)
			}
			sparse := "–"
			if ss := lastSparse[pop]; len(ss) > 0 {
				var sp, sl []float64
				for _, v := range ss {
					sp, sl = append(sp, v.Population), append(sl, v.Lifetime)
				}
				sparse = pm(analysis.Summarise(sp), 2) + " / " + pm(analysis.Summarise(sl), 2)
			}
			fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s | %s |\n", c.Label, pop, pm(analysis.Summarise(dw), 3), pm(analysis.Summarise(pr), 2),
				pm(analysis.Summarise(tauVals[c.Label][pop]), 1), pm(analysis.Summarise(unitTaus[pop]), 1), sparse)
		}
		dimPanels = append(dimPanels, nAxis(plots.LinePoints(c.Label+": dimensionality per module", "N", "d95 / width", series)))
	}
	var cats []string
	var bs []plots.BarSeries
	for _, pop := range Populations {
		cats = append(cats, pop)
	}
	for _, c := range cs[0] {
		var vals, errs []float64
		for _, pop := range Populations {
			s := analysis.Summarise(tauVals[c.Label][pop])
			vals, errs = append(vals, zeroNaN(s.Mean)), append(errs, zeroNaN(s.SEM))
		}
		bs = append(bs, plots.BarSeries{Label: c.Label, Values: vals, Errs: errs, Color: plots.ColorFor(c.Group.Label)})
	}
	tauPanel := plots.Bars("Population timescale per module (last solved N)", "τ (steps to 1/e)", cats, bs)
	d.rows = [][]*plot.Plot{dimPanels, {tauPanel}}
	d.markdown = md.String() + "\n"
	return d, nil
}

func appH(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	d := &drawn{w: 11, h: 4.2}
	var panels []*plot.Plot
	var md strings.Builder
	trials := 0
	for i, name := range singleTasks {
		with, without, rec := map[int][]float64{}, map[int][]float64{}, map[int][]float64{}
		for _, dir := range cs[i][0].Dirs {
			cps, err := Checkpoints(dir, p.MaxCheckpoints)
			if err != nil {
				return nil, err
			}
			for _, c := range cps {
				// SPEC §4: re-evaluate on RecoveryEval batches (50), not
				// the ablation's 20; all three accuracies share them.
				a, err := e.Recover(ctx, c, p.RecoverySteps, p.RecoveryEval)
				if err != nil {
					return nil, err
				}
				trials = a.Trials
				with[c.N] = append(with[c.N], a.WithCB)
				without[c.N] = append(without[c.N], a.NoCB)
				rec[c.N] = append(rec[c.N], a.Recovered)
			}
		}
		a, b, r := byN("with CB", with), byN("CB removed", without), byN(fmt.Sprintf("CB removed, readout retrained (%d steps)", p.RecoverySteps), rec)
		a.Color, b.Color, r.Color = plots.ColorFor("CB-RNN"), plots.ColorFor("RNN"), plots.ColorFor("Periodic-core")
		panels = append(panels, nAxis(plots.LinePoints(strings.ToUpper(name), "N", "test accuracy (%)", []plots.Series{a, b, r})))
		fmt.Fprintf(&md, "**%s**\n\n| N | with CB | CB removed | readout retrained |\n|---|---|---|---|\n", strings.ToUpper(name))
		for j, n := range a.X {
			fmt.Fprintf(&md, "| %.0f | %.1f | %.1f | %.1f |\n", n, a.Mean[j], b.Mean[j], r.Mean[j])
		}
		md.WriteString("\n")
	}
	d.rows = [][]*plot.Plot{panels}
	d.markdown = fmt.Sprintf("Every accuracy on the same %d evaluation trials per checkpoint (%d batches); the readout retrained for %d SGD steps.\n\n",
		trials, p.RecoveryEval, p.RecoverySteps) + md.String()
	return d, nil
}

// paperTable4 is SPEC §6: max N, half, AUC per group and task.
var paperTable4 = map[string]map[string][3]float64{
	"dms":    {"CB-RNN": {34.75, 215, 25041}, "Frozen-core": {30.00, 275, 21689}, "Periodic-core": {35.63, 264, 23595}, "RNN": {31.38, 456, 19254}},
	"parity": {"CB-RNN": {18.75, 153, 14171}, "Frozen-core": {15.13, 176, 11971}, "Periodic-core": {16.75, 166, 12996}, "RNN": {16.75, 312, 11505}},
}

func table4(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*drawn, error) {
	cs := all[0]
	header := []string{"task", "group", "n", "max N", "half", "AUC", "paper max N", "paper half", "paper AUC"}
	var rows [][]string
	for i, name := range singleTasks {
		t := analysis.GroupTable(analysisGroups(cs[i]), p.Epochs)
		for j, r := range t.Rows {
			ref := paperTable4[name][cs[i][j].Group.Label]
			rows = append(rows, []string{strings.ToUpper(name), r.Name, fmt.Sprint(r.MaxN.N), pm(r.MaxN, 2), half(r), pm(r.AUC, 0),
				fmt.Sprintf("%.2f", ref[0]), fmt.Sprintf("%.0f", ref[1]), fmt.Sprintf("%.0f", ref[2])})
		}
	}
	md := fmt.Sprintf("Profile **%s** (budget %d epochs of %d + %d batches of %d, n = %d per group) next to the paper's Table 4 (n = 8, 1000 epochs of 100 + 50 batches of 64). "+
		"Max N is the largest N attempted; half = epochs up to the first with N ≥ half the global max N, over the runs that get there (the authors' convention). Reduced profiles cannot reach the paper's N; compare the ordering of the groups, not the values.\n\n",
		p.Name, p.Epochs, p.Steps, p.TestSteps, p.Batch, p.Seeds) + plots.MarkdownTable(header, rows) + "\n"
	return &drawn{table: plots.Table("Table 4: learning metrics (mean ± SEM) vs the paper", header, rows), markdown: md}, nil
}

// writeText writes a text file atomically.
func writeText(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, []byte(text), 0o644)
}

// Plan trains every run the figures need, all at once, so that runs of the
// same shape share ensembles across figures.
func (e *Env) Plan(ctx context.Context, p Profile, ids []string) error {
	cfgs, err := e.Needs(ctx, p, ids)
	if err != nil {
		return err
	}
	_, err = e.Ensure(ctx, cfgs)
	return err
}
