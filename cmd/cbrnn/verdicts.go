package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
)

func init() {
	register("verdicts", "rewrite the READMEs' verdict blocks from the repository's paper/claims.json (after copying a reproduction made with --out into the repository)", runVerdicts)
}

// runVerdicts rewrites the verdict blocks of README.md and paper/README.md
// from paper/claims.json, for the profile paper/results.md names, and the
// blocks of each profile with a folder of its own (standard) from
// paper/<dir>/claims.json where the repository holds one: what `cbrnn
// figures` does itself when it writes into the repository, for a report
// and claims file made elsewhere (`./reproduce.sh --out DIR`) and copied
// in, so the READMEs never state verdicts the committed files do not.
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
	if err := rewriteVerdicts(*root, experiments.ClaimsPath(*root), ""); err != nil {
		return err
	}
	for _, name := range experiments.ProfileNames {
		p, err := experiments.LookupProfile(name)
		if err != nil || p.Dir == "" {
			continue
		}
		claimsPath := experiments.ClaimsPathOf(*root, *root, p)
		if _, err := os.Stat(claimsPath); errors.Is(err, os.ErrNotExist) {
			continue // that profile's outputs are not committed
		}
		if err := rewriteVerdicts(*root, claimsPath, p.Name); err != nil {
			return err
		}
	}
	return nil
}

// rewriteVerdicts rewrites, from the claims file at claimsPath, the blocks
// of the profile its report (results.md beside it) names, which must be
// want where want is given.
func rewriteVerdicts(root, claimsPath, want string) error {
	report := filepath.Join(filepath.Dir(claimsPath), "results.md")
	profile := experiments.ReportProfile(claimsPath)
	switch {
	case profile == "":
		return fmt.Errorf("%s is missing or does not start with a report's title naming its profile", report)
	case want != "" && profile != want:
		return fmt.Errorf("%s is the report of profile %s, not %s", report, profile, want)
	}
	rs, err := experiments.ReadClaims(claimsPath)
	if err != nil {
		return err
	}
	if err := experiments.WriteVerdictBlocks(root, profile, rs); err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, claimsPath)
	fmt.Printf("verdict blocks of profile %s in README.md and paper/README.md rewritten from %s (%d claims)\n", profile, filepath.ToSlash(rel), len(rs))
	return nil
}
