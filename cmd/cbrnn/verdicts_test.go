package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/experiments"
)

// TestVerdictsRewritesBlocks: `cbrnn verdicts` puts the committed claims
// file's verdicts, for the profile the report names, into both READMEs'
// blocks, leaves the text around them alone, rewrites standard's block
// from paper/standard/ alone, and refuses a report that names no profile
// or the wrong one.
func TestVerdictsRewritesBlocks(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale := "before\n" + experiments.VerdictBegin + "\nstale\n" + experiments.VerdictEnd + "\nafter\n"
	write("README.md", stale)
	write("paper/README.md", stale)
	write("paper/results.md", "# Reproduction results — profile `quick`\n\nbody\n")
	rs := []experiments.ClaimRecord{{ID: "a", Family: experiments.FamilyPaper, Claim: "A above B", Verdict: "inconclusive", Sentence: "Inconclusive: A 2 vs B 1."}}
	if err := experiments.WriteClaims(experiments.ClaimsPath(root), rs); err != nil {
		t.Fatal(err)
	}
	if err := runVerdicts(context.Background(), []string{"--root", root}); err != nil {
		t.Fatal(err)
	}
	want := "before\n" + experiments.VerdictBlock("quick", rs) + "\nafter\n"
	for _, rel := range []string{"README.md", "paper/README.md"} {
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s:\n%s\nwant\n%s", rel, got, want)
		}
	}

	// Standard's committed claims rewrite standard's block alone; a report
	// there of another profile is refused.
	stdBlock := func(rs []experiments.ClaimRecord) string { return experiments.VerdictBlock("standard", rs) }
	stale = want + stdBlock(nil) + "\nend\n"
	write("paper/README.md", stale)
	write("paper/standard/results.md", "# Reproduction results — profile `standard`\n\nbody\n")
	std := []experiments.ClaimRecord{{ID: "a", Family: experiments.FamilyPaper, Claim: "A above B", Verdict: "supported", Sentence: "Supported: A 3 vs B 1."}}
	sp, err := experiments.LookupProfile("standard")
	if err != nil {
		t.Fatal(err)
	}
	if err := experiments.WriteClaims(experiments.ClaimsPathOf(root, root, sp), std); err != nil {
		t.Fatal(err)
	}
	if err := runVerdicts(context.Background(), []string{"--root", root}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(root, "paper/README.md")); err != nil || string(got) != want+stdBlock(std)+"\nend\n" {
		t.Errorf("paper/README.md with standard's block:\n%s\nwant\n%s", got, want+stdBlock(std)+"\nend\n")
	}
	write("paper/standard/results.md", "# Reproduction results — profile `quick`\n")
	if err := runVerdicts(context.Background(), []string{"--root", root}); err == nil || !strings.Contains(err.Error(), "not standard") {
		t.Errorf("standard's folder holding quick's report: %v", err)
	}

	write("paper/results.md", "no title\n")
	if err := runVerdicts(context.Background(), []string{"--root", root}); err == nil || !strings.Contains(err.Error(), "naming its profile") {
		t.Errorf("a report without a title: %v", err)
	}
}
