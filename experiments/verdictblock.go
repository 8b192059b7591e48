package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The README's results section and paper/README.md state no verdict by
// hand: each holds a block between VerdictBegin and VerdictEnd that
// VerdictBlock writes from the claims file, and `cbrnn figures` rewrites
// it when it writes the repository's own paper/ (a test checks the
// committed block against the committed claims file).
const (
	VerdictBegin = "<!-- verdicts: written by `cbrnn figures` from paper/claims.json; do not edit -->"
	VerdictEnd   = "<!-- /verdicts -->"
)

// VerdictBlock is the block's text for a profile's records: the counts, and
// one sentence per row of the paper's claims, by verdict.
func VerdictBlock(profile string, rs []ClaimRecord) string {
	var b strings.Builder
	b.WriteString(VerdictBegin + "\n\n")
	count := map[string]int{}
	for _, r := range rs {
		count[r.Verdict]++
	}
	fmt.Fprintf(&b, "At profile `%s` the claims engine (METHODS, *Statistics*) finds, of %d claims: **%d supported, %d contradicted, %d inconclusive, %d not testable**. "+
		"A verdict needs Holm-adjusted p < 0.05 under both Welch's t (paired t) and the exact permutation (signed-rank) test; with 3 networks a group the exact test's smallest possible p is 0.1 (paired: 0.25), "+
		"so at n = 3 no claim can be supported or contradicted, whatever the effect. `cbrnn plan --profile %s` says how many networks each inconclusive claim would need and what they cost.\n\n",
		profile, len(rs), count["supported"], count["contradicted"], count["inconclusive"], count["not testable"], profile)
	for _, v := range []string{"supported", "contradicted", "inconclusive", "not testable"} {
		n := 0
		for _, r := range rs {
			if r.Verdict == v && r.Family == FamilyPaper {
				if n == 0 {
					fmt.Fprintf(&b, "**%s%s:**\n\n", strings.ToUpper(v[:1]), v[1:])
				}
				fmt.Fprintf(&b, "* %s — %s\n", r.Claim, r.Sentence)
				n++
			}
		}
		if n > 0 {
			b.WriteString("\n")
		}
	}
	sketchInPlainWords(&b, rs)
	b.WriteString(VerdictEnd)
	return b.String()
}

// plainVerdict says a verdict as a reader of the sketch asks it: does the
// statement hold on these runs?
var plainVerdict = map[string]string{
	"supported":    "holds here",
	"contradicted": "does not hold here: the runs show the opposite",
	"inconclusive": "undecided here",
	"not testable": "not testable here",
}

// sketchInPlainWords lists the sketch's statements (SketchFamily) in the
// order the report gives them, each with whether it holds on these runs and
// the engine's sentence beside it: the words are the verdict's, nothing is
// added by hand.
func sketchInPlainWords(b *strings.Builder, rs []ClaimRecord) {
	n := 0
	for _, r := range rs {
		if r.Family != SketchFamily {
			continue
		}
		if n == 0 {
			b.WriteString("**The sketch's statements** (the sketch's claims, not the paper's; a Holm family of their own), in plain words:\n\n")
		}
		word, ok := plainVerdict[r.Verdict]
		if !ok {
			word = r.Verdict
		}
		fmt.Fprintf(b, "* %s — **%s**. %s\n", r.Claim, word, r.Sentence)
		n++
	}
	if n > 0 {
		b.WriteString("\n")
	}
}

// WriteVerdictBlocks rewrites the verdict blocks of the repository's
// README.md and paper/README.md (root) from a profile's claims records; a
// file without a block is left alone.
func WriteVerdictBlocks(root, profile string, rs []ClaimRecord) error {
	block := VerdictBlock(profile, rs)
	for _, path := range []string{filepath.Join(root, "README.md"), filepath.Join(root, "paper", "README.md")} {
		text, err := os.ReadFile(path)
		if err != nil || VerdictBlockOf(string(text)) == "" {
			continue // no block to keep: nothing of ours in this file
		}
		updated, err := ReplaceVerdictBlock(string(text), block)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := writeText(path, updated); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceVerdictBlock puts block in place of the one in text; a text
// without the markers is an error (a README that lost them would otherwise
// keep stale verdicts).
func ReplaceVerdictBlock(text, block string) (string, error) {
	i := strings.Index(text, VerdictBegin)
	j := strings.Index(text, VerdictEnd)
	if i < 0 || j < i {
		return "", errors.New("no verdict block (" + VerdictBegin + " … " + VerdictEnd + ")")
	}
	return text[:i] + block + text[j+len(VerdictEnd):], nil
}

// VerdictBlockOf returns the block in text ("" when there is none).
func VerdictBlockOf(text string) string {
	i := strings.Index(text, VerdictBegin)
	j := strings.Index(text, VerdictEnd)
	if i < 0 || j < i {
		return ""
	}
	return text[i : j+len(VerdictEnd)]
}
