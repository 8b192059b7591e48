package claims

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// differences returns the paired differences a − b, as floats and as exact
// scaled integers; b == nil means a already holds the differences.
func differences(a, b []float64) ([]float64, []*big.Int, error) {
	if b == nil {
		z, err := scaleGroups([]string{"differences"}, a)
		if err != nil {
			return nil, nil, err
		}
		return a, z[0], nil
	}
	if len(a) != len(b) {
		return nil, nil, fmt.Errorf("paired groups differ in length: %d and %d", len(a), len(b))
	}
	z, err := scaleGroups(groupNames, a, b)
	if err != nil {
		return nil, nil, err
	}
	d := make([]float64, len(a))
	dz := make([]*big.Int, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
		dz[i] = new(big.Int).Sub(z[0][i], z[1][i])
	}
	return d, dz, nil
}

// PairedT is the paired t test of mean(a − b) = 0 (b == nil: a holds the
// differences): t = mean/(SD/√n), n − 1 degrees of freedom, two-sided p.
// Needs n ≥ 2 pairs. Differences with zero spread (decided exactly) leave t
// undefined (±Inf, or NaN when all are 0) with P NaN: the signed-rank test
// decides.
func PairedT(a, b []float64) (Test, error) {
	t := Test{Name: "paired t", DF: math.NaN()}
	d, dz, err := differences(a, b)
	if err != nil {
		return t, fmt.Errorf("paired t: %w", err)
	}
	if len(d) < 2 {
		return t, fmt.Errorf("paired t: %d pairs, need ≥ 2: %w", len(d), ErrTooFew)
	}
	if allEqual(dz) {
		t.undefined(dz[0].Sign(), "the differences have zero spread: t is undefined")
		return t, nil
	}
	m, sd := stat.MeanStdDev(d, nil)
	n := float64(len(d))
	t.Statistic = m / (sd / math.Sqrt(n))
	t.DF = n - 1
	t.setP(twoSidedT(t.Statistic, t.DF))
	return t, nil
}

// SignedRank is the exact two-sided Wilcoxon signed-rank test of the paired
// differences a − b (b == nil: a holds the differences). Zero differences
// are dropped (Wilcoxon's convention, not Pratt's); tied |differences| get
// mid-ranks, and the exact null distribution is that of the observed
// (tied) ranks under all 2^n sign assignments, counted by dynamic
// programming over the doubled ranks — integers, so the comparison with the
// observed statistic is exact. Statistic is V = W+, the sum of the ranks of
// the positive differences; p = #{|W+* − R/2| ≥ |W+ − R/2|} / 2^n, R the sum
// of all ranks. With every difference zero p = 1.
func SignedRank(a, b []float64) (Test, error) {
	t := Test{Name: "exact Wilcoxon signed-rank", DF: math.NaN(), Exact: true}
	_, dz, err := differences(a, b)
	if err != nil {
		return t, fmt.Errorf("signed rank: %w", err)
	}
	var nz []*big.Int
	for _, d := range dz {
		if d.Sign() != 0 {
			nz = append(nz, d)
		}
	}
	n := len(nz)
	dropped := len(dz) - n
	if dropped > 0 {
		t.Note = fmt.Sprintf("%d zero difference(s) dropped", dropped)
	}
	if n == 0 {
		t.p, t.P = big.NewRat(1, 1), 1
		t.MinP = 1
		return t, nil
	}
	type item struct {
		abs *big.Int
		pos bool
	}
	items := make([]item, n)
	for i, d := range nz {
		items[i] = item{abs: new(big.Int).Abs(d), pos: d.Sign() > 0}
	}
	slices.SortFunc(items, func(x, y item) int { return x.abs.Cmp(y.abs) })
	// Doubled mid-ranks: positions i..j (0-based) tied get (i+1+j+1)/2 each,
	// doubled to the integer i+j+2.
	r2 := make([]int, n)
	w2, ties := 0, false
	for i := 0; i < n; {
		j := i
		for j+1 < n && items[j+1].abs.Cmp(items[i].abs) == 0 {
			j++
		}
		if j > i {
			ties = true
		}
		for k := i; k <= j; k++ {
			r2[k] = i + j + 2
			if items[k].pos {
				w2 += r2[k]
			}
		}
		i = j + 1
	}
	if ties {
		t.Note = join(t.Note, "tied |differences| get mid-ranks; the exact distribution is conditional on them")
	}
	total2 := n * (n + 1) // sum of the doubled ranks
	counts := signCounts(r2, total2)
	far := func(s int) int { return abs(2*s - total2) }
	obs := far(w2)
	num, atMax := new(big.Int), new(big.Int)
	maxFar := -1
	for s, c := range counts {
		if c.Sign() == 0 {
			continue
		}
		if far(s) >= obs {
			num.Add(num, c)
		}
		if f := far(s); f > maxFar {
			maxFar = f
			atMax.Set(c)
		} else if f == maxFar {
			atMax.Add(atMax, c)
		}
	}
	den := new(big.Int).Lsh(big.NewInt(1), uint(n))
	t.p, t.P = ratio(num, den)
	_, t.MinP = ratio(atMax, den)
	t.Statistic = float64(w2) / 2
	return t, nil
}

// signCounts[s] is the number of sign assignments whose positive doubled
// ranks sum to s.
func signCounts(r2 []int, total int) []*big.Int {
	c := make([]*big.Int, total+1)
	for i := range c {
		c[i] = new(big.Int)
	}
	c[0].SetInt64(1)
	reach := 0
	for _, r := range r2 {
		for s := reach; s >= 0; s-- {
			if c[s].Sign() != 0 {
				c[s+r].Add(c[s+r], c[s])
			}
		}
		reach += r
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
