package experiments

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// What a cluster needs from the experiments: the runs a profile's figures
// need, grouped into the ensembles a local run would train (one array task
// each), a way to train exactly one of those ensembles, and a figures pass
// that trains nothing. The Slurm side lives in internal/slurm, which sees
// the figures only through PlanSource.

// PlanSource is an Env and a profile as a cluster plan sees them: it
// implements internal/slurm's RunSource, which keeps that package off the
// figure catalogue.
type PlanSource struct {
	Env     *Env
	Profile Profile
}

// FigureIDs lists every figure (IDs).
func (s PlanSource) FigureIDs() []string { return IDs() }

// Pending is Env.Pending for the source's profile.
func (s PlanSource) Pending(ctx context.Context, ids []string, maxK int) ([][]trainer.PlannedRun, int, error) {
	return s.Env.Pending(ctx, s.Profile, ids, maxK)
}

// Describe names the shape of a run's network in a few words ("elman H=64
// + CB G=256 P=64"), as progress lines and plans show an ensemble.
func (s PlanSource) Describe(c trainer.Config) string { return describe(c) }

// Lengths is the task's declared rule of sequence lengths, asked of its
// plugin.
func (s PlanSource) Lengths(ctx context.Context, task string) (costmodel.Lengths, error) {
	d, err := s.Env.Source.Describe(ctx, task)
	if err != nil {
		return nil, err
	}
	return d.TBounds, nil
}

// Needs lists the configs of every run the figures ids need (all figures if
// ids is empty), in Plan's order; a run two figures share appears twice.
func (e *Env) Needs(ctx context.Context, p Profile, ids []string) ([]trainer.Config, error) {
	if len(ids) == 0 {
		ids = IDs()
	}
	var cfgs []trainer.Config
	for _, id := range ids {
		f, err := LookupFigure(id)
		if err != nil {
			return nil, err
		}
		for i, n := range f.Needs {
			if n.Epochs(p) <= 0 {
				continue // this profile trains nothing of this need
			}
			for _, name := range f.NeedTasks(p, i) {
				d, err := e.Source.Describe(ctx, name)
				if err != nil {
					return nil, err
				}
				for _, g := range n.Groups {
					cs, err := Configs(g, d, p, n.Epochs(p))
					if err != nil {
						return nil, err
					}
					cfgs = append(cfgs, cs...)
				}
			}
		}
	}
	return cfgs, nil
}

// Pending returns the runs the figures need that have not finished, grouped
// as Ensure would group them with at most maxK runs per ensemble (0: this
// Env's default), and how many distinct runs are needed in all. It reads
// run directories and creates nothing.
func (e *Env) Pending(ctx context.Context, p Profile, ids []string, maxK int) (ens [][]trainer.PlannedRun, needed int, err error) {
	cfgs, err := e.Needs(ctx, p, ids)
	if err != nil {
		return nil, 0, err
	}
	var pending []trainer.PlannedRun
	seen := map[string]bool{}
	for _, c := range cfgs {
		path, err := e.RunPath(c)
		if err != nil {
			return nil, 0, err
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		done, err := finished(path)
		if err != nil {
			return nil, 0, err
		}
		if !done {
			pending = append(pending, trainer.PlannedRun{Config: c, Path: path})
		}
	}
	if maxK <= 0 {
		_, maxK = e.parallelism()
	}
	for _, idx := range ensembles(pending, func(r trainer.PlannedRun) trainer.Config { return r.Config }, maxK) {
		ch := make([]trainer.PlannedRun, len(idx))
		for j, i := range idx {
			ch[j] = pending[i]
		}
		ens = append(ens, ch)
	}
	return ens, len(seen), nil
}

// finished reports whether the run directory at path holds a finished run;
// a directory that does not exist holds none.
func finished(path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	d := &rundir.Dir{Path: path}
	return d.Done()
}

// TrainEnsemble trains runs as one ensemble, as one array task of a cluster
// plan does: each run resumes from its directory; finished ones are skipped.
// The runs must be able to share one graph (Pending grouped them so).
func (e *Env) TrainEnsemble(ctx context.Context, runs []trainer.PlannedRun) error {
	var rs []trainer.Run
	for _, r := range runs {
		want, err := e.RunPath(r.Config)
		if err != nil {
			return err
		}
		if want != r.Path {
			return fmt.Errorf("the plan puts a run in %s, but its config belongs in %s: was the plan written for another CBRNN_OUT or by another version?", r.Path, want)
		}
		d, err := rundir.Create(r.Path, r.Config)
		if err != nil {
			return err
		}
		done, err := d.Done()
		if err != nil {
			return err
		}
		if !done {
			rs = append(rs, trainer.Run{Config: r.Config, Dir: d})
		}
	}
	if len(rs) == 0 {
		if e.Progress != nil {
			fmt.Fprintf(e.Progress, "every run of this ensemble has finished already\n")
		}
		return nil
	}
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, "▶ ensemble: %d run(s) of %s\n", len(rs), describe(rs[0].Config))
		for _, r := range rs {
			fmt.Fprintf(e.Progress, "  %s%s\n", r.Dir.Path, resumeNote(r.Dir))
		}
	}
	return trainLocked(ctx, rs, trainer.Options{Backend: e.Backend, Source: e.Source, Progress: e.Progress, Accept: e.Accept})
}

// resumeNote says where an existing run resumes.
func resumeNote(d *rundir.Dir) string {
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil || len(st) == 0 {
		return ""
	}
	s := fmt.Sprintf(" (resumes after epoch %d", len(st))
	if p, err := trainer.ReadPartial(d); err == nil && p != nil {
		s = fmt.Sprintf(" (resumes in epoch %d at batch %d", len(st)+1, p.Step)
	}
	return s + ")"
}

// UnfinishedError names the runs an offline Env needed but found
// unfinished.
type UnfinishedError struct {
	Paths []string
}

func (u *UnfinishedError) Error() string {
	return fmt.Sprintf("%d run(s) not finished: %s", len(u.Paths), strings.Join(u.Paths, ", "))
}

// finishedOnly is Ensure offline: the directories of cfgs, all finished, or
// an *UnfinishedError.
func (e *Env) finishedOnly(ctx context.Context, cfgs []trainer.Config) ([]*rundir.Dir, error) {
	dirs := make([]*rundir.Dir, len(cfgs))
	var missing []string
	seen := map[string]bool{}
	for i, c := range cfgs {
		p, err := e.RunPath(c)
		if err != nil {
			return nil, err
		}
		done, err := finished(p)
		if err != nil {
			return nil, err
		}
		dirs[i] = &rundir.Dir{Path: p}
		if !done && !seen[p] {
			missing = append(missing, p)
		}
		if done && !seen[p] && e.Source != nil {
			// Drawn from only if its task plugin is still the one that
			// made its data, as for Ensure's cache hits.
			if err := trainer.CheckReuse(ctx, e.Source, dirs[i], e.Accept); err != nil {
				return nil, err
			}
		}
		seen[p] = true
	}
	if len(missing) > 0 {
		return nil, &UnfinishedError{Paths: missing}
	}
	return dirs, nil
}
