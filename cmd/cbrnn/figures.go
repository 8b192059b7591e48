package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/trainer"
)

func init() {
	register("figures", "train what the paper's figures need and draw them (figures/, paper/results.md); --slurm on a cluster", runFigures)
}

func runFigures(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	profile := fs.String("profile", experiments.DefaultProfile, experiments.ProfileList())
	jobs := fs.Int("jobs", 0, "ensembles trained at once (0: one per core on the Go backend, up to the ensembles to train; 1 on an accelerator). On the Go backend they share the cores: each spreads its members over single-threaded executors on its share, and the last ones take the cores the others free")
	list := fs.Bool("list", false, "list the figure ids and profiles")
	acceptPlugin := fs.Bool("accept-plugin-change", false, "reuse or resume runs even though their task plugin changed since they were trained (also CBRNN_ACCEPT_PLUGIN_CHANGE=1)")
	acceptNumerics := fs.Bool("accept-numerics-change", false, "resume runs even though this build's numerics differ from theirs (also CBRNN_ACCEPT_NUMERICS_CHANGE=1)")
	acceptProvenance := fs.Bool("accept-missing-provenance", false, "reuse or resume runs whose provenance.json is missing or damaged, unchecked (also CBRNN_ACCEPT_MISSING_PROVENANCE=1)")
	batchTimeout := fs.Duration("batch-timeout", 0, "longest a task plugin may take to serve one batch (0: $CBRNN_BATCH_TIMEOUT, else the plugin's manifest entry, else 10s)")
	rf := addRunsFlags(fs)
	offline := fs.Bool("offline", false, "train nothing: draw the figures whose runs have all finished, list the unfinished runs in paper/results.md, exit 1 if there are any")
	plan := fs.String("plan", "", "with --offline: the cluster plan (plan.json) whose array tasks trained the runs, to name each unfinished run's task and log")
	sl := slurmFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cbrnn figures [--profile P] [--jobs N] [--offline] [--slurm [--dry-run] [Slurm options]] [id …]  (default: every figure)\n"+
			"       cbrnn figures --runs DIR[,DIR…] [--out DIR] [--profile P] id …  (%s from given runs)\n", strings.Join(experiments.RunFigureIDs(), ", "))
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
		for _, n := range experiments.ProfileNames {
			fmt.Printf("profile %-8s %s\n", n, experiments.Profiles[n].Summary)
		}
		return nil
	}
	p, err := experiments.LookupProfile(*profile)
	if err != nil {
		return err
	}
	if *jobs < 0 {
		return fmt.Errorf("--jobs %d is outside its domain: 0 (automatic) or a number of ensembles trained at once", *jobs)
	}
	if *batchTimeout < 0 {
		return fmt.Errorf("--batch-timeout %v is outside its domain: 0 (the default) or a positive duration such as 30s", *batchTimeout)
	}
	if err := sl.check(fs, *offline); err != nil {
		return err
	}
	env, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Jobs: *jobs, Progress: os.Stderr, BatchTimeout: *batchTimeout,
		Accept: trainer.Accept{PluginChange: *acceptPlugin, NumericsChange: *acceptNumerics, MissingProvenance: *acceptProvenance}})
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
		fmt.Fprintf(os.Stderr, "runs that did not finish (listed in %s):\n", env.ResultsPathOf(p))
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
