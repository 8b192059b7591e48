package claims

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

var groupNames = []string{"group A", "group B"}

// ErrTooFew is returned when a group has fewer values than a test needs.
var ErrTooFew = errors.New("too few values")

// Welch is Welch's unequal-variance t test of mean(a) = mean(b): t on the
// separate-variance standard error, Welch–Satterthwaite degrees of freedom,
// two-sided p from Student's t. Each group needs n ≥ 2. When both groups
// have zero spread (decided exactly, not from a float variance) the standard
// error is 0: T is ±Inf (or NaN for equal means), DF and P are NaN, and the
// verdict must rest on the permutation test.
func Welch(a, b []float64) (Test, error) {
	t := Test{Name: "Welch's t", DF: math.NaN()}
	if len(a) < 2 || len(b) < 2 {
		return t, fmt.Errorf("welch: n = %d and %d, need ≥ 2 in each group: %w", len(a), len(b), ErrTooFew)
	}
	z, err := scaleGroups(groupNames, a, b)
	if err != nil {
		return t, fmt.Errorf("welch: %w", err)
	}
	ma, va := meanVar(a, z[0])
	mb, vb := meanVar(b, z[1])
	na, nb := float64(len(a)), float64(len(b))
	sa, sb := va/na, vb/nb
	if sa+sb == 0 {
		t.undefined(meanDiffSign(z[0], z[1]), "both groups have zero spread: the standard error is 0 and t is undefined")
		return t, nil
	}
	t.Statistic = (ma - mb) / math.Sqrt(sa+sb)
	t.DF = (sa + sb) * (sa + sb) / (sa*sa/(na-1) + sb*sb/(nb-1))
	t.setP(twoSidedT(t.Statistic, t.DF))
	return t, nil
}

// meanVar is the mean and unbiased variance; the variance is exactly 0 when
// every value is the same (x and its exact scaled form z).
func meanVar(x []float64, z []*big.Int) (mean, variance float64) {
	mean, variance = stat.MeanVariance(x, nil)
	if allEqual(z) {
		return x[0], 0
	}
	return mean, variance
}

func twoSidedT(t, df float64) float64 {
	return math.Min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t)))
}

// PermutationOptions set how the permutation test runs.
type PermutationOptions struct {
	// ExactLimit is the most relabellings enumerated exhaustively; beyond it
	// the test draws Resamples random relabellings. 0 means 184756 =
	// C(20, 10), which covers every comparison with both groups ≤ 10.
	ExactLimit int
	Resamples  int    // Monte Carlo relabellings; 0 means 100000
	Seed       uint64 // Monte Carlo seed
}

func (o PermutationOptions) withDefaults() PermutationOptions {
	if o.ExactLimit <= 0 {
		o.ExactLimit = 184756
	}
	if o.Resamples <= 0 {
		o.Resamples = 100000
	}
	return o
}

// Permutation is the two-sided permutation test of the difference in means:
// p = #{relabellings with |mean(A*) − mean(B*)| ≥ |observed|} / #relabellings,
// over all C(n1+n2, n1) relabellings when there are at most ExactLimit of
// them, otherwise (1 + #)/(1 + Resamples) over seeded random relabellings
// (the observed labelling counted once, which keeps the Monte Carlo p valid).
// The comparison is exact: with S the pooled sum and N = n1+n2, the
// statistic is (s·N − S·n1)/(n1·n2) for A's sum s, so the test compares
// |s·N − S·n1| as integers and a tied relabelling counts as ≥.
func Permutation(a, b []float64, opt PermutationOptions) (Test, error) {
	opt = opt.withDefaults()
	t := Test{Name: "permutation", DF: math.NaN()}
	if len(a) < 1 || len(b) < 1 {
		return t, fmt.Errorf("permutation: n = %d and %d, need ≥ 1 in each group: %w", len(a), len(b), ErrTooFew)
	}
	z, err := scaleGroups(groupNames, a, b)
	if err != nil {
		return t, fmt.Errorf("permutation: %w", err)
	}
	t.Statistic = stat.Mean(a, nil) - stat.Mean(b, nil)
	n1 := len(a)
	pooled := slices.Concat(z[0], z[1])
	n := len(pooled)
	k := newPermStat(pooled, n1)
	obs := k.of(sum(z[0]), new(big.Int))

	total := new(big.Int).Binomial(int64(n), int64(n1))
	if total.IsInt64() && total.Int64() <= int64(opt.ExactLimit) {
		count, atMax, _ := k.enumerate(obs)
		t.Exact = true
		t.p, t.P = ratio(big.NewInt(count), total)
		_, t.MinP = ratio(big.NewInt(atMax), total)
		t.Name = fmt.Sprintf("exact permutation (all %s relabellings)", total)
		return t, nil
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x636c61696d73))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	s, tmp := new(big.Int), new(big.Int)
	var count int64
	for range opt.Resamples {
		s.SetInt64(0)
		for i := range n1 {
			j := i + rng.IntN(n-i)
			idx[i], idx[j] = idx[j], idx[i]
			s.Add(s, pooled[idx[i]])
		}
		if k.of(s, tmp).Cmp(obs) >= 0 {
			count++
		}
	}
	b1 := big.NewInt(int64(opt.Resamples) + 1)
	t.p, t.P = ratio(big.NewInt(count+1), b1)
	_, t.MinP = ratio(big.NewInt(1), b1)
	t.Resamples, t.Seed = opt.Resamples, opt.Seed
	t.Name = fmt.Sprintf("Monte Carlo permutation (%d random relabellings of %s, seed %d)", opt.Resamples, total, opt.Seed)
	return t, nil
}

// permStat maps A's sum s to |s·N − S·n1|, the permutation statistic times
// n1·n2, in exact integers.
type permStat struct {
	pooled   []*big.Int
	n1       int
	bigN, sn *big.Int
}

func newPermStat(pooled []*big.Int, n1 int) permStat {
	sn := new(big.Int).Mul(sum(pooled), big.NewInt(int64(n1)))
	return permStat{pooled: pooled, n1: n1, bigN: big.NewInt(int64(len(pooled))), sn: sn}
}

func (k permStat) of(s, into *big.Int) *big.Int {
	into.Mul(s, k.bigN)
	into.Sub(into, k.sn)
	return into.Abs(into)
}

// enumerate visits every n1-subset of the pooled values (the relabellings)
// and counts those at least as extreme as obs, and those at the most
// extreme value any relabelling reaches (for MinP).
func (k permStat) enumerate(obs *big.Int) (count, atMax int64, max *big.Int) {
	sums := make([]*big.Int, k.n1+1)
	for i := range sums {
		sums[i] = new(big.Int)
	}
	tmp := new(big.Int)
	max = big.NewInt(-1)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == k.n1 {
			v := k.of(sums[depth], tmp)
			if v.Cmp(obs) >= 0 {
				count++
			}
			switch v.Cmp(max) {
			case 1:
				max.Set(v)
				atMax = 1
			case 0:
				atMax++
			}
			return
		}
		for i := start; i <= len(k.pooled)-(k.n1-depth); i++ {
			sums[depth+1].Add(sums[depth], k.pooled[i])
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
	return count, atMax, max
}
