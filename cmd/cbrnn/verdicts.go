package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
)

func init() {
	register("verdicts", "rewrite the READMEs' verdict blocks from the repository's paper/claims.json (after copying a reproduction made with --out into the repository)", runVerdicts)
}

// runVerdicts rewrites the verdict blocks of README.md and paper/README.md
// from paper/claims.json, for the profile paper/results.md names: what
// `cbrnn figures` does itself when it writes into the repository, for a
// report and claims file made elsewhere (`./reproduce.sh --out DIR`) and
// copied in, so the READMEs never state verdicts the committed files do not.
func runVerdicts(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verdicts", flag.ContinueOnError)
	root := fs.String("root", "", "the repository (default: the one this runs in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("verdicts takes no arguments, got %q", fs.Args())
	}
	if *root == "" {
		r, err := env.FindRoot("")
		if err != nil {
			return err
		}
		*root = r
	}
	claimsPath := experiments.ClaimsPath(*root)
	profile := experiments.ReportProfile(claimsPath)
	if profile == "" {
		return fmt.Errorf("%s is missing or does not start with a report's title naming its profile", filepath.Join(*root, "paper", "results.md"))
	}
	rs, err := experiments.ReadClaims(claimsPath)
	if err != nil {
		return err
	}
	if err := experiments.WriteVerdictBlocks(*root, profile, rs); err != nil {
		return err
	}
	fmt.Printf("verdict blocks of README.md and paper/README.md rewritten from paper/claims.json (profile %s, %d claims)\n", profile, len(rs))
	return nil
}
