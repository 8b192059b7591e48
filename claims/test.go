package claims

import (
	"fmt"
	"math"
	"math/big"
)

// A Test is one hypothesis test's outcome. Every p is two-sided: a claim's
// direction enters the verdict through the sign of the effect, not through a
// one-sided p (see Decide).
type Test struct {
	Name      string
	Statistic float64 // t for the t tests, mean(A) − mean(B) for the permutation test, V = W+ for the signed-rank test
	DF        float64 // degrees of freedom; NaN where the test has none
	P         float64 // two-sided p; NaN where the test is undefined (Welch or paired t on zero spread)
	// MinP is the smallest p the test could give with these values under any
	// labelling (exact tests): when MinP ≥ α no sample of this size can
	// decide. 0 for the t tests.
	MinP      float64
	Exact     bool   // P is an exact ratio of counts (exhaustive enumeration or exact distribution)
	Resamples int    // Monte Carlo resamples behind P; 0 when exhaustive
	Seed      uint64 // the Monte Carlo seed, when Resamples > 0
	Note      string // why P is NaN, or how ties and zeros were handled

	p *big.Rat // P as the exact rational behind the verdict; nil when P is NaN
}

// Defined reports whether the test produced a p.
func (t Test) Defined() bool { return t.p != nil }

// setP records a continuous p (from a distribution function).
func (t *Test) setP(p float64) {
	t.P = p
	if math.IsNaN(p) {
		t.p = nil
		return
	}
	t.p = decimalRat(p)
}

// undefined records a t test whose standard error is 0: t is ±Inf in the
// direction of the (exact) sign of the mean difference, NaN when there is
// none, and there is no p; note says why.
func (t *Test) undefined(sign int, note string) {
	switch sign {
	case 0:
		t.Statistic = math.NaN()
	case 1:
		t.Statistic = math.Inf(1)
	default:
		t.Statistic = math.Inf(-1)
	}
	t.setP(math.NaN())
	t.Note = note
}

// Interval is a two-sided 95 % interval.
type Interval struct{ Lo, Hi float64 }

func (iv Interval) String() string { return fmt.Sprintf("[%g, %g]", iv.Lo, iv.Hi) }

// DecidingTest is the one rule for which p decides a verdict: the LARGER of
// the parametric test's p (Welch's t between groups, the paired t within
// networks) and the assumption-free exact test's p (the permutation test,
// the Wilcoxon signed-rank test), so a verdict holds under both. Where the
// parametric test is undefined — zero spread makes its t infinite, which
// proves nothing — the exact test alone decides, because it stays valid.
// The comparison is exact (the p's as rationals), so equal p's never split
// on round-off; on a tie the exact test is named.
func DecidingTest(parametric, exact Test) Test {
	if !parametric.Defined() {
		return exact
	}
	if !exact.Defined() {
		return parametric
	}
	if parametric.p.Cmp(exact.p) > 0 {
		return parametric
	}
	return exact
}
