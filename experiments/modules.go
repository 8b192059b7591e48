package experiments

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// PCA dimensionality and timescales per module against N, as the authors
// compute and draw them (paper/METHODS §4.6–4.7;
// analysis/pca_dimensionality.py: summarize_multi_runs_pca_for_multi_keys,
// plot_two_tasks_full_vs_reservoir_pca_mean_2x2,
// plot_two_tasks_small_vs_large_pca_mean_2x2; analysis/cb_timescales_utils.py:
// summarize_timescale_run, average_across_runs_timescales,
// plot_two_task_full_vs_reservoir_e_folding_2x2,
// plot_two_task_small_vs_large_e_folding_2x2). Every checkpoint of each run
// is analysed (no intersection across runs), capped at the profile's
// MaxCheckpoints spread evenly.

// ModuleStudy holds one cohort's per-module measures against N.
type ModuleStudy struct {
	Label string
	Group Group
	// UnitTau maps population → N → each run's median unit τ, at every
	// checkpoint when the profile fits units everywhere (UnitTausEveryN),
	// else at each run's last one only.
	UnitTau map[string]map[int][]float64
	// D95 and Tau map population → N → one value per run that has N:
	// d95/width, and the population timescale (first lag where the
	// autocorrelation of the summed activity is ≤ 1/e; NaN if not within
	// 199 lags).
	D95, Tau map[string]map[int][]float64
	// At each run's last analysed checkpoint: PCA, sparseness and the
	// median unit τ (the unit fits are costly, so only there).
	LastDims     map[string][]analysis.Dim
	LastSparse   map[string][]Sparseness
	LastUnitTau  map[string][]float64
	LastPopTau   map[string][]float64
	Checkpointed int // checkpoints analysed, over all runs
	Runs         int // runs of the cohort
}

// ModuleStudyOf measures every run of a cohort at its checkpoints (at most
// p.MaxCheckpoints per run): PCA on p.PCABatches batches per N, the
// population timescales on p.TimescaleT steps × p.TimescaleTrials trials.
func (e *Env) ModuleStudyOf(ctx context.Context, c *Cohort, p Profile) (*ModuleStudy, error) {
	s := &ModuleStudy{Label: c.Label, Group: c.Group, Runs: len(c.Dirs), D95: map[string]map[int][]float64{}, Tau: map[string]map[int][]float64{}, UnitTau: map[string]map[int][]float64{},
		LastDims: map[string][]analysis.Dim{}, LastSparse: map[string][]Sparseness{}, LastUnitTau: map[string][]float64{}, LastPopTau: map[string][]float64{}}
	add := func(m map[string]map[int][]float64, pop string, n int, v float64) {
		if m[pop] == nil {
			m[pop] = map[int][]float64{}
		}
		m[pop][n] = append(m[pop][n], v)
	}
	for _, dir := range c.Dirs {
		cps, err := Checkpoints(dir, p.MaxCheckpoints)
		if err != nil {
			return nil, err
		}
		for j, cp := range cps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s.Checkpointed++
			last := j == len(cps)-1
			dims, err := e.Dimensionality(ctx, cp, p.PCABatches)
			if err != nil {
				return nil, err
			}
			for pop, dm := range dims.Dims {
				add(s.D95, pop, cp.N, dm.D95PerWidth)
				if last {
					s.LastDims[pop] = append(s.LastDims[pop], dm)
				}
			}
			if last {
				for pop, sp := range dims.Sparsity {
					s.LastSparse[pop] = append(s.LastSparse[pop], sp)
				}
			}
			units := -1 // the population τ only
			if last || p.UnitTausEveryN {
				units = p.TimescaleUnits
			}
			ts, err := e.timescales(cp, p.TimescaleT, p.TimescaleTrials, p.TimescaleDrop, units)
			if err != nil {
				return nil, err
			}
			for pop, t := range ts {
				add(s.Tau, pop, cp.N, t.Population)
				if units >= 0 {
					add(s.UnitTau, pop, cp.N, t.UnitMedian)
				}
				if last {
					s.LastPopTau[pop] = append(s.LastPopTau[pop], t.Population)
					s.LastUnitTau[pop] = append(s.LastUnitTau[pop], t.UnitMedian)
				}
			}
		}
	}
	return s, nil
}

// moduleLabels name the populations (figdata.ModuleLabels).
var moduleLabels = figdata.ModuleLabels

// ModulePanel draws one measure per population against N
// (figdata.ModulePanel, which the appG notebook calls without GoMLX).
func ModulePanel(title, ylabel string, m map[string]map[int][]float64, frozen bool) *plot.Plot {
	return figdata.ModulePanel(title, ylabel, m, frozen)
}

// ModulesData is appendix G's figure data (figdata.Modules): what appG's
// notebook reads back instead of measuring the runs again.
func ModulesData(tasks []string, studies [][]*ModuleStudy, markdown string) figdata.Modules {
	m := figdata.Modules{Tasks: tasks, Markdown: markdown}
	for ti := range tasks {
		var gs []figdata.ModuleGroup
		for _, s := range studies[ti] {
			gs = append(gs, figdata.ModuleGroup{Label: s.Label, Frozen: s.Group.Regime == FrozenCoreGroup.Regime,
				Runs: s.Runs, Checkpointed: s.Checkpointed, D95: s.D95, Tau: s.Tau})
		}
		m.Groups = append(m.Groups, gs)
	}
	return m
}

// ModulesMarkdown is the last-checkpoint table of module studies.
func ModulesMarkdown(task string, studies []*ModuleStudy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — at each run's last analysed checkpoint: d95/width and participation ratio (PCA), population τ (steps; – when beyond 199 lags), median unit τ (fits bounded τ ≤ 500, a ∈ [0, 1]), Treves–Rolls sparseness (population / lifetime).\n\n", displayTask(task))
	b.WriteString("| group | population | d95/width | PR | population τ | unit τ (median) | sparseness |\n|---|---|---|---|---|---|---|\n")
	for _, s := range studies {
		for _, pop := range Populations {
			dims := s.LastDims[pop]
			if len(dims) == 0 {
				continue
			}
			var dw, pr []float64
			for _, dm := range dims {
				dw, pr = append(dw, dm.D95PerWidth), append(pr, dm.PR)
			}
			sparse := "–"
			if ss := s.LastSparse[pop]; len(ss) > 0 {
				var sp, sl []float64
				for _, v := range ss {
					sp, sl = append(sp, v.Population), append(sl, v.Lifetime)
				}
				sparse = pm(analysis.Summarise(sp), 2) + " / " + pm(analysis.Summarise(sl), 2)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Label, moduleLabels[pop], pm(analysis.Summarise(dw), 3), pm(analysis.Summarise(pr), 2),
				pmOf(analysis.SummariseFinite(s.LastPopTau[pop]), len(dims), 1), pmOf(analysis.SummariseFinite(s.LastUnitTau[pop]), len(dims), 1), sparse)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// UnitTauMarkdown tabulates the median unit τ against N (mean ± SEM over
// runs) when it was measured at more than one N (the authors'
// summarize_timescale_run reports it per checkpoint; appG draws the
// population τ).
func UnitTauMarkdown(task string, studies []*ModuleStudy) string {
	var b strings.Builder
	for _, s := range studies {
		for _, pop := range Populations {
			byN := s.UnitTau[pop]
			if len(byN) < 2 {
				continue
			}
			if b.Len() == 0 {
				fmt.Fprintf(&b, "**%s** — median unit τ (steps) against N, mean ± SEM over runs.\n\n| group | population | N: τ |\n|---|---|---|\n", displayTask(task))
			}
			ns := make([]int, 0, len(byN))
			for n := range byN {
				ns = append(ns, n)
			}
			sort.Ints(ns)
			var cells []string
			for _, n := range ns {
				cells = append(cells, fmt.Sprintf("%d: %s", n, pm(analysis.SummariseFinite(byN[n]), 1)))
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Label, moduleLabels[pop], strings.Join(cells, "; "))
		}
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// UnitsByTime turns one trial's activity, an array [T, 1, units] from
// Ensemble.Dynamics, into one row of T values per unit: what a heatmap of a
// module's units over a trial draws.
func UnitsByTime(a gm.Array) [][]float64 {
	t, units := a.Shape[0], a.Shape[2]
	out := make([][]float64, units)
	for u := range out {
		out[u] = make([]float64, t)
		for s := range t {
			out[u][s] = float64(a.Data[s*units+u])
		}
	}
	return out
}
