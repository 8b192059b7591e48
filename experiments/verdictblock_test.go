package experiments

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/env"
)

// TestVerdictBlocks: the READMEs' verdicts come from the engine. The block
// is replaced whole; paper/README.md has one, and where the repository
// holds a claims file its block is the one VerdictBlock writes from it.
// README.md's statement about n = 3 is what the exact tests give.
func TestVerdictBlocks(t *testing.T) {
	rs := []ClaimRecord{
		{ID: "a", Family: FamilyPaper, Claim: "A above B", Verdict: "inconclusive", Sentence: "Inconclusive: A 2 ± 1 vs B 1 ± 1."},
		{ID: "b", Family: FamilyControls, Claim: "a control", Verdict: "supported", Sentence: "Supported: …"},
		{ID: "c", Family: SketchFamily, Claim: "the sketch's C", Verdict: "contradicted", Sentence: "Contradicted: C 1 vs D 2."},
	}
	block := VerdictBlock("quick", rs)
	for _, w := range []string{"**1 supported, 1 contradicted, 1 inconclusive, 0 not testable**", "* A above B — Inconclusive: A 2 ± 1 vs B 1 ± 1.", "cbrnn plan --profile quick",
		"**The sketch's statements**", "* the sketch's C — **does not hold here: the runs show the opposite**. Contradicted: C 1 vs D 2."} {
		if !strings.Contains(block, w) {
			t.Errorf("block lacks %q:\n%s", w, block)
		}
	}
	if strings.Contains(block, "a control") {
		t.Error("the block lists controls as the paper's claims")
	}
	text := "before\n" + VerdictBegin + "\nstale\n" + VerdictEnd + "\nafter\n"
	got, err := ReplaceVerdictBlock(text, block)
	if err != nil || got != "before\n"+block+"\nafter\n" {
		t.Errorf("replaced: %q, %v", got, err)
	}
	if _, err := ReplaceVerdictBlock("no markers", block); err == nil {
		t.Error("a text without the block must be an error")
	}

	// Standard's block has markers of its own: quick's and standard's stand
	// side by side, and each is replaced alone.
	std := VerdictBlock("standard", rs[:1])
	if !strings.HasPrefix(std, "<!-- verdicts: written by `cbrnn figures` from paper/standard/claims.json; do not edit -->") ||
		!strings.HasSuffix(std, "<!-- /verdicts standard -->") || !strings.Contains(std, "At profile `standard`") {
		t.Errorf("standard's block:\n%s", std)
	}
	both := "a\n" + VerdictBegin + "\nq\n" + VerdictEnd + "\nb\n" + "<!-- verdicts: written by `cbrnn figures` from paper/standard/claims.json; do not edit -->\ns\n<!-- /verdicts standard -->\nc\n"
	got, err = ReplaceVerdictBlock(both, std)
	if want := "a\n" + VerdictBegin + "\nq\n" + VerdictEnd + "\nb\n" + std + "\nc\n"; err != nil || got != want {
		t.Errorf("standard's block replaced: %q, %v", got, err)
	}
	if got, err := ReplaceVerdictBlock(both, block); err != nil || VerdictBlockOf(got) != block || VerdictBlockFor(got, "standard") != VerdictBlockFor(both, "standard") {
		t.Errorf("quick's block replaced: %q, %v", got, err)
	}

	root, err := env.FindRoot("")
	if err != nil {
		t.Skip("no repository root:", err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "paper", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	have := VerdictBlockOf(string(readme))
	if have == "" {
		t.Fatal("paper/README.md has no verdict block")
	}
	if committed, err := ReadClaims(ClaimsPath(root)); err == nil {
		profile := ReportProfile(ClaimsPath(root))
		if profile == "" {
			t.Fatal("paper/results.md names no profile")
		}
		if want := VerdictBlock(profile, committed); have != want {
			t.Errorf("paper/README.md's verdicts are not the committed claims file's; run `cbrnn figures` to rewrite them")
		}
	}
	// Standard's committed outputs come with their block, the one their
	// claims file gives.
	sp, err := LookupProfile("standard")
	if err != nil {
		t.Fatal(err)
	}
	if committed, err := ReadClaims(ClaimsPathOf(root, root, sp)); err == nil {
		if p := ReportProfile(ClaimsPathOf(root, root, sp)); p != "standard" {
			t.Fatalf("paper/standard/results.md is the report of %q", p)
		}
		if have, want := VerdictBlockFor(string(readme), "standard"), VerdictBlock("standard", committed); have != want {
			t.Errorf("paper/README.md's standard verdicts are not paper/standard/claims.json's; run `cbrnn verdicts` to rewrite them")
		}
	}

	// README.md: "at n = 3 … the smallest possible p is 0.1".
	top, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	perm, err := claims.Permutation([]float64{4, 5, 6}, []float64{1, 2, 3}, claims.PermutationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(top)), " ")
	if perm.MinP != 0.1 || !strings.Contains(flat, "At n = 3 the claims engine's exact tests cannot reach p < 0.05 (the smallest possible p is 0.1)") {
		t.Errorf("README.md's n = 3 statement; the permutation test's smallest p at 3 vs 3 is %v", perm.MinP)
	}
	sr, err := claims.SignedRank([]float64{1, 2, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sr.MinP != 0.25 || !strings.Contains(block, "(paired: 0.25)") {
		t.Errorf("the signed-rank test's smallest p at 3 pairs is %v", sr.MinP)
	}
}

// TestPlanPrices: a profile with more networks costs more, the GPU price
// says it is assumed, and the plan lists the inconclusive rows with their n.
func TestPlanPrices(t *testing.T) {
	root, err := env.FindRoot("")
	if err != nil {
		t.Skip("no repository root:", err)
	}
	bs, err := PriceBackends(root, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bs[2].Name, "assumed, not measured") && !strings.Contains(bs[2].Name, "measured") {
		t.Errorf("GPU backend %q", bs[2].Name)
	}
	p := Profiles["quick"]
	for _, b := range bs {
		c3, err := PriceProfile(p, 3, b)
		if err != nil {
			t.Fatal(err)
		}
		c9, err := PriceProfile(p, 9, b)
		if err != nil {
			t.Fatal(err)
		}
		if !(c9.Work > c3.Work && c3.Work > 0 && c9.Wall >= c3.Wall && c9.Runs == 3*c3.Runs) {
			t.Errorf("%s: n = 3 %+v, n = 9 %+v", b.Name, c3, c9)
		}
	}
	js, err := JudgeClaims([]Claim{ab("x/1", []float64{5, 6, 7}, []float64{4, 5, 5}, claims.Greater)})
	if err != nil {
		t.Fatal(err)
	}
	md, err := PlanMarkdown(p, Records(js), bs)
	if err != nil {
		t.Fatal(err)
	}
	obs, _, floor := ParseNeed(js[0].NeedText())
	if !strings.Contains(md, "(`x/1`) | "+strconv.Itoa(obs)+" | – | n = "+strconv.Itoa(max(obs, floor))+": ") {
		t.Errorf("plan:\n%s", md)
	}
}
