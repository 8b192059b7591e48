package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ar1 returns trials of x_t = φ x_{t−1} + ε_t, ε ~ N(0,1), started from the
// stationary distribution. Its autocorrelation is φ^k, its timescale −1/ln φ.
func ar1(phi float64, trials, T int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 42))
	out := make([][]float64, trials)
	sd := 1 / math.Sqrt(1-phi*phi)
	for i := range out {
		x := r.NormFloat64() * sd
		out[i] = make([]float64, T)
		for t := range T {
			x = phi*x + r.NormFloat64()
			out[i][t] = x
		}
	}
	return out
}

func TestAutocorrExactShortSeries(t *testing.T) {
	// x = 1,2,3,4 → centred −1.5,−.5,.5,1.5.
	// lag sums 5, 1.25, −1.5, −2.25; ÷ overlap 4,3,2,1 → 1.25, 5/12, −.75, −2.25.
	ac := Autocorr([][]float64{{1, 2, 3, 4}}, 10) // maxLag clamps to T−1
	want := []float64{1, (5.0 / 12) / 1.25, -0.75 / 1.25, -2.25 / 1.25}
	if len(ac) != len(want) {
		t.Fatalf("len %d want %d", len(ac), len(want))
	}
	for k := range want {
		if !near(ac[k], want[k], 1e-12) {
			t.Fatalf("ac %v want %v", ac, want)
		}
	}
	// Two trials: autocovariances are averaged before normalising.
	ac2 := Autocorr([][]float64{{1, 2, 3, 4}, {0, 0, 2, 2}}, 1)
	// second: centred −1,−1,1,1 → lag0 4/4 = 1, lag1 (1−1+1)/3 = 1/3.
	if w := (5.0/12 + 1.0/3) / (1.25 + 1); !near(ac2[1], w, 1e-12) {
		t.Fatalf("two-trial ac %v want lag1 %v", ac2, w)
	}
}

func TestAutocorrSilent(t *testing.T) {
	ac := Autocorr([][]float64{{3, 3, 3, 3}, {3, 3, 3, 3}}, 2)
	for _, v := range ac {
		if !math.IsNaN(v) {
			t.Fatalf("constant signal ac = %v, want NaN", ac)
		}
	}
	f := FitTimescale(ac, 30)
	if f.Model != "" || !math.IsNaN(f.Tau) {
		t.Fatalf("fit of NaN ac: %+v", f)
	}
	if !math.IsNaN(PopulationTau(ac)) {
		t.Fatal("PopulationTau of NaN ac should be NaN")
	}
}

func TestAR1Timescale(t *testing.T) {
	// SPEC protocol sizes: 8 trials × 20,000 steps, lags 0..200, fit 0..30.
	for _, phi := range []float64{0.5, 0.8, 0.9, 0.95} {
		tau := -1 / math.Log(phi)
		ac := Autocorr(ar1(phi, 8, 20000, uint64(phi*1000)), 200)
		if len(ac) != 201 || ac[0] != 1 {
			t.Fatalf("φ=%v: len %d ac0 %v", phi, len(ac), ac[0])
		}
		for _, k := range []int{1, 2, 5} {
			if !near(ac[k], math.Pow(phi, float64(k)), 0.02) {
				t.Errorf("φ=%v: ac[%d] = %.4f want φ^k = %.4f ± 0.02", phi, k, ac[k], math.Pow(phi, float64(k)))
			}
		}
		f := FitTimescale(ac, 30)
		// The single-exponential least-squares τ recovers −1/ln φ, and
		// whichever model AIC picks, its curve matches φ^k on the fitted
		// lags. (The double's "slow" τ need not be −1/ln φ: see the Fit
		// caveat.)
		if rel := math.Abs(f.Single.Tau-tau) / tau; rel > 0.05 {
			t.Errorf("φ=%v: single τ %.3f want %.3f ± 5%%", phi, f.Single.Tau, tau)
		}
		chosen := f.Single.Eval
		if f.Model == "double" {
			chosen = f.Double.Eval
		}
		for k := 0; k <= 30; k++ {
			if want := math.Pow(phi, float64(k)); !near(chosen(float64(k)), want, 0.025) {
				t.Errorf("φ=%v: %s fit at lag %d = %.4f want φ^k = %.4f ± 0.025", phi, f.Model, k, chosen(float64(k)), want)
				break
			}
		}
		if f.Model == "single" && f.Tau != f.Single.Tau {
			t.Errorf("φ=%v: single chosen but Tau %v != %v", phi, f.Tau, f.Single.Tau)
		}
		if f.Tau > DefaultMaxTau || f.Tau2 < f.Tau1 {
			t.Errorf("φ=%v: bounds/ordering violated: %+v", phi, f)
		}
		if pt := PopulationTauInterp(ac); math.Abs(pt-tau)/tau > 0.05 {
			t.Errorf("φ=%v: population τ (interp) %.3f want %.3f ± 5%%", phi, pt, tau)
		}
		if pt := PopulationTau(ac); math.Abs(pt-math.Ceil(tau)) > 1 {
			t.Errorf("φ=%v: population τ %v want ⌈τ⌉ = %v ± 1 lag", phi, pt, math.Ceil(tau))
		}
	}
}

func TestFitKnownExponentials(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	noisy := func(f func(float64) float64, sd float64) []float64 {
		y := make([]float64, 201)
		for k := range y {
			y[k] = f(float64(k)) + sd*r.NormFloat64()
		}
		return y
	}
	tests := []struct {
		name             string
		ac               []float64
		model            string
		a, c, tau1, tau2 float64
		tol              float64 // relative tolerance on parameters
	}{
		{"double 0.6·e^(−t/2)+0.4·e^(−t/15)",
			noisy(func(t float64) float64 { return 0.6*math.Exp(-t/2) + 0.4*math.Exp(-t/15) }, 1e-4),
			"double", 1, 0.6, 2, 15, 0.02},
		{"double 0.9·(0.3·e^(−t/1)+0.7·e^(−t/25))",
			noisy(func(t float64) float64 { return 0.9 * (0.3*math.Exp(-t) + 0.7*math.Exp(-t/25)) }, 1e-4),
			"double", 0.9, 0.3, 1, 25, 0.03},
		{"single e^(−t/6)",
			noisy(func(t float64) float64 { return math.Exp(-t / 6) }, 1e-3),
			"single", 1, 1, 6, 6, 0.02},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := FitTimescale(tc.ac, 30)
			if f.Model != tc.model || f.N != 31 {
				t.Fatalf("model %q (AIC single %.1f double %.1f, N %d), want %q", f.Model, f.AICSingle, f.AICDouble, f.N, tc.model)
			}
			rel := func(got, want float64) bool { return math.Abs(got-want) <= tc.tol*math.Abs(want) }
			if !rel(f.A, tc.a) || !rel(f.C, tc.c) || !rel(f.Tau1, tc.tau1) || !rel(f.Tau2, tc.tau2) || !rel(f.Tau, tc.tau2) {
				t.Fatalf("fit %+v, want a %v c %v τ1 %v τ2 %v", f, tc.a, tc.c, tc.tau1, tc.tau2)
			}
			if tc.model == "double" && !(f.AICDouble < f.AICSingle-10) {
				t.Fatalf("AIC should clearly prefer double: %v vs %v", f.AICDouble, f.AICSingle)
			}
		})
	}
}

func TestAIC(t *testing.T) {
	// 2k + n ln(RSS/n): k=2, n=10, RSS=10 → 4.
	if got := AIC(10, 10, 2); !near(got, 4, 1e-12) {
		t.Fatalf("AIC %v", got)
	}
	if got := AIC(0, 10, 2); math.IsInf(got, 0) || math.IsNaN(got) {
		t.Fatalf("AIC of perfect fit should be finite, got %v", got)
	}
}

func TestPopulationTau(t *testing.T) {
	ac := make([]float64, 50)
	for k := range ac {
		ac[k] = math.Exp(-float64(k) / 4.3)
	}
	if got := PopulationTau(ac); got != 5 {
		t.Fatalf("PopulationTau = %v want 5", got)
	}
	if got := PopulationTauInterp(ac); !near(got, 4.3, 1e-9) {
		t.Fatalf("PopulationTauInterp = %v want 4.3 (exact for an exponential)", got)
	}
	if got := PopulationTau([]float64{1, 0.9, 0.8}); !math.IsNaN(got) {
		t.Fatalf("never crossing should be NaN, got %v", got)
	}
}

func TestUnitAndPopulationTimescales(t *testing.T) {
	const trials, T, discard = 4, 6000, 500
	phis := []float64{0.9, 0.7, 0} // unit 2 silent
	series := make([][][]float64, len(phis))
	for u, phi := range phis {
		if phi > 0 {
			series[u] = ar1(phi, trials, T, uint64(u+10))
		}
	}
	act := make([][][]float32, trials)
	for tr := range act {
		act[tr] = make([][]float32, T)
		for t := range T {
			act[tr][t] = make([]float32, len(phis))
			for u := range phis {
				if series[u] != nil {
					act[tr][t][u] = float32(series[u][tr][t])
				}
			}
		}
	}
	res := UnitTimescales(act, discard, 200, 30)
	if len(res) != 3 {
		t.Fatalf("got %d units", len(res))
	}
	for u, phi := range phis[:2] {
		tau := -1 / math.Log(phi)
		if !res[u].Valid || res[u].Unit != u || math.Abs(res[u].Fit.Single.Tau-tau)/tau > 0.08 {
			t.Errorf("unit %d: %+v want τ %.3f ± 8%%", u, res[u].Fit, tau)
		}
	}
	if res[2].Valid || !math.IsNaN(res[2].Tau) {
		t.Errorf("silent unit should be invalid: %+v", res[2])
	}
	ac, ptau := PopulationTimescale(act, discard, 200)
	if len(ac) != 201 || math.IsNaN(ptau) || ptau < 3 || ptau > 10 {
		t.Errorf("population τ %v (ac len %d)", ptau, len(ac))
	}
}

// TestFitBounds pins the authors' curve_fit bounds (timescales.py:
// model_comp): amplitude a ∈ [0, 1] and τ ≤ 500.
func TestFitBounds(t *testing.T) {
	exp := func(a, tau float64) []float64 {
		y := make([]float64, 31)
		for k := range y {
			y[k] = a * math.Exp(-float64(k)/tau)
		}
		return y
	}
	// 1.3·e^(−t/5): the amplitude is held at 1; τ rises to compensate.
	f := FitTimescale(exp(1.3, 5), 30)
	if math.Abs(f.Single.A-1) > 1e-6 || f.Single.Tau <= 5 || f.Single.Tau > DefaultMaxTau {
		t.Errorf("1.3·e^(−t/5): single a=%v τ=%v, want a = 1 (bound) and 5 < τ ≤ 500", f.Single.A, f.Single.Tau)
	}
	if f.Double.A > 1 || f.Double.C < 0 || f.Double.C > 1 {
		t.Errorf("double out of bounds: %+v", f.Double)
	}
	// e^(−t/2000): nearly flat over lags 0–30, so τ sits at the bound 500.
	f = FitTimescale(exp(1, 2000), 30)
	if DefaultMaxTau != 500 || f.Single.Tau > 500 || f.Single.Tau < 490 {
		t.Errorf("e^(−t/2000): single τ = %v, want the bound 500 (DefaultMaxTau %v)", f.Single.Tau, DefaultMaxTau)
	}
	// Exact fits inside the bounds are recovered: 0.8·e^(−t/40).
	f = FitTimescale(exp(0.8, 40), 30)
	if math.Abs(f.Single.A-0.8) > 1e-4 || math.Abs(f.Single.Tau-40) > 0.01 {
		t.Errorf("0.8·e^(−t/40): single a=%v τ=%v", f.Single.A, f.Single.Tau)
	}
}
