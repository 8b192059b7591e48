package experiments

import (
	"context"
	"fmt"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// Cohort is one group trained on one task: its finished runs and their
// N-per-epoch curves.
type Cohort struct {
	Group  Group
	Task   task.Description
	Label  string
	Dirs   []*rundir.Dir
	Curves [][]float64 // N trained at each epoch, per run
	Params int         // trainable parameters of one network
	Budget int         // epoch budget
}

// cohorts trains (or loads) every group on every task at a budget, all in
// one Ensure call so that compatible runs share ensembles.
func (e *Env) cohorts(ctx context.Context, p Profile, taskNames []string, groups []Group, epochs int) ([][]*Cohort, error) {
	type slot struct{ t, g, from, to int }
	var cfgs []trainer.Config
	var slots []slot
	out := make([][]*Cohort, len(taskNames))
	for ti, name := range taskNames {
		d, err := e.Source.Describe(ctx, name)
		if err != nil {
			return nil, err
		}
		out[ti] = make([]*Cohort, len(groups))
		for gi, g := range groups {
			cs, err := Configs(g, d, p, epochs)
			if err != nil {
				return nil, err
			}
			slots = append(slots, slot{ti, gi, len(cfgs), len(cfgs) + len(cs)})
			cfgs = append(cfgs, cs...)
			out[ti][gi] = &Cohort{Group: g, Task: d, Label: LabelFor(g, d), Params: cs[0].Model.Count().Total, Budget: epochs}
		}
	}
	dirs, err := e.Ensure(ctx, cfgs)
	if err != nil {
		return nil, err
	}
	for _, s := range slots {
		c := out[s.t][s.g]
		c.Dirs = dirs[s.from:s.to]
		for _, d := range c.Dirs {
			curve, err := NCurve(d)
			if err != nil {
				return nil, err
			}
			c.Curves = append(c.Curves, curve)
		}
	}
	return out, nil
}

// CohortFromDirs makes a cohort of finished runs given by directory (runs
// trained elsewhere, or by another profile), for Draw: its task and budget
// come from the first run's config, its curves from the runs' records.
func CohortFromDirs(ctx context.Context, src task.Source, label string, g Group, dirs []*rundir.Dir) (*Cohort, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("cohort %s: no runs", label)
	}
	var c0 trainer.Config
	if err := dirs[0].ReadConfig(&c0); err != nil {
		return nil, err
	}
	d, err := src.Describe(ctx, c0.Task)
	if err != nil {
		return nil, err
	}
	c := &Cohort{Group: g, Task: d, Label: label, Dirs: dirs, Params: c0.Model.Count().Total, Budget: c0.Epochs}
	for _, dir := range dirs {
		curve, err := NCurve(dir)
		if err != nil {
			return nil, err
		}
		c.Curves = append(c.Curves, curve)
	}
	return c, nil
}

// NCurve reads the N trained at each epoch of a run.
func NCurve(d *rundir.Dir) ([]float64, error) {
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil {
		return nil, err
	}
	if len(st) == 0 {
		return nil, fmt.Errorf("run %s has no finished epoch", d.Path)
	}
	out := make([]float64, len(st))
	for i, s := range st {
		out[i] = float64(s.N)
	}
	return out, nil
}

// analysisGroups converts cohorts for the analysis package.
func analysisGroups(cs []*Cohort) []analysis.Group {
	out := make([]analysis.Group, len(cs))
	for i, c := range cs {
		out[i] = analysis.Group{Name: c.Label, Curves: c.Curves}
	}
	return out
}
