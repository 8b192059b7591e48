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
// committed block against the committed claims file). A profile with a
// folder of its own in the repository (Profile.Dir: standard) has a block
// of its own, between the markers verdictMarkers gives it, written from
// paper/<dir>/claims.json, so that quick's and standard's verdicts stand
// side by side and neither overwrites the other.
const (
	VerdictBegin = "<!-- verdicts: written by `cbrnn figures` from paper/claims.json; do not edit -->"
	VerdictEnd   = "<!-- /verdicts -->"
)

// verdictMarkers are the begin and end lines of the block of the profile
// named profile: VerdictBegin and VerdictEnd for a profile whose report is
// paper/results.md itself (and for a name no profile has), else ones that
// name its folder. Neither is a substring of another profile's.
func verdictMarkers(profile string) (begin, end string) {
	p, err := LookupProfile(profile)
	if err != nil || p.Dir == "" {
		return VerdictBegin, VerdictEnd
	}
	return "<!-- verdicts: written by `cbrnn figures` from paper/" + p.Dir + "/claims.json; do not edit -->",
		"<!-- /verdicts " + p.Dir + " -->"
}

// VerdictBlock is the block's text for a profile's records: the counts, and
// one sentence per row of the paper's claims, by verdict.
func VerdictBlock(profile string, rs []ClaimRecord) string {
	begin, end := verdictMarkers(profile)
	var b strings.Builder
	b.WriteString(begin + "\n\n")
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
	b.WriteString(end)
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

// WriteVerdictBlocks rewrites the profile's verdict blocks of the
// repository's README.md and paper/README.md (root) from its claims
// records; a file without that profile's block is left alone.
func WriteVerdictBlocks(root, profile string, rs []ClaimRecord) error {
	block := VerdictBlock(profile, rs)
	for _, path := range []string{filepath.Join(root, "README.md"), filepath.Join(root, "paper", "README.md")} {
		text, err := os.ReadFile(path)
		if err != nil || VerdictBlockFor(string(text), profile) == "" {
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

// ReplaceVerdictBlock puts block (VerdictBlock's, whose first and last
// lines are its markers) in place of the block between the same markers in
// text; a text without them is an error (a README that lost them would
// otherwise keep stale verdicts).
func ReplaceVerdictBlock(text, block string) (string, error) {
	begin, _, _ := strings.Cut(block, "\n")
	end := block[strings.LastIndex(block, "\n")+1:]
	i, j := blockBounds(text, begin, end)
	if i < 0 {
		return "", errors.New("no verdict block (" + begin + " … " + end + ")")
	}
	return text[:i] + block + text[j:], nil
}

// VerdictBlockOf returns the block of paper/results.md's profile in text
// ("" when there is none).
func VerdictBlockOf(text string) string { return VerdictBlockFor(text, "") }

// VerdictBlockFor returns the block of the named profile in text ("" when
// there is none; verdictMarkers).
func VerdictBlockFor(text, profile string) string {
	begin, end := verdictMarkers(profile)
	i, j := blockBounds(text, begin, end)
	if i < 0 {
		return ""
	}
	return text[i:j]
}

// blockBounds is where the block from begin to end is in text: [i, j), or
// i = -1 when there is none.
func blockBounds(text, begin, end string) (i, j int) {
	i = strings.Index(text, begin)
	if i < 0 {
		return -1, -1
	}
	k := strings.Index(text[i:], end)
	if k < 0 {
		return -1, -1
	}
	return i, i + k + len(end)
}
