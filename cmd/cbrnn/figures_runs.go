package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/rundir"
)

// runsFlags are `cbrnn figures --runs`: draw the figures that analyse
// trained networks from given run directories (e.g. the authors' runs
// brought in with `cbrnn import-run`) instead of the profile's runs.
type runsFlags struct {
	runs, out *string
}

func addRunsFlags(fs *flag.FlagSet) runsFlags {
	return runsFlags{
		runs: fs.String("runs", "", "draw from these run `DIR`s (comma-separated) instead of training the profile's runs: "+strings.Join(experiments.RunFigureIDs(), ", ")),
		out:  fs.String("out", "", "with --runs: the folder the figures go to (default figures/from-runs)"),
	}
}

func (r runsFlags) given() bool { return *r.runs != "" || *r.out != "" }

func (r runsFlags) draw(ctx context.Context, profile string, ids []string) error {
	if *r.runs == "" {
		return errors.New("--out goes with --runs DIR[,DIR…]")
	}
	if len(ids) == 0 {
		return fmt.Errorf("name the figures to draw from --runs (%s)", strings.Join(experiments.RunFigureIDs(), ", "))
	}
	p, err := experiments.LookupProfile(profile)
	if err != nil {
		return err
	}
	var dirs []*rundir.Dir
	for _, path := range strings.Split(*r.runs, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		d, err := rundir.Open(path)
		if err != nil {
			return err
		}
		dirs = append(dirs, d)
	}
	env, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer env.Close()
	out := *r.out
	if out == "" {
		out = filepath.Join(env.FiguresDir(), "from-runs")
	}
	for _, id := range ids {
		res, err := env.FigureFromRuns(ctx, id, p, dirs, out)
		if err != nil {
			return err
		}
		for _, f := range res.PNGs {
			fmt.Println(f)
		}
	}
	return nil
}
