package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
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
	force     *bool
}

func addRunsFlags(fs *flag.FlagSet) runsFlags {
	return runsFlags{
		runs:  fs.String("runs", "", "draw from these run `DIR`s (comma-separated) instead of training the profile's runs: "+strings.Join(experiments.RunFigureIDs(), ", ")),
		out:   fs.String("out", "", "with --runs: the folder the figures go to (default figures/from-runs)"),
		force: fs.Bool("force", false, "with --runs: draw into --out even though it holds files cbrnn did not write there (figures of the same names are replaced; folders, FIFOs and devices never are)"),
	}
}

func (r runsFlags) given() bool { return *r.runs != "" || *r.out != "" || *r.force }

func (r runsFlags) draw(ctx context.Context, profile string, ids []string) error {
	if *r.runs == "" {
		return errors.New("--out and --force go with --runs DIR[,DIR…]")
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
	if err := checkFiguresOut(out, ids, *r.force); err != nil {
		return err
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

// checkFiguresOut refuses an output folder for figures that holds what
// cbrnn did not write there, unless force: cbrnn writes <id>.png, <id>.svg
// and <id>.md, as regular files, for the figures it knows, and nothing
// else. Whatever force says, the files about to be written must be
// absent, regular files or symlinks (replaced themselves, not followed).
func checkFiguresOut(out string, ids []string, force bool) error {
	fi, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %w", out, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		if !force {
			return fmt.Errorf("refusing to draw into --out %s: it is a symbolic link, and the figures would land wherever it points; give the folder itself, or pass --force", out)
		}
	case !fi.IsDir():
		return fmt.Errorf("refusing to draw into --out %s: it is not a folder", out)
	}
	ours := map[string]bool{}
	for _, id := range experiments.IDs() {
		for _, ext := range []string{".png", ".svg", ".md"} {
			ours[id+ext] = true
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	var foreign []string
	for _, e := range entries {
		if !ours[e.Name()] || !e.Type().IsRegular() {
			foreign = append(foreign, e.Name())
		}
	}
	if len(foreign) > 0 && !force {
		more := ""
		if len(foreign) > 3 {
			more = fmt.Sprintf(" and %d more", len(foreign)-3)
			foreign = foreign[:3]
		}
		return fmt.Errorf("refusing to draw into --out %s: it holds files cbrnn did not write there (%s%s); choose a new or empty folder, or pass --force",
			out, strings.Join(foreign, ", "), more)
	}
	for _, id := range ids {
		for _, ext := range []string{".png", ".svg", ".md"} {
			if err := rundir.CheckReplace(filepath.Join(out, id+ext), true); err != nil {
				return err
			}
		}
	}
	return nil
}
