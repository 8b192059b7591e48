// Package verdicts finds the words that state a verdict — "yes", "shown",
// "faster", "beats" … — in the prose and the string literals of the
// notebooks. A notebook states verdicts only as the claims engine computed
// them (paper/claims.json, shown by nb.Shows): a verdict on raw means, written
// by hand or printed from a literal, is exactly what that rule forbids, so
// notebooks/nb refuses to display one and notebooks/nbcheck refuses to
// commit one. The list and its two exceptions live here, once, for both.
//
// The rule:
//   - a verdict word is one of Words, matched case-insensitively at word
//     boundaries; "no" counts only as an answer (alone in a table cell or on
//     a line, or right after "?", ":" or "="), since "No CB" and "no runs"
//     are names and facts, not verdicts;
//   - the paper's own statements may be quoted: a Markdown blockquote whose
//     first line starts with "The paper:" or "The paper (where):" — bold
//     or not — is exempt, every
//     line of it (the quote ends at the first line not starting with ">");
//     so may the statements of the sketch this package started from, whose
//     claims the seed-* figures test: "The sketch:" likewise.
package verdicts

import (
	"regexp"
	"strings"
)

// Words are the verdict words (lower case). Comparatives are in the list
// because "faster", "higher", "larger AUC" are verdicts when a notebook
// says them of its own runs: the engine says them with a test behind them.
var Words = []string{
	"yes", "shown", "supported", "contradicted", "inconclusive",
	"confirmed", "confirms", "reproduced", "replicated", "replicates",
	"faster", "slower", "better", "worse", "higher", "lower", "larger", "smaller",
	"beat", "beats", "outperform", "outperforms", "underperforms",
	"significant", "significantly",
}

var (
	wordRE = regexp.MustCompile(`(?i)\b(` + strings.Join(Words, "|") + `)\b`)
	// "no" as an answer: alone in a cell or a line, or after ? : =.
	noRE = regexp.MustCompile(`(?i)(^|[|?:=])[\s*_]*(no)[\s*_]*([|.,;!)]|$)`)
	// The opening line of a quote of the paper (or of the sketch).
	paperQuoteRE = regexp.MustCompile(`^\s*>\s*(\*\*|__|\*|_)?The (paper|sketch)(\s*\([^)]*\))?:`)
)

// Find returns the verdict words of text in order of appearance (as
// written), leaving out the paper's quoted statements (see the package
// doc). Nil means none.
func Find(text string) []string {
	var out []string
	quote := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case paperQuoteRE.MatchString(line):
			quote = true
		case quote && strings.HasPrefix(t, ">"):
		default:
			quote = false
		}
		if quote {
			continue
		}
		for _, m := range wordRE.FindAllString(line, -1) {
			out = append(out, m)
		}
		for _, m := range noRE.FindAllStringSubmatch(line, -1) {
			out = append(out, m[2])
		}
	}
	return out
}
