package claims

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// The sleep data of Student (1908), from Cushny & Peebles (1905): extra hours
// of sleep under two drugs, ten patients — R's `sleep` data set. The
// reference values are those R's t.test prints for them.
var (
	sleep1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	sleep2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
)

func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol
}

func TestWelch(t *testing.T) {
	tests := []struct {
		name      string
		a, b      []float64
		t, df, p  float64
		tol       float64
		undefined bool
	}{
		// R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939.
		{"Student's sleep data", sleep1, sleep2, -1.8608, 17.776, 0.07939, 5e-4, false},
		// Hand-worked: means 6 and 14/3, variances 1 and 1/3, SE² = 1/3 + 1/9 = 4/9,
		// t = (4/3)/(2/3) = 2 (the old z-rule's case), df = (4/9)²/((1/9)²/2 + (1/27)²/2) = 3.2.
		{"{5,6,7} vs {4,5,5}", []float64{5, 6, 7}, []float64{4, 5, 5}, 2, 3.2, math.NaN(), 1e-12, false},
		// Hand-worked: B alone has spread (variance 1): t = 1/√(1/3) = √3, df = n_B − 1 = 2.
		{"one group without spread", []float64{2, 2, 2}, []float64{0, 1, 2}, math.Sqrt(3), 2, math.NaN(), 1e-12, false},
		// Both groups without spread: SE = 0, t is ±Inf and nothing else is defined.
		{"both without spread", []float64{1, 1, 1}, []float64{0, 0, 0}, math.Inf(1), math.NaN(), math.NaN(), 0, true},
		{"both without spread, below", []float64{0.1, 0.1, 0.1}, []float64{0.2, 0.2, 0.2}, math.Inf(-1), math.NaN(), math.NaN(), 0, true},
		{"identical constant groups", []float64{3, 3}, []float64{3, 3, 3}, math.NaN(), math.NaN(), math.NaN(), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Welch(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Statistic, tc.t, tc.tol) || !near(got.DF, tc.df, tc.tol) {
				t.Errorf("t = %v, df = %v; want %v, %v", got.Statistic, got.DF, tc.t, tc.df)
			}
			if !math.IsNaN(tc.p) && !near(got.P, tc.p, 5e-5) {
				t.Errorf("p = %v, want %v", got.P, tc.p)
			}
			if got.Defined() == tc.undefined {
				t.Errorf("Defined() = %v, want %v (P = %v)", got.Defined(), !tc.undefined, got.P)
			}
			if tc.undefined && !math.IsNaN(got.P) {
				t.Errorf("P = %v for an undefined t, want NaN", got.P)
			}
		})
	}
}

func TestWelchBadInput(t *testing.T) {
	if _, err := Welch([]float64{1}, []float64{1, 2}); !errors.Is(err, ErrTooFew) {
		t.Errorf("n = 1: err = %v, want ErrTooFew", err)
	}
	_, err := Welch([]float64{1, math.NaN()}, []float64{1, 2})
	if err == nil || !strings.Contains(err.Error(), "group A, value 2") {
		t.Errorf("NaN: err = %v, want one naming group A, value 2", err)
	}
}

func TestPermutationExact(t *testing.T) {
	tests := []struct {
		name     string
		a, b     []float64
		num, den int64 // the exact p
		minP     float64
	}{
		// Hand-worked: relabellings with A's sum s give (2s − 32)/3; |·| ≥ 4/3 iff
		// s ≥ 18 or s ≤ 14: {5,6,7} with each of the three 5s, and the three
		// complements — 6 of C(6,3) = 20, the observed among them as a tie.
		{"{5,6,7} vs {4,5,5}, ties count as ≥", []float64{5, 6, 7}, []float64{4, 5, 5}, 6, 20, 0.3},
		// Fully separated 3 vs 3: only the observed labelling and its mirror: 2/20.
		{"separated 3 vs 3", []float64{1, 2, 3}, []float64{4, 5, 6}, 2, 20, 0.1},
		// Zero spread in both groups: the same 2/20, a valid p where t is infinite.
		{"both without spread", []float64{1, 1, 1}, []float64{0, 0, 0}, 2, 20, 0.1},
		{"both without spread, 5 vs 5", []float64{1, 1, 1, 1, 1}, []float64{0, 0, 0, 0, 0}, 2, 252, 2.0 / 252},
		// Hand-worked decimal tie: A = {0.3, 0} has sum 0.3, and so has the
		// relabelling {0.1, 0.2}; in float64 0.1 + 0.2 = 0.30000000000000004 and a
		// float comparison drops that tie (5/15). Pairs with sum ≤ 0.3 or
		// ≥ 0.8333…: {.3,0} {.1,.2} {.1,0} {.2,0} {.3,.6} {.5,.6}: 6 of C(6,2) = 15.
		{"decimal tie that float64 misses", []float64{0.3, 0}, []float64{0.1, 0.2, 0.5, 0.6}, 6, 15, 0},
		// Equal means: every relabelling is at least as extreme.
		{"no difference", []float64{1, 3}, []float64{2, 2}, 6, 6, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Permutation(tc.a, tc.b, PermutationOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := big.NewRat(tc.num, tc.den)
			if got.p.Cmp(want) != 0 {
				t.Errorf("p = %s, want %s", got.p.RatString(), want.RatString())
			}
			if f, _ := want.Float64(); got.P != f {
				t.Errorf("P = %v, want %v", got.P, f)
			}
			if tc.minP > 0 && !near(got.MinP, tc.minP, 1e-15) {
				t.Errorf("MinP = %v, want %v", got.MinP, tc.minP)
			}
			if !got.Exact || got.Resamples != 0 {
				t.Errorf("Exact = %v, Resamples = %d; want an exhaustive test", got.Exact, got.Resamples)
			}
		})
	}
	// The decimal-tie case must really be one float64 gets wrong, or it tests nothing.
	if n := naiveFloatCount([]float64{0.3, 0, 0.1, 0.2, 0.5, 0.6}, 2); n != 5 {
		t.Errorf("naive float count = %d; the case no longer exercises round-off", n)
	}
}

// naiveFloatCount counts relabellings with |mean difference| ≥ observed in
// plain float64, the way the exact test must not.
func naiveFloatCount(pooled []float64, n1 int) int {
	stat := func(mask uint) float64 {
		var sa, sb float64
		for i, x := range pooled {
			if mask&(1<<i) != 0 {
				sa += x
			} else {
				sb += x
			}
		}
		return math.Abs(sa/float64(n1) - sb/float64(len(pooled)-n1))
	}
	obs := stat(1<<n1 - 1)
	count := 0
	for m := uint(0); m < 1<<len(pooled); m++ {
		if bits.OnesCount(m) == n1 && stat(m) >= obs {
			count++
		}
	}
	return count
}

// TestPermutationAgainstBruteForce checks the enumeration against an
// independent count over bitmasks in math/big.Rat, on random small-integer
// data full of ties.
func TestPermutationAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 40 {
		n1, n2 := 2+rng.IntN(5), 2+rng.IntN(5)
		a, b := make([]float64, n1), make([]float64, n2)
		for i := range a {
			a[i] = float64(rng.IntN(5))
		}
		for i := range b {
			b[i] = float64(rng.IntN(5)) + 0.5*float64(rng.IntN(2))
		}
		got, err := Permutation(a, b, PermutationOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteForceP(a, b); got.p.Cmp(want) != 0 {
			t.Errorf("trial %d %v vs %v: p = %s, brute force %s", trial, a, b, got.p.RatString(), want.RatString())
		}
	}
}

func bruteForceP(a, b []float64) *big.Rat {
	pooled := append(append([]float64{}, a...), b...)
	n1, n := len(a), len(a)+len(b)
	diff := func(mask uint) *big.Rat {
		sa, sb := new(big.Rat), new(big.Rat)
		for i, x := range pooled {
			if mask&(1<<i) != 0 {
				sa.Add(sa, new(big.Rat).SetFloat64(x))
			} else {
				sb.Add(sb, new(big.Rat).SetFloat64(x))
			}
		}
		sa.Quo(sa, big.NewRat(int64(n1), 1))
		sb.Quo(sb, big.NewRat(int64(n-n1), 1))
		return sa.Abs(sa.Sub(sa, sb))
	}
	obs := diff(1<<n1 - 1)
	var count, total int64
	for m := uint(0); m < 1<<n; m++ {
		if bits.OnesCount(m) != n1 {
			continue
		}
		total++
		if diff(m).Cmp(obs) >= 0 {
			count++
		}
	}
	return big.NewRat(count, total)
}

func TestPermutationMonteCarlo(t *testing.T) {
	exact, err := Permutation(sleep1, sleep2, PermutationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !exact.Exact || !strings.Contains(exact.Name, "184756") {
		t.Fatalf("10 vs 10 should be exhaustive over C(20,10) = 184756: %q", exact.Name)
	}
	opt := PermutationOptions{ExactLimit: 1000, Resamples: 20000, Seed: 42}
	mc, err := Permutation(sleep1, sleep2, opt)
	if err != nil {
		t.Fatal(err)
	}
	if mc.Exact || mc.Resamples != 20000 || mc.Seed != 42 || !strings.Contains(mc.Name, "20000") {
		t.Errorf("Monte Carlo result does not state itself: %+v", mc)
	}
	// Within four binomial SEs of the exact p.
	se := math.Sqrt(exact.P * (1 - exact.P) / 20000)
	if math.Abs(mc.P-exact.P) > 4*se {
		t.Errorf("Monte Carlo p = %v, exact %v (SE %v)", mc.P, exact.P, se)
	}
	again, _ := Permutation(sleep1, sleep2, opt)
	if again.P != mc.P {
		t.Errorf("same seed, p %v then %v", mc.P, again.P)
	}
	if mc.MinP != 1.0/20001 {
		t.Errorf("MinP = %v, want 1/(1 + resamples)", mc.MinP)
	}
}
