package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
)

func init() {
	register("figures", "train what the paper's figures need and draw them (figures/, paper/results.md)", runFigures)
}

func runFigures(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	profile := fs.String("profile", "quick", "smoke, quick or paper")
	jobs := fs.Int("jobs", 0, "ensembles trained at once (0: one per core on the Go backend, up to the ensembles to train; 1 on an accelerator). On the Go backend they share the cores: each spreads its members over single-threaded executors on its share, and the last ones take the cores the others free")
	list := fs.Bool("list", false, "list the figure ids and profiles")
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
	env, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Jobs: *jobs, Progress: os.Stderr})
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
