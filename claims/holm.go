package claims

import (
	"fmt"
	"math"
	"math/big"
	"slices"
)

// Holm is the Holm–Bonferroni step-down adjustment of a family of raw p's:
// with the p's sorted p(1) ≤ … ≤ p(m), the adjusted p(i) is
// max over j ≤ i of min(1, (m − j + 1)·p(j)), returned in the input order.
// Rejecting where adjusted p < α controls the family-wise error rate at α
// (Holm 1979). The products and maxima are exact (each p read as its
// decimal), so an adjusted p that equals α is not below it.
func Holm(p []float64) ([]float64, error) {
	rs := make([]*big.Rat, len(p))
	for i, x := range p {
		if !(x >= 0 && x <= 1) {
			return nil, fmt.Errorf("holm: p %d is %v, not in [0, 1]", i+1, x)
		}
		rs[i] = decimalRat(x)
	}
	adj := holm(rs)
	out := make([]float64, len(p))
	for i, r := range adj {
		out[i], _ = r.Float64()
	}
	return out, nil
}

// holm is Holm on exact p's.
func holm(p []*big.Rat) []*big.Rat {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return p[a].Cmp(p[b]) })
	out := make([]*big.Rat, m)
	one := big.NewRat(1, 1)
	running := new(big.Rat)
	for rank, i := range order {
		v := new(big.Rat).Mul(p[i], big.NewRat(int64(m-rank), 1))
		if v.Cmp(one) > 0 {
			v.Set(one)
		}
		if v.Cmp(running) < 0 {
			v.Set(running)
		}
		running.Set(v)
		out[i] = v
	}
	return out
}

func ratFloat(r *big.Rat) float64 {
	if r == nil {
		return math.NaN()
	}
	f, _ := r.Float64()
	return f
}
