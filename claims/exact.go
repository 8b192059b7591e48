package claims

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Exact arithmetic for the comparisons that decide a verdict. A float64 is
// read as the decimal it prints as (Go's shortest round-trip form, so 0.1
// is 1/10 and 0.1 + 0.2 ties 0.3), and every value of a comparison is
// scaled by one common power of ten into a big.Int. Sums, differences and
// their orderings are then integer arithmetic: a relabelled statistic that
// equals the observed one counts as a tie, never as a round-off either side.
// Distinct float64s print as distinct decimals, so nothing is merged that
// the data keep apart.

// decimal is m × 10^e, the shortest decimal that reads back as the float.
type decimal struct {
	m *big.Int
	e int
}

func toDecimal(x float64) (decimal, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return decimal{}, fmt.Errorf("value %v is not finite", x)
	}
	s := strconv.FormatFloat(x, 'e', -1, 64) // e.g. "-1.2345e-03", "5e+00"
	mant, expPart, _ := strings.Cut(s, "e")
	e, err := strconv.Atoi(expPart)
	if err != nil {
		return decimal{}, fmt.Errorf("reading %q: %w", s, err)
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	m, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return decimal{}, fmt.Errorf("reading mantissa of %q", s)
	}
	return decimal{m: m, e: e - len(frac)}, nil
}

// decimalRat is x as the rational its shortest decimal denotes.
func decimalRat(x float64) *big.Rat {
	d, err := toDecimal(x)
	if err != nil {
		panic(err) // callers pass only finite values
	}
	r := new(big.Rat).SetInt(d.m)
	if d.e >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(pow10(d.e)))
	}
	return r.Quo(r, new(big.Rat).SetInt(pow10(-d.e)))
}

func pow10(k int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
}

// scaleGroups returns every value of every group times one common power of
// ten, as exact integers. It fails on a non-finite value, naming it.
func scaleGroups(names []string, groups ...[]float64) ([][]*big.Int, error) {
	decs := make([][]decimal, len(groups))
	minE := math.MaxInt
	for g, xs := range groups {
		decs[g] = make([]decimal, len(xs))
		for i, x := range xs {
			d, err := toDecimal(x)
			if err != nil {
				return nil, fmt.Errorf("%s, value %d: %w", names[g], i+1, err)
			}
			decs[g][i] = d
			if d.m.Sign() != 0 {
				minE = min(minE, d.e)
			}
		}
	}
	if minE == math.MaxInt {
		minE = 0
	}
	out := make([][]*big.Int, len(groups))
	for g := range decs {
		out[g] = make([]*big.Int, len(decs[g]))
		for i, d := range decs[g] {
			v := new(big.Int).Set(d.m)
			if d.m.Sign() != 0 && d.e > minE {
				v.Mul(v, pow10(d.e-minE))
			}
			out[g][i] = v
		}
	}
	return out, nil
}

func sum(xs []*big.Int) *big.Int {
	s := new(big.Int)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

// meanDiffSign is the exact sign of mean(a) − mean(b).
func meanDiffSign(a, b []*big.Int) int {
	l := new(big.Int).Mul(sum(a), big.NewInt(int64(len(b))))
	r := new(big.Int).Mul(sum(b), big.NewInt(int64(len(a))))
	return l.Cmp(r)
}

// allEqual reports whether the group has no spread at all, decided exactly
// (a float variance of identical values can come out 1e-34, not 0).
func allEqual(xs []*big.Int) bool {
	for _, x := range xs[1:] {
		if x.Cmp(xs[0]) != 0 {
			return false
		}
	}
	return true
}

// ratio is num/den as an exact rational and its nearest float64.
func ratio(num, den *big.Int) (*big.Rat, float64) {
	r := new(big.Rat).SetFrac(num, den)
	f, _ := r.Float64()
	return r, f
}
