package claims

import "math/big"

// Direction is the sign a claim expects of mean(A) − mean(B) (or of the
// mean paired difference): the paper's sign.
type Direction int

const (
	// NoDirection: the paper states none; the row is reported, not judged.
	NoDirection Direction = 0
	Greater     Direction = 1  // A above B
	Less        Direction = -1 // A below B
)

func (d Direction) String() string {
	switch d {
	case Greater:
		return "greater"
	case Less:
		return "less"
	case NoDirection:
		return "none"
	}
	return "invalid direction"
}

// Verdict is what a claim's numbers show.
type Verdict int

const (
	// NotTestable: the comparison cannot be judged; Result.Reason says why.
	NotTestable Verdict = iota
	// Inconclusive: the adjusted p is not below α — these runs cannot tell.
	Inconclusive
	// Supported: the paper's sign, adjusted p < α.
	Supported
	// Contradicted: the opposite sign, adjusted p < α.
	Contradicted
)

func (v Verdict) String() string {
	switch v {
	case NotTestable:
		return "not testable"
	case Inconclusive:
		return "inconclusive"
	case Supported:
		return "supported"
	case Contradicted:
		return "contradicted"
	}
	return "invalid verdict"
}

// decide is the verdict of a testable, directed claim: the observed sign
// (exact: −1, 0, +1) against the expected direction, and the Holm-adjusted
// deciding p against α, both exact rationals — a p equal to α is not below
// it, whatever its float rounding.
func decide(dir Direction, sign int, adjusted, alpha *big.Rat) Verdict {
	if adjusted == nil || adjusted.Cmp(alpha) >= 0 || sign == 0 {
		return Inconclusive
	}
	if sign == int(dir) {
		return Supported
	}
	return Contradicted
}
