// Package suggest turns an unknown name (a task, a model, a figure) into
// one line that names the nearest known one and lists them all, so that a
// typo is fixed from the message alone, in the CLI and in notebooks alike.
package suggest

import (
	"fmt"
	"strings"
)

// Unknown is the error for a name of the given kind (task, model, figure)
// that is not among known: `unknown task "partiy": did you mean parity?
// (known: dms, parity, …)`. The suggestion is left out when no known name
// is near.
func Unknown(kind, name string, known []string) error {
	hint := ""
	if s := Nearest(name, known); s != "" {
		hint = fmt.Sprintf(": did you mean %s?", s)
	}
	return fmt.Errorf("unknown %s %q%s (known: %s)", kind, name, hint, strings.Join(known, ", "))
}

// Nearest is the candidate closest to s by edit distance (ignoring case),
// if it is within a third of the longer length (so "fig2" suggests fig2a,
// "zzz" nothing); "" otherwise.
func Nearest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD*3 > max(len(s), len(best)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between two short names.
// Written here rather than imported: a dozen lines, and the module's
// dependencies are pinned to what the paper's build needs.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			sub := prev[j-1]
			if ra[i-1] != rb[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev = cur
	}
	return prev[len(rb)]
}
