package claims

import (
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/stat/distuv"
)

// Power here is that of the two-sided t test from the noncentral t
// distribution (gonum's distuv.NoncentralT, Lenth's AS 243), not an
// approximation: for two groups of n with standardised difference d, the
// equal-variance t with 2n − 2 df and noncentrality d·√(n/2) (Welch's df
// equals 2n − 2 when n and the SDs are equal); for n pairs with
// standardised mean difference d_z, the one-sample t with n − 1 df and
// noncentrality d_z·√n.

// maxN bounds the search for a sample size: an effect that needs more is
// reported as out of reach.
const maxN = 1 << 24

// TwoSamplePower is the power of the two-sided two-sample t test at level
// alpha with n per group and standardised difference d.
func TwoSamplePower(d float64, n int, alpha float64) float64 {
	nu := float64(2*n - 2)
	return tPower(nu, d*math.Sqrt(float64(n)/2), alpha)
}

// PairedPower is the power of the two-sided paired t test at level alpha
// with n pairs and standardised mean difference dz.
func PairedPower(dz float64, n int, alpha float64) float64 {
	return tPower(float64(n-1), dz*math.Sqrt(float64(n)), alpha)
}

func tPower(nu, delta, alpha float64) float64 {
	c := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Quantile(1 - alpha/2)
	nct := distuv.NoncentralT{Nu: nu, Mu: delta}
	return 1 - nct.CDF(c) + nct.CDF(-c)
}

// TwoSampleN is the smallest n per group (≥ 2) at which the two-sided
// two-sample t test at level alpha reaches the given power for the
// standardised difference d (Cohen 1988, Table 2.4.1).
func TwoSampleN(d, alpha, power float64) (int, error) {
	return smallestN(d, alpha, power, 2, TwoSamplePower)
}

// PairedN is the smallest number of pairs (≥ 2) at which the two-sided
// paired t test at level alpha reaches the given power for d_z.
func PairedN(dz, alpha, power float64) (int, error) {
	return smallestN(dz, alpha, power, 2, PairedPower)
}

func smallestN(d, alpha, power float64, lo int, pw func(float64, int, float64) float64) (int, error) {
	if !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1) {
		return 0, fmt.Errorf("sample size: alpha %v and power %v must lie in (0, 1)", alpha, power)
	}
	d = math.Abs(d)
	if math.IsNaN(d) || d == 0 {
		return 0, fmt.Errorf("sample size: effect %v: no sample size detects it", d)
	}
	if math.IsInf(d, 0) {
		return lo, nil
	}
	if pw(d, lo, alpha) >= power {
		return lo, nil
	}
	// Power rises with n: double to bracket, then bisect.
	hi := lo * 2
	for pw(d, hi, alpha) < power {
		lo = hi
		hi *= 2
		if hi > maxN {
			return 0, fmt.Errorf("sample size: effect %v needs more than %d", d, maxN)
		}
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if pw(d, mid, alpha) >= power {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// PermutationFloorN is the smallest n per group (two equal groups) at
// which the exact two-sided permutation test can give p < alpha at all:
// its smallest p is 2/C(2n, n) with distinct values (n = 3: 2/20 = 0.1, so
// three networks a group can never decide at α = 0.05). Ties only raise
// the floor. Past the exhaustive limit the Monte Carlo floor is
// 1/(1 + resamples), 1e-5 at the default, below any α used here.
func PermutationFloorN(alpha float64) (int, error) {
	if !(alpha > 0 && alpha < 1) {
		return 0, fmt.Errorf("permutation floor: alpha %v must lie in (0, 1)", alpha)
	}
	a := decimalRat(alpha)
	for n := 1; ; n++ {
		minP := new(big.Rat).SetFrac(big.NewInt(2), new(big.Int).Binomial(int64(2*n), int64(n)))
		if minP.Cmp(a) < 0 {
			return n, nil
		}
	}
}

// SignedRankFloorN is the smallest number of non-zero pairs at which the
// exact two-sided signed-rank test can give p < alpha: its smallest p is
// 2/2^n (n = 5: 1/16, n = 6: 1/32).
func SignedRankFloorN(alpha float64) (int, error) {
	if !(alpha > 0 && alpha < 1) {
		return 0, fmt.Errorf("signed-rank floor: alpha %v must lie in (0, 1)", alpha)
	}
	a := decimalRat(alpha)
	for n := 1; ; n++ {
		minP := new(big.Rat).SetFrac(big.NewInt(2), new(big.Int).Lsh(big.NewInt(1), uint(n)))
		if minP.Cmp(a) < 0 {
			return n, nil
		}
	}
}
