package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
)

func init() {
	register("plan", "what would decide the inconclusive claims: networks per group for 80 % power and the price of a profile with them", runPlan)
}

// runPlan prints the "what it would take" table of a profile from its
// claims file, paper/claims.json, which `cbrnn figures` writes from the
// cached runs in the same run as paper/results.md: the plan reads the
// verdicts rather than judging the runs again, so it can never disagree
// with the report.
func runPlan(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	profile := fs.String("profile", experiments.DefaultProfile, experiments.ProfileList()+": the budgets and batches priced")
	out := fs.String("out", "", "the output folder whose paper/claims.json is read (default $CBRNN_OUT, else the repository)")
	cores := fs.Int("cores", runtime.NumCPU(), "cores of the machine priced as \"this machine\"")
	local := fs.Bool("local", false, "print instead the predicted wall time of the profile's whole training on this machine's --cores (METHODS §3.10)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("plan takes no arguments, got %q", fs.Args())
	}
	if *cores < 1 {
		return fmt.Errorf("--cores %d: give at least 1", *cores)
	}
	p, err := experiments.LookupProfile(*profile)
	if err != nil {
		return err
	}
	if *local {
		return printLocal(ctx, p, *cores)
	}
	root, err := env.FindRoot("")
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = os.Getenv("CBRNN_OUT")
	}
	if dir == "" {
		dir = root
	}
	// A profile with its own folder (standard) keeps its claims in
	// paper/<dir>/ of the repository.
	path := filepath.Join(dir, "paper", experiments.ProfileSubdir(dir, root, p), "claims.json")
	rs, err := experiments.ReadClaims(path)
	if err != nil {
		return fmt.Errorf("%w; for profile %s: cbrnn figures --profile %s --offline", err, p.Name, p.Name)
	}
	bs, err := experiments.PriceBackends(root, *cores)
	if err != nil {
		return err
	}
	md, err := experiments.PlanMarkdown(p, rs, bs)
	if err != nil {
		return err
	}
	fmt.Printf("claims read from %s (written by `cbrnn figures`)\n\n%s", filepath.Clean(path), md)
	return nil
}

// printLocal prints the local prediction of a profile's reproduction
// (experiments.PriceProfileLocal): every run its figures need, finished or
// not, priced at the quick-measured learning speed and calibrated on
// quick's measured training.
func printLocal(ctx context.Context, p experiments.Profile, cores int) error {
	e, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Progress: io.Discard})
	if err != nil {
		return err
	}
	defer e.Close()
	lp, err := e.PriceProfileLocal(ctx, p, nil, cores)
	if err != nil {
		return err
	}
	round := func(d time.Duration) time.Duration { return d.Round(time.Minute) }
	fmt.Printf("profile %s on %d cores: %d runs in %d ensembles, %s of core time; priced %s, predicted training %s (× %s measured / %s priced on quick's 167 runs, trained here on 2026-12-07)\n",
		p.Name, cores, lp.Runs, lp.Ensembles, round(lp.Work), round(lp.Priced), round(lp.Predicted), experiments.QuickMeasured, experiments.QuickPriced)
	if p.Name == "standard" {
		fmt.Printf("with the figures and notebooks (%s): %s in all\n", experiments.StandardDrawing, round(lp.Predicted+experiments.StandardDrawing))
	}
	return nil
}
