package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
)

func init() {
	register("figures", "train what the paper's figures need and draw them (figures/, paper/results.md); --slurm on a cluster", runFigures)
}

func runFigures(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	profile := fs.String("profile", "quick", "smoke, quick or paper")
	jobs := fs.Int("jobs", 0, "ensembles trained at once (0: one per core on the Go backend, 1 on an accelerator)")
	list := fs.Bool("list", false, "list the figure ids and profiles")
	rf := addRunsFlags(fs)
	offline := fs.Bool("offline", false, "train nothing: draw the figures whose runs have all finished, list the unfinished runs in paper/results.md, exit 1 if there are any")
	plan := fs.String("plan", "", "with --offline: the cluster plan (plan.json) whose array tasks trained the runs, to name each unfinished run's task and log")
	sl := slurmFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cbrnn figures [--profile P] [--jobs N] [--offline] [--slurm [--dry-run] [Slurm options]] [id …]  (default: every figure)\n"+
			"       cbrnn figures --runs DIR[,DIR…] [--out DIR] [--profile P] id …  (fig5, appG, appH from given runs)\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rf.given() {
		return rf.draw(ctx, *profile, fs.Args())
	}
	if *list {
		fmt.Println("figures:", strings.Join(experiments.IDs(), " "))
		for _, n := range []string{"smoke", "quick", "paper"} {
			fmt.Printf("profile %-6s %s\n", n, experiments.Profiles[n].Summary)
		}
		return nil
	}
	p, err := experiments.LookupProfile(*profile)
	if err != nil {
		return err
	}
	if err := sl.check(fs, *offline); err != nil {
		return err
	}
	env, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Jobs: *jobs, Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer env.Close()
	if sl.on {
		return submitFigures(ctx, env, p, fs.Args(), sl)
	}
	if *offline {
		env.Offline = true
		if *plan != "" {
			note, err := runNotes(*plan)
			if err != nil {
				return err
			}
			env.RunNote = note
		}
	} else if *plan != "" {
		return errors.New("--plan goes with --offline")
	}
	rs, err := env.All(ctx, p, fs.Args())
	for _, r := range rs {
		for _, f := range r.PNGs {
			fmt.Println(f)
		}
	}
	var un *experiments.UnfinishedError
	if errors.As(err, &un) {
		fmt.Fprintf(os.Stderr, "runs that did not finish (listed in %s):\n", env.ResultsPath())
		for _, path := range un.Paths {
			note := ""
			if env.RunNote != nil {
				note = "  " + env.RunNote(path)
			}
			fmt.Fprintf(os.Stderr, "  %s  %s%s\n", path, experiments.InspectRun(path).Progress(), note)
		}
	}
	return err
}
