package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/figdata"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// The sketch's expansion-ratio check (issue 22, seed-ratio): its pitfall
// "expansion ratio too high: the cerebellar module dominates and the
// modularity benefit is lost". The CB-RNN with G/H ∈ {1, 2, 4, 8, 16, 32}
// granule cells per hidden unit, at the paper's H = 64 and at matched total
// parameters (H chosen by gomlx_models.MatchHidden so the network has the
// paper's CB-RNN's count; P stays the paper's 64); G/H = 4 at H = 64 is the
// paper's CB-RNN itself (fig2a's runs). Per network: the learning metrics,
// the CB's share of the core's pre-activation (analysis.CBShare) and the
// accuracy lost without the CB (fig5's AblateOn), both at one N every
// network of the task has, on one set of shared trials.

// Ratios are the granule-to-hidden ratios G/H of the sweep.
var Ratios = []int{1, 2, 4, 8, 16, 32}

// PaperRatio is the paper's G/H (256/64).
const PaperRatio = gm.PaperGC / gm.PaperHidden

// RatioMatchedHidden is the hidden size at which a CB-RNN with G = r·H has
// the paper's CB-RNN's parameter count (one input, one head of 2 classes).
func RatioMatchedHidden(r int) int {
	target := gm.MustBuild("cb-rnn", gm.Options{}).Count().Total
	return gm.MatchHidden(target, func(h int) gm.Config {
		return gm.MustBuild("cb-rnn", gm.Options{Hidden: h, GC: r * h})
	})
}

// RatioGroup is the CB-RNN at ratio r, at H = 64 or at matched parameters;
// the paper's ratio is CBRNN itself (at matched parameters too: H = 64 is
// the match), so the sweep reuses its runs.
func RatioGroup(r int, matched bool) Group {
	h := gm.PaperHidden
	if matched {
		h = RatioMatchedHidden(r)
	}
	if r == PaperRatio && h == gm.PaperHidden {
		return CBRNN
	}
	label := fmt.Sprintf("G/H=%d (H=%d, G=%d)", r, h, r*h)
	if matched {
		label += ", matched"
	}
	return Group{Label: label, Model: "cb-rnn", Options: gm.Options{Hidden: h, GC: r * h}, Regime: trainer.Standard, Sketch: true,
		Color: plots.Palette[slices.Index(Ratios, r)%len(plots.Palette)]}
}

// ratioSweep is the sweep's new groups: every ratio but the paper's at
// H = 64, then at matched parameters.
func ratioSweep() []Group {
	var gs []Group
	for _, matched := range []bool{false, true} {
		for _, r := range Ratios {
			if g := RatioGroup(r, matched); g.Label != CBRNN.Label {
				gs = append(gs, g)
			}
		}
	}
	return gs
}

// seedRatioSpec is the figure seed-ratio (registered by seed.go's init, in
// issue 22's order).
func seedRatioSpec() FigureSpec {
	return FigureSpec{ID: "seed-ratio", Title: "The sketch's expansion-ratio check: G/H from 1 to 32, at H = 64 and at matched parameters",
		Draw: seedRatio, Notebook: SeedNotebook,
		Needs: []Need{{singleTasks, []Group{CBRNN, RNNMatched}, mainBudget},
			{[]string{"dms"}, ratioSweep(), sketchBudget}, {[]string{"parity"}, ratioSweep(), sketchParity}},
		Shows: "the expansion ratio: learning, the CB's share of the pre-activation and the ablation drop against G/H, at H = 64 and at matched parameters (seed-ratio)"}
}

// RatioNet is one network of the sweep, measured at the sweep's common N.
type RatioNet = figdata.RatioNet

// CBShareOn is a checkpoint's analysis.CBShare over every step of the given
// trials, recorded from h_0 = 0 by the package's forward pass
// (Ensemble.Dynamics: "hidden" and "cb_bias"), the core's own drive
// W_x x + b_x + W_h h_{t−1} + b_h computed from the checkpoint's weights
// (CellOf).
func (e *Env) CBShareOn(c Checkpoint, bs []*task.Batch) (float64, error) {
	cell, err := CellOf(c)
	if err != nil {
		return math.NaN(), err
	}
	if cell.CB == nil {
		return math.NaN(), fmt.Errorf("CB share: %s has no cerebellar module", c.Config.Model.Describe())
	}
	trials, err := e.recordTrials(c, bs)
	if err != nil {
		return math.NaN(), err
	}
	var cb, core [][]float64
	for _, tr := range trials {
		h := make([]float64, cell.H)
		for s := range tr.x {
			cb, core = append(cb, tr.cb[s]), append(core, cell.CorePre(h, tr.x[s]))
			h = tr.hidden[s]
		}
	}
	return analysis.CBShare(cb, core)
}

// RatioNets measures every run of the cohorts (cohort i at G/H = ratio[i],
// matched[i]) at the largest N all of them have, on one set of shared
// trials of the profile's EvalBatches: its CB share (CBShareOn) and its
// ablation drop (AblateOn, fig5's). It returns the networks in cohort and
// run order and that N; none when the runs share no N. AUC is left for the
// caller (the learning metrics of the cohorts).
func (e *Env) RatioNets(ctx context.Context, p Profile, cs []*Cohort, ratio []int, matched []bool) ([]RatioNet, int, error) {
	var dirs []*rundir.Dir
	for _, c := range cs {
		dirs = append(dirs, c.Dirs...)
	}
	ns, err := CommonNs(dirs)
	if err != nil {
		return nil, 0, err
	}
	if len(ns) == 0 {
		return nil, 0, nil
	}
	n := ns[len(ns)-1]
	var c0 trainer.Config
	if err := dirs[0].ReadConfig(&c0); err != nil {
		return nil, 0, err
	}
	st, err := e.SharedEvalTrials(ctx, c0.Task, c0.TaskParams, n, max(p.EvalBatches, 1), c0.Batch)
	if err != nil {
		return nil, 0, err
	}
	var out []RatioNet
	for i, c := range cs {
		for _, d := range c.Dirs {
			cp, err := LoadCheckpointAt(d, n)
			if err != nil {
				return nil, 0, err
			}
			a, err := e.AblateOn(cp, st)
			if err != nil {
				return nil, 0, err
			}
			share, err := e.CBShareOn(cp, st.Batches)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, RatioNet{Ratio: ratio[i], Matched: matched[i], Seed: cp.Config.Seed, Share: share, Drop: a.NoCB - a.WithCB})
		}
	}
	return out, n, nil
}

func seedRatio(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	budget := p.EpochsSketch
	idx, sweeps := sketchTasks(all)
	d := &Drawing{W: 14, H: 4.2 * float64(len(idx))}
	var md strings.Builder
	fmt.Fprintf(&md, "The CB-RNN with G/H granule cells per hidden unit (P = 64), at H = 64 and at matched total parameters (H by the parameter matching of appendix B, to the paper's CB-RNN's count): ")
	for j, r := range Ratios {
		if j > 0 {
			md.WriteString(", ")
		}
		fmt.Fprintf(&md, "G/H = %d: H = %d", r, RatioMatchedHidden(r))
	}
	fmt.Fprintf(&md, ". G/H = %d at H = 64 is the paper's CB-RNN (fig2a's runs over their first %d epochs). Budget %d epochs, n = %d per new group. The CB's share of the core's pre-activation is √(Σ‖b_cb‖²)/√(Σ‖W_x x + b_x + W_h h + b_h + b_cb‖²) over every step of the shared trials from h₀ = 0; the ablation drop is fig5's (accuracy without − with the CB); both at the largest N every network of the task has, on %d shared batches.", PaperRatio, budget, budget, p.SeedsSketch, p.EvalBatches)
	if !p.SketchParity {
		md.WriteString(" This profile trains the sweep on DMS only.")
	}
	md.WriteString("\n\n")
	data := figdata.SeedRatio{Budget: budget}
	for _, m := range []bool{false, true} {
		for _, r := range Ratios {
			g := RatioGroup(r, m)
			c, err := ModelConfig(g, all[0][0][0].Task)
			if err != nil {
				return nil, err
			}
			data.Sweep = append(data.Sweep, figdata.RatioSweepRow{Ratio: r, Matched: m, Label: g.Label, H: c.Core.Hidden, G: c.CB.Layers[0].Width, Params: c.Count().Total})
		}
	}
	for j, ti := range idx {
		task := singleTasks[ti]
		cb, rnn := truncated(all[0][ti][0], budget), truncated(all[0][ti][1], budget)
		byKey := map[[2]int]*Cohort{}
		for gi, g := range ratioSweep() {
			byKey[ratioKey(g)] = sweeps[j][gi]
		}
		var cohorts []*Cohort
		var ratio []int
		var matched []bool
		for _, m := range []bool{false, true} {
			for _, r := range Ratios {
				c := byKey[[2]int{r, b2i(m)}]
				if r == PaperRatio {
					c = cb
				}
				cohorts, ratio, matched = append(cohorts, c), append(ratio, r), append(matched, m)
			}
		}
		// The metric table: each network once (the paper's ratio is one group).
		tableCs := []*Cohort{rnn}
		for i, c := range cohorts {
			if !(matched[i] && ratio[i] == PaperRatio) {
				tableCs = append(tableCs, c)
			}
		}
		t := metricTable(tableCs)
		rows := map[string]analysis.GroupRow{}
		for _, r := range t.Rows {
			rows[r.Name] = r
		}
		nets, atN, err := e.RatioNets(ctx, p, cohorts, ratio, matched)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", task, err)
		}
		// Each network's AUC, by its cohort's row (runs in seed order).
		k := 0
		for _, c := range cohorts {
			for s := range c.Dirs {
				if k < len(nets) {
					nets[k].AUC = rows[c.Label].Values.AUC[s]
				}
				k++
			}
		}
		rc, err := cohortsData(append(slices.Clone(cohorts), rnn))
		if err != nil {
			return nil, err
		}
		data.Tasks = append(data.Tasks, figdata.RatioTask{Task: task, Cohorts: rc, Ratio: ratio, Matched: matched, Nets: nets, N: atN})
		x := make([]float64, len(Ratios))
		for i, r := range Ratios {
			x[i] = math.Log2(float64(r))
		}
		series := func(metric func(RatioNet) float64) []plots.Series {
			var out []plots.Series
			for _, m := range []bool{false, true} {
				var mean, sem []float64
				for _, r := range Ratios {
					var v []float64
					for _, n := range nets {
						if n.Ratio == r && n.Matched == m {
							v = append(v, metric(n))
						}
					}
					s := analysis.Summarise(v)
					mean, sem = append(mean, s.Mean), append(sem, s.SEM)
				}
				label, col := "H = 64", plots.ColorCBRNN
				if m {
					label, col = "matched parameters", plots.Palette[0]
				}
				out = append(out, plots.Series{Label: label, X: x, Mean: mean, SEM: sem, Color: col})
			}
			return out
		}
		ra := rows[rnn.Label].AUC
		aucS := append(series(func(n RatioNet) float64 { return n.AUC }),
			plots.Series{Label: rnn.Label + " (reference)", X: []float64{x[0], x[len(x)-1]}, Mean: []float64{ra.Mean, ra.Mean}, Color: rnn.Group.Colour(), Dashed: true})
		xl := "log₂ G/H (paper: 2)"
		d.Rows = append(d.Rows, []*plot.Plot{
			plots.LinePoints("(a) "+displayTask(task)+": AUC", xl, fmt.Sprintf("AUC of N over %d epochs", budget), aucS),
			plots.LinePoints(fmt.Sprintf("(b) CB share of the pre-activation (N = %d)", atN), xl, "‖b_cb‖ / ‖pre-activation‖", series(func(n RatioNet) float64 { return n.Share })),
			plots.LinePoints(fmt.Sprintf("(c) ablation: accuracy lost without the CB (N = %d)", atN), xl, "accuracy without − with CB (points)", series(func(n RatioNet) float64 { return n.Drop })),
		})
		md.WriteString(metricsMarkdown(displayTask(task), tableCs, p))
		if len(nets) == 0 {
			md.WriteString("The networks share no N, so the CB share and the ablation are not measured.\n\n")
		} else {
			fmt.Fprintf(&md, "CB share and ablation drop at N = %d (mean ± SEM over networks):\n\n| G/H | H = 64: share | H = 64: drop (points) | matched: H | matched: share | matched: drop (points) |\n|---|---|---|---|---|---|\n", atN)
			for _, r := range Ratios {
				cell := func(m bool, f func(RatioNet) float64) string {
					var v []float64
					for _, n := range nets {
						if n.Ratio == r && n.Matched == m {
							v = append(v, f(n))
						}
					}
					s := analysis.Summarise(v)
					return fmt.Sprintf("%.3f ± %.3f", s.Mean, s.SEM)
				}
				share := func(n RatioNet) float64 { return n.Share }
				drop := func(n RatioNet) float64 { return n.Drop }
				fmt.Fprintf(&md, "| %d | %s | %s | %d | %s | %s |\n", r, cell(false, share), cell(false, drop), RatioMatchedHidden(r), cell(true, share), cell(true, drop))
			}
			md.WriteString("\n")
		}
		d.Claims = append(d.Claims, ratioClaims(task, rows, cohorts, ratio, matched, nets, budget)...)
	}
	if err := e.SaveFigData("seed-ratio", p, all, data); err != nil {
		return nil, err
	}
	d.Markdown = md.String()
	return d, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ratioKey is a sweep group's (G/H, matched).
func ratioKey(g Group) [2]int {
	h := g.Options.Hidden
	return [2]int{g.Options.GC / h, b2i(strings.HasSuffix(g.Label, ", matched"))}
}

// SeedSlopes is, per seed, the least-squares slope of a metric against
// log₂ G/H over that seed's networks (one per ratio) of one series; seeds
// with fewer than two ratios give none. The sketch's "the CB dominates as
// the ratio grows" is then a one-sample test on the slopes (the claims
// engine's paired design on differences: paired t and the exact
// signed-rank test).
func SeedSlopes(nets []RatioNet, matched bool, metric func(RatioNet) float64) []float64 {
	bySeed := map[uint64][][2]float64{}
	var seeds []uint64
	for _, n := range nets {
		if n.Matched != matched || math.IsNaN(metric(n)) {
			continue
		}
		if _, ok := bySeed[n.Seed]; !ok {
			seeds = append(seeds, n.Seed)
		}
		bySeed[n.Seed] = append(bySeed[n.Seed], [2]float64{math.Log2(float64(n.Ratio)), metric(n)})
	}
	slices.Sort(seeds)
	var out []float64
	for _, s := range seeds {
		pts := bySeed[s]
		if len(pts) < 2 {
			continue
		}
		x, y := make([]float64, len(pts)), make([]float64, len(pts))
		for i, p := range pts {
			x[i], y[i] = p[0], p[1]
		}
		out = append(out, analysis.OLSSlope(x, y))
	}
	return out
}

// ratioClaims are the sketch's expansion-ratio rows on one task, at H = 64
// and at matched parameters: G/H = 32 learns slower than the paper's 4
// ("too high a ratio loses the benefit"), and the CB's share of the
// pre-activation and the accuracy lost without it grow with log₂ G/H ("the
// CB dominates").
func ratioClaims(task string, rows map[string]analysis.GroupRow, cohorts []*Cohort, ratio []int, matched []bool, nets []RatioNet, budget int) []Claim {
	var cs []Claim
	top := Ratios[len(Ratios)-1]
	for _, m := range []bool{false, true} {
		series, sl := "H = 64", "h64"
		if m {
			series, sl = "matched parameters", "matched"
		}
		var hi, paper *Cohort
		for i, c := range cohorts {
			if matched[i] == m && ratio[i] == top {
				hi = c
			}
			if matched[i] == m && ratio[i] == PaperRatio {
				paper = c
			}
		}
		c := betweenClaim(fmt.Sprintf("seed-ratio/%s/%s/auc/ratio-%d-vs-%d", task, sl, top, PaperRatio),
			fmt.Sprintf("too high an expansion ratio loses the benefit: at G/H = %d the CB-RNN learns slower than at the paper's %d (%s)", top, PaperRatio, series),
			sketchWhere("seed-ratio", task, series), fmt.Sprintf("AUC of N over %d epochs, %s − %s", budget, hi.Label, paper.Label),
			"the sketch: \"expansion ratio too high: the cerebellar module dominates and the modularity benefit is lost\"",
			claims.Less, hi.Label, rows[hi.Label].Values.AUC, paper.Label, rows[paper.Label].Values.AUC, 0)
		c.Family = SketchFamily
		cs = append(cs, c)
		for _, mt := range []struct {
			id, what, metric string
			dir              claims.Direction
			f                func(RatioNet) float64
		}{
			{"share", "the CB's share of the core's pre-activation grows", "slope of ‖b_cb‖/‖pre-activation‖ per doubling of G/H, one per seed", claims.Greater, func(n RatioNet) float64 { return n.Share }},
			{"ablation", "removing the CB costs more accuracy", "slope of the ablation drop (accuracy without − with the CB, points) per doubling of G/H, one per seed", claims.Less, func(n RatioNet) float64 { return n.Drop }},
		} {
			slopes := SeedSlopes(nets, m, mt.f)
			c := pairedClaim(fmt.Sprintf("seed-ratio/%s/%s/%s-slope", task, sl, mt.id),
				fmt.Sprintf("the CB dominates as the ratio grows: %s with G/H (%s)", mt.what, series),
				sketchWhere("seed-ratio", task, series), mt.metric,
				"the sketch: \"the cerebellar module dominates\" at a high expansion ratio",
				mt.dir, "slope", slopes, "", nil, 3)
			c.Family = SketchFamily
			if len(nets) == 0 {
				c.NotTestable = "the networks of the sweep share no N at which to measure them"
			}
			cs = append(cs, c)
		}
	}
	return cs
}
