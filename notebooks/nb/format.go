package nb

import (
	"fmt"
	"math"

	"github.com/cbrnn/cbrnn/analysis"
)

// PM formats a summary as "mean ± SEM" with digits decimals: the mean alone
// for one value, "–" for none.
func PM(s analysis.Summary, digits int) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "–"
	}
	if s.N == 1 || math.IsNaN(s.SEM) {
		return F(s.Mean, digits)
	}
	return F(s.Mean, digits) + " ± " + F(s.SEM, digits)
}

// F formats v with digits decimals ("–" for NaN).
func F(v float64, digits int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.*f", digits, v)
}

// PMSD formats a summary as "mean ± SD" with digits decimals ("–" for none):
// the spread over networks, where PM gives the error of the mean.
func PMSD(s analysis.Summary, digits int) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, s.Mean, digits, s.SD)
}
