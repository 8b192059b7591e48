package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/trainer"
)

func init() {
	register("figures", "train what the paper's figures need and draw them (figures/, paper/results.md)", runFigures)
}

func runFigures(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	profile := fs.String("profile", "quick", "smoke, quick or paper")
	jobs := fs.Int("jobs", 0, "ensembles trained at once (0: one per core on the Go backend, 1 on an accelerator)")
	list := fs.Bool("list", false, "list the figure ids and profiles")
	acceptPlugin := fs.Bool("accept-plugin-change", false, "reuse or resume runs even though their task plugin changed since they were trained (also CBRNN_ACCEPT_PLUGIN_CHANGE=1)")
	acceptNumerics := fs.Bool("accept-numerics-change", false, "resume runs even though this build's numerics differ from theirs (also CBRNN_ACCEPT_NUMERICS_CHANGE=1)")
	batchTimeout := fs.Duration("batch-timeout", 0, "longest a task plugin may take to serve one batch (0: $CBRNN_BATCH_TIMEOUT, else the plugin's manifest entry, else 10s)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cbrnn figures [--profile P] [--jobs N] [id …]  (default: every figure)\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
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
	if *jobs < 0 {
		return fmt.Errorf("--jobs %d is outside its domain: 0 (automatic) or a number of ensembles trained at once", *jobs)
	}
	if *batchTimeout < 0 {
		return fmt.Errorf("--batch-timeout %v is outside its domain: 0 (the default) or a positive duration such as 30s", *batchTimeout)
	}
	env, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Jobs: *jobs, Progress: os.Stderr, BatchTimeout: *batchTimeout,
		Accept: trainer.Accept{PluginChange: *acceptPlugin, NumericsChange: *acceptNumerics}})
	if err != nil {
		return err
	}
	defer env.Close()
	rs, err := env.All(ctx, p, fs.Args())
	for _, r := range rs {
		for _, f := range r.PNGs {
			fmt.Println(f)
		}
	}
	return err
}
