package experiments

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// FigureFromRuns draws figure id from the given finished runs instead of
// the profile's cached runs: networks trained elsewhere, e.g. the authors'
// own, imported with `cbrnn import-run`. Each run joins the figure's group
// whose network (the registry's model at the group's sizes, for the run's
// task) and regime are the run's: a cb-rnn (G=256) run under the standard
// regime is a "CB-RNN" run, a frozen-core one a "Frozen-core" run, a G=512
// one a "CB-RNN G=512" run; a run of other sizes joins the first group of
// its model and regime; runs that fit no group of the figure are left out
// and listed. The profile sets
// the analyses' sizes (evaluation batches, checkpoints per run, …). The
// figure goes to outDir as id.png, id.svg and id.md.
func (e *Env) FigureFromRuns(ctx context.Context, id string, p Profile, dirs []*rundir.Dir, outDir string) (*Result, error) {
	f, ok := lookup(id)
	if !ok || !f.FromRuns {
		return nil, fmt.Errorf("figure %q cannot be drawn from given runs (these can: %s)", id, strings.Join(RunFigureIDs(), ", "))
	}
	type run struct {
		dir *rundir.Dir
		cfg trainer.Config
	}
	runs := make([]run, len(dirs))
	for i, d := range dirs {
		runs[i].dir = d
		if err := d.ReadConfig(&runs[i].cfg); err != nil {
			return nil, err
		}
	}
	used := make([]bool, len(runs))
	var cs [][][]*Cohort
	total := 0
	for _, n := range f.Needs {
		var perTask [][]*Cohort
		for _, name := range n.Tasks {
			desc, err := e.Source.Describe(ctx, name)
			if err != nil {
				return nil, err
			}
			// A run joins the group whose network and regime it has; a run
			// whose network is no group's (other sizes) joins the first
			// group of its model and regime.
			groupOf := map[int]int{}
			for pass := range 2 {
				for gi, g := range n.Groups {
					model, err := ModelConfig(g, desc)
					if err != nil {
						return nil, err
					}
					for i, r := range runs {
						if _, done := groupOf[i]; done || r.cfg.Task != name || r.cfg.Regime != g.Regime {
							continue
						}
						if pass == 0 && reflect.DeepEqual(r.cfg.Model, model) || pass == 1 && r.cfg.ModelName == g.Model {
							groupOf[i] = gi
						}
					}
				}
			}
			row := make([]*Cohort, len(n.Groups))
			for gi, g := range n.Groups {
				row[gi] = &Cohort{Group: g, Task: desc, Label: g.Label}
			}
			for i, r := range runs {
				gi, ok := groupOf[i]
				if !ok {
					continue
				}
				curve, err := NCurve(r.dir)
				if err != nil {
					return nil, err
				}
				c := row[gi]
				used[i] = true
				c.Dirs, c.Curves = append(c.Dirs, r.dir), append(c.Curves, curve)
				c.Params, c.Budget = r.cfg.Model.Count().Total, max(c.Budget, r.cfg.Epochs)
				total++
			}
			perTask = append(perTask, row)
		}
		cs = append(cs, perTask)
	}
	var left []string
	for i, u := range used {
		if !u {
			c := runs[i].cfg
			left = append(left, fmt.Sprintf("%s (%s, %s, %s)", runs[i].dir.Path, c.Task, c.ModelName, c.Regime))
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("%s: none of the runs fits its groups (%s); runs: %s", id, describeNeeds(f.Needs), strings.Join(left, "; "))
	}
	d, err := f.Draw(ctx, e, p, cs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	var md strings.Builder
	md.WriteString("Drawn from given runs:\n\n")
	for _, r := range runs {
		if ns, err := r.dir.CheckpointNs(); err == nil {
			fmt.Fprintf(&md, "- %s: %s %s on %s, checkpoints N = %s\n", r.dir.Path, r.cfg.ModelName, r.cfg.Regime, r.cfg.Task, rundir.FormatNs(ns))
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(&md, "\nLeft out (no group of %s): %s\n", id, strings.Join(left, "; "))
	}
	md.WriteString("\n" + d.Markdown)
	d.Markdown = md.String()
	res, err := d.Save(outDir, f)
	if err != nil {
		return nil, err
	}
	res.Claims = nil // runs from elsewhere are not the profile's: no claim is judged on them
	return res, nil
}

func describeNeeds(needs []Need) string {
	var parts []string
	for _, n := range needs {
		for _, g := range n.Groups {
			parts = append(parts, fmt.Sprintf("%s = %s %s on %s", g.Label, g.Model, g.Regime, strings.Join(n.Tasks, "/")))
		}
	}
	return strings.Join(parts, "; ")
}
