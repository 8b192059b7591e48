package experiments

import (
	"context"
	"fmt"
	"strings"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/figdata"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

func appG(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0] // [task][group]: CB-RNN (G=256), Frozen-core, CB-RNN G=512
	studies := make([][]*ModuleStudy, len(cs))
	for ti := range cs {
		for _, c := range cs[ti] {
			s, err := e.ModuleStudyOf(ctx, c, p)
			if err != nil {
				return nil, err
			}
			studies[ti] = append(studies[ti], s)
		}
	}
	tasks := scalingTasks(p, 0)
	d := drawAppG(tasks, studies)
	if err := e.SaveFigData("appG", p, all, ModulesData(tasks, studies, d.Markdown)); err != nil {
		return nil, err
	}
	for ti, name := range tasks {
		var full, frozen *ModuleStudy
		for _, s := range studies[ti] {
			switch s.Label {
			case CBRNN.Label:
				full = s
			case FrozenCoreGroup.Label:
				frozen = s
			}
		}
		d.Claims = append(d.Claims, moduleClaims(name, full, frozen)...)
	}
	if p.TimescaleUnits > 0 {
		d.Markdown += fmt.Sprintf("At this profile the unit τ fits use at most %d units per population (evenly spaced).\n\n", p.TimescaleUnits)
	}
	return d, nil
}

// drawAppG draws appendix G as the authors' four 2 × 2 figures in one grid:
// rows PCA (d95/width) on DMS and parity, then the population timescale on
// DMS and parity; columns full training (which is also their "GC=256"),
// Frozen-core, and G = 512 — so full vs Frozen-core and GC=256 vs GC=512
// read along each row. studies[task][group].
func drawAppG(tasks []string, studies [][]*ModuleStudy) *Drawing {
	d := &Drawing{W: 16, H: 17}
	var md strings.Builder
	md.WriteString("PCA dimensionality (d95/width) and population timescale τ (first lag where the autocorrelation of the summed activity ≤ 1/e) per module against N, mean ± SEM over the runs that have each N (every checkpoint of each run; at most the profile's MaxCheckpoints, spread evenly).\n\n")
	for ti, task := range tasks {
		md.WriteString(ModulesMarkdown(task, studies[ti]))
		md.WriteString(UnitTauMarkdown(task, studies[ti]))
	}
	// The panels are drawn from the figure data, as the notebook draws them.
	d.Rows = ModulesData(tasks, studies, "").Rows()
	d.Markdown = md.String()
	return d
}

func appH(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0]
	var studies []*RecoveryStudy
	var controls [][]RecoveryControl
	for i := range singleTasks {
		if len(cs[i][0].Dirs) == 0 {
			continue // drawn from given runs of one task only (FigureFromRuns)
		}
		s, err := e.RecoveryStudyOf(ctx, cs[i][0].Dirs, p.RecoverySteps, p.RecoveryEval, p.MaxCheckpoints)
		if err != nil {
			return nil, err
		}
		studies = append(studies, s)
		var c []RecoveryControl
		if len(s.Ns) > 0 {
			// The controls at the lowest shared N, where the retrained
			// accuracy falls (METHODS §4.5).
			if c, err = e.RecoveryControlsAt(ctx, cs[i][0].Dirs, s.Ns[0], p.RecoverySteps, p.RecoveryEval); err != nil {
				return nil, err
			}
		}
		controls = append(controls, c)
	}
	if len(studies) == 0 {
		return nil, fmt.Errorf("readout recovery: no runs")
	}
	d := DrawAppH(studies)
	o := gm.PaperOptim()
	data := figdata.Recovery{Controls: controls, LR: o.LR, Momentum: o.Momentum, Nesterov: o.Nesterov}
	for _, s := range studies {
		data.Studies = append(data.Studies, *s)
	}
	if err := e.SaveFigData("appH", p, all, data); err != nil {
		return nil, err
	}
	d.Markdown += recoveryControlsMarkdown(studies, controls)
	d.Claims = recoveryClaims(studies)
	return d, nil
}

// recoveryControlsMarkdown tabulates the protocol against its controls.
func recoveryControlsMarkdown(studies []*RecoveryStudy, controls [][]RecoveryControl) string {
	var b strings.Builder
	b.WriteString("**Protocol or defect?** At the lowest shared N the same retraining is also run with a ten times smaller step, and on the intact network (CB kept). Mean ± SEM over networks of the held-out accuracy before → after, and of the held-out cross-entropy before → after.\n\n| task | N | retraining | accuracy before → after | change | cross-entropy before → after |\n|---|---|---|---|---|---|\n")
	for i, cs := range controls {
		for _, c := range cs {
			diff := make([]float64, len(c.Start))
			for k := range diff {
				diff[k] = c.End[k] - c.Start[k]
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s → %s | %s | %.3f → %.3f |\n", displayTask(studies[i].Task), c.N, c.Name,
				pm(analysis.Summarise(c.Start), 1), pm(analysis.Summarise(c.End), 1), pm(analysis.Summarise(diff), 1),
				analysis.Summarise(c.StartLoss).Mean, analysis.Summarise(c.EndLoss).Mean)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// DrawAppH draws the readout recovery as the authors do: per task, the
// accuracy with the CB, with it removed, and removed with the readout
// retrained, against N (mean ± SEM over networks), and the two gaps to the
// intact network.
func DrawAppH(studies []*RecoveryStudy) *Drawing {
	d := &Drawing{W: 11, H: 8.4}
	var md strings.Builder
	var data []figdata.RecoveryStudy
	for _, s := range studies {
		data = append(data, *s)
		name := displayTask(s.Task)
		fmt.Fprintf(&md, "**%s** — %d networks, N ∈ %s (the checkpoints all have); per run and N, %d fixed evaluation batches of %d; mean ± SEM over networks; held-out cross-entropy of the CB-disabled network before → after the retraining.\n\n| N | with CB | CB disabled | readout trained | cross-entropy |\n|---|---|---|---|---|\n",
			name, len(s.Nets), formatNs(s.Ns), s.EvalBatches, s.B)
		for _, r := range RecoveryRows(s) {
			md.WriteString("| " + strings.Join(r, " | ") + " |\n")
		}
		md.WriteString("\n")
	}
	steps := 0
	if len(studies) > 0 {
		steps = studies[0].Steps
	}
	// The panels are drawn from the figure data, as the notebook draws them.
	d.Rows = figdata.RecoveryPanels(data)
	d.Markdown = fmt.Sprintf("The readout alone retrained for %d SGD steps (lr 0.01, momentum 0.1, Nesterov, no clipping, from the trained readout, one fresh batch per step) after the CB is disabled; every accuracy of a run and N on the same evaluation trials. "+
		"The retrained value is the last iterate of a short, noisy descent on cross-entropy: the cross-entropy falls, but where the two classes are separated by a small logit margin (low N) the accuracy of the last iterate can fall below the untrained one — the authors' own logs show the same, and the same protocol applied to the intact network moves its accuracy too (paper/METHODS §4.5).\n\n", steps) + md.String()
	return d
}

// RecoveryRows is the per-N table of a readout-recovery study: N, accuracy
// with the CB, with it disabled and with the readout retrained (mean ± SEM
// over networks), and the cross-entropy before → after the retraining. The
// figure and its notebook tabulate it alike.
func RecoveryRows(s *RecoveryStudy) [][]string { return s.Rows() }
