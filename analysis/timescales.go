package analysis

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/optimize"
)

// Autocorr returns the autocorrelation of a signal observed in several
// trials, for lags 0..maxLag (METHODS §4, timescales).
//
// Per trial: the trial's own mean is removed, the series is zero-padded to
// the next power of two ≥ 2T (so the circular FFT correlation equals the
// linear one for every lag < T; a power of two keeps fftpack fast for any
// T), and the lag-k sum Σ_t x_t x_{t+k} (from the inverse FFT of |X|²) is
// divided by the overlap count T−k. The per-trial autocovariances are
// averaged over trials and the average is divided by its lag-0 value, so
// ac[0] = 1. Trials may differ in length; lags ≥ the shortest T are dropped
// (the result is then shorter than maxLag+1).
//
// A signal with zero variance in every trial (a silent unit) has no defined
// autocorrelation: the result is all NaN.
func Autocorr(trials [][]float64, maxLag int) []float64 {
	if len(trials) == 0 || maxLag < 0 {
		return nil
	}
	minT := len(trials[0])
	for _, tr := range trials {
		minT = min(minT, len(tr))
	}
	if minT == 0 {
		return nil
	}
	maxLag = min(maxLag, minT-1)
	acc := make([]float64, maxLag+1)
	var w autocorrWork
	for _, tr := range trials {
		r := w.lagSums(tr)
		T := len(tr)
		for k := 0; k <= maxLag; k++ {
			acc[k] += r[k] / float64(T-k)
		}
	}
	ac := make([]float64, maxLag+1)
	if acc[0] <= 0 || math.IsNaN(acc[0]) {
		for i := range ac {
			ac[i] = math.NaN()
		}
		return ac
	}
	for k := range ac {
		ac[k] = acc[k] / acc[0]
	}
	return ac
}

// autocorrWork caches one FFT plan and its buffers (not safe for concurrent
// use; each goroutine owns one).
type autocorrWork struct {
	fft   *fourier.FFT
	buf   []float64
	coeff []complex128
}

// lagSums returns r with r[k] = Σ_{t} (x_t−x̄)(x_{t+k}−x̄) for k < len(x).
func (w *autocorrWork) lagSums(x []float64) []float64 {
	T := len(x)
	n := 1
	for n < 2*T {
		n <<= 1
	}
	if w.fft == nil || w.fft.Len() != n {
		w.fft = fourier.NewFFT(n)
		w.buf = make([]float64, n)
		w.coeff = make([]complex128, n/2+1)
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(T)
	for i := range w.buf {
		if i < T {
			w.buf[i] = x[i] - mean
		} else {
			w.buf[i] = 0
		}
	}
	c := w.fft.Coefficients(w.coeff, w.buf)
	for i, v := range c {
		c[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	r := w.fft.Sequence(w.buf, c)
	// gonum's inverse transform is unnormalised: scale by 1/n.
	inv := 1 / float64(n)
	for i := range T {
		r[i] *= inv
	}
	return r[:T]
}

// Fit is the result of fitting single and double exponentials to an
// autocorrelation (METHODS §4).
//
// Single: a·e^(−t/τ) (k = 2). Double: a(c·e^(−t/τ1) + (1−c)e^(−t/τ2)) with
// 0 ≤ c ≤ 1 and τ1 ≤ τ2 (k = 4; the fit is relabelled so τ1 is the fast
// component and C its weight). AIC = 2k + n·ln(RSS/n) over the n fitted
// lags; the model with the lower AIC is chosen.
//
// The top-level fields describe the chosen model: for "single", Tau = τ,
// A = a, C = 1 and Tau1 = Tau2 = τ (the double with c = 1); for "double",
// Tau = Tau2 (the slow timescale, SPEC's unit τ), A, C, Tau1, Tau2 the
// double's parameters. Model is "" and every float NaN when the input had
// NaNs (silent unit) or fewer than 5 points. Timescales are in time steps.
//
// Caveat (a property of the SPEC method, not of this code): on a pure AR(1)
// autocorrelation estimated from finite data, AIC picks the double about
// half the time, because the estimator's errors are correlated across lags
// and a small-weight second component fits them; its "slow" τ then sits
// anywhere up to MaxTau (the fitted curve itself still matches the data;
// Single.Tau is then the better estimate). Tau follows SPEC regardless.
type Fit struct {
	Model                string
	Tau                  float64
	A, C, Tau1, Tau2     float64
	AICSingle, AICDouble float64
	Single               SingleExp
	Double               DoubleExp
	N                    int // number of lags fitted
}

// SingleExp is a fitted a·e^(−t/τ).
type SingleExp struct{ A, Tau, RSS float64 }

// DoubleExp is a fitted a(c·e^(−t/τ1) + (1−c)e^(−t/τ2)), τ1 ≤ τ2.
type DoubleExp struct{ A, C, Tau1, Tau2, RSS float64 }

// Eval returns a·e^(−t/τ).
func (s SingleExp) Eval(t float64) float64 { return s.A * math.Exp(-t/s.Tau) }

// Eval returns a(c·e^(−t/τ1) + (1−c)e^(−t/τ2)).
func (d DoubleExp) Eval(t float64) float64 {
	return d.A * (d.C*math.Exp(-t/d.Tau1) + (1-d.C)*math.Exp(-t/d.Tau2))
}

// AIC returns 2k + n·ln(RSS/n). RSS is floored at 1e-300 so a perfect fit
// gives a large negative but finite AIC.
func AIC(rss float64, n, k int) float64 {
	return 2*float64(k) + float64(n)*math.Log(math.Max(rss, 1e-300)/float64(n))
}

// DefaultMaxTau bounds every fitted τ (in steps): the authors' curve_fit
// bounds, τ ∈ [0, 500] (analysis/timescales.py: model_comp, METHODS §4.7).
// The fit sees lags 0–30 only, so a τ far above 30 is not resolved by the
// data; the bound keeps a near-constant component from running off to 10⁶.
const DefaultMaxTau = 500

// minTau is the lower bound on fitted τ (steps).
const minTau = 1e-3

// FitOptions configures FitTimescaleOpts.
type FitOptions struct {
	FitLags int     // fit lags 0..FitLags (SPEC: 30)
	MaxTau  float64 // upper bound on τ; 0 means DefaultMaxTau
}

// FitTimescale is FitTimescaleOpts with MaxTau = DefaultMaxTau.
func FitTimescale(ac []float64, fitLags int) Fit {
	return FitTimescaleOpts(ac, FitOptions{FitLags: fitLags})
}

// FitTimescaleOpts fits lags 0..FitLags of ac (FitLags = 30 in the paper,
// i.e. 31 points) with the single and double exponentials by least squares
// and picks one by AIC.
//
// The bounds are the authors' (model_comp's curve_fit calls): amplitude
// a ∈ [0, 1], weight c ∈ [0, 1], every τ ∈ (0, MaxTau] (500 by default).
// Least squares uses gonum's Nelder–Mead on unconstrained parameters mapped
// smoothly onto the bounds (τ = minTau + (MaxTau−minTau)·logistic(θ);
// a = unitBox(u) and c = unitBox(v), which reach 0 and 1 exactly) from a
// small grid of starts built around the 1/e crossing of ac, then restarts
// once from the best point (a standard guard against Nelder–Mead stalling
// on a collapsed simplex).
func FitTimescaleOpts(ac []float64, o FitOptions) Fit {
	if o.MaxTau <= 0 {
		o.MaxTau = DefaultMaxTau
	}
	n := min(o.FitLags+1, len(ac))
	nan := math.NaN()
	fit := Fit{Tau: nan, A: nan, C: nan, Tau1: nan, Tau2: nan,
		AICSingle: nan, AICDouble: nan, N: max(n, 0),
		Single: SingleExp{nan, nan, nan}, Double: DoubleExp{nan, nan, nan, nan, nan}}
	if n < 5 {
		return fit
	}
	y := ac[:n]
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fit
		}
	}
	b := tauBounds{lo: minTau, hi: o.MaxTau}
	tau0 := PopulationTauInterp(y)
	if math.IsNaN(tau0) || tau0 <= 0 {
		tau0 = float64(n) // slower than the fitted window
	}
	tau0 = math.Min(math.Max(tau0, 0.2), o.MaxTau/2)
	a0 := math.Min(1, math.Max(y[0], 0.05))

	s := fitSingle(y, a0, tau0, b)
	d := fitDouble(y, a0, tau0, s, b)
	fit.Single, fit.Double = s, d
	fit.AICSingle = AIC(s.RSS, n, 2)
	fit.AICDouble = AIC(d.RSS, n, 4)
	if fit.AICDouble < fit.AICSingle {
		fit.Model = "double"
		fit.Tau, fit.A, fit.C, fit.Tau1, fit.Tau2 = d.Tau2, d.A, d.C, d.Tau1, d.Tau2
	} else {
		fit.Model = "single"
		fit.Tau, fit.A, fit.C, fit.Tau1, fit.Tau2 = s.Tau, s.A, 1, s.Tau, s.Tau
	}
	return fit
}

// tauBounds maps an unconstrained θ smoothly onto (lo, hi) and back.
type tauBounds struct{ lo, hi float64 }

func (b tauBounds) tau(theta float64) float64 { return b.lo + (b.hi-b.lo)*logistic(theta) }

func (b tauBounds) theta(tau float64) float64 {
	tau = math.Min(math.Max(tau, b.lo*1.001), b.hi*0.999)
	return logit((tau - b.lo) / (b.hi - b.lo))
}

func logistic(u float64) float64 { return 1 / (1 + math.Exp(-u)) }

func logit(c float64) float64 { return math.Log(c / (1 - c)) }

// unitBox maps the real line onto [0, 1], reaching both ends (the bound
// a ∈ [0, 1] is active when an autocorrelation starts at 1).
func unitBox(u float64) float64 { return 0.5 - 0.5*math.Cos(u) }

// unitBoxInv is an inverse of unitBox on [0, π].
func unitBoxInv(a float64) float64 { return math.Acos(1 - 2*math.Min(1, math.Max(0, a))) }

func fitSingle(y []float64, a0, tau0 float64, b tauBounds) SingleExp {
	f := func(p []float64) float64 {
		a, tau := unitBox(p[0]), b.tau(p[1])
		rss := 0.0
		for t, v := range y {
			r := v - a*math.Exp(-float64(t)/tau)
			rss += r * r
		}
		return rss
	}
	var starts [][]float64
	for _, m := range []float64{1, 0.3, 3, 10} {
		starts = append(starts, []float64{unitBoxInv(a0), b.theta(tau0 * m)})
	}
	x, rss := minimizeMulti(f, starts)
	return SingleExp{A: unitBox(x[0]), Tau: b.tau(x[1]), RSS: rss}
}

func fitDouble(y []float64, a0, tau0 float64, s SingleExp, b tauBounds) DoubleExp {
	f := func(p []float64) float64 {
		a, c, t1, t2 := unitBox(p[0]), unitBox(p[1]), b.tau(p[2]), b.tau(p[3])
		rss := 0.0
		for t, v := range y {
			ft := float64(t)
			r := v - a*(c*math.Exp(-ft/t1)+(1-c)*math.Exp(-ft/t2))
			rss += r * r
		}
		return rss
	}
	var starts [][]float64
	for _, fast := range []float64{0.1, 0.3} {
		for _, slow := range []float64{1, 3, 10} {
			starts = append(starts, []float64{unitBoxInv(a0), unitBoxInv(0.5), b.theta(tau0 * fast), b.theta(tau0 * slow)})
		}
	}
	// Start next to the single fit too, so the double is never worse than it.
	starts = append(starts, []float64{unitBoxInv(s.A), unitBoxInv(0.5), b.theta(s.Tau), b.theta(s.Tau * 1.01)})
	x, rss := minimizeMulti(f, starts)
	d := DoubleExp{A: unitBox(x[0]), C: unitBox(x[1]), Tau1: b.tau(x[2]), Tau2: b.tau(x[3]), RSS: rss}
	if d.Tau1 > d.Tau2 { // relabel: τ1 is the fast component, C its weight
		d.Tau1, d.Tau2, d.C = d.Tau2, d.Tau1, 1-d.C
	}
	return d
}

// minimizeMulti runs Nelder–Mead from each start, then once more from the
// best point, and returns the best location and value.
func minimizeMulti(f func([]float64) float64, starts [][]float64) ([]float64, float64) {
	run := func(x0 []float64) ([]float64, float64) {
		p := optimize.Problem{Func: f}
		settings := &optimize.Settings{
			MajorIterations: 4000,
			Converger:       &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-10, Iterations: 60},
		}
		res, err := optimize.Minimize(p, x0, settings, &optimize.NelderMead{})
		if res == nil || (err != nil && res.X == nil) {
			return x0, f(x0)
		}
		return res.X, res.F
	}
	var bestX []float64
	bestF := math.Inf(1)
	for _, s := range starts {
		x, v := run(s)
		if v < bestF || bestX == nil {
			bestX, bestF = x, v
		}
	}
	if x, v := run(append([]float64(nil), bestX...)); v < bestF {
		bestX, bestF = x, v
	}
	return bestX, bestF
}

// PopulationTau is the first lag at which ac ≤ 1/e, as METHODS §4 defines the
// population timescale (an integer number of steps). It is NaN when ac never
// falls to 1/e within its lags, or when ac contains NaN (silent population).
func PopulationTau(ac []float64) float64 {
	thr := 1 / math.E
	for k, v := range ac {
		if math.IsNaN(v) {
			return math.NaN()
		}
		if v <= thr {
			return float64(k)
		}
	}
	return math.NaN()
}

// PopulationTauInterp is PopulationTau refined by interpolating between the
// last lag above 1/e and the first at or below it. The interpolation is
// linear in ln(ac), so an exact exponential e^(−k/τ) gives exactly τ; if the
// crossing value is ≤ 0 (log undefined) it falls back to linear in ac. NaN in
// the same cases as PopulationTau.
func PopulationTauInterp(ac []float64) float64 {
	thr := 1 / math.E
	k := PopulationTau(ac)
	if math.IsNaN(k) || k == 0 {
		return k
	}
	i := int(k)
	y0, y1 := ac[i-1], ac[i]
	if y0 == y1 {
		return k
	}
	if y1 > 0 {
		// ln y0 > −1 ≥ ln y1: solve ln y = −1 on the segment.
		l0, l1 := math.Log(y0), math.Log(y1)
		return float64(i-1) + (l0+1)/(l0-l1)
	}
	return float64(i-1) + (y0-thr)/(y0-y1)
}

// UnitTimescale is the per-unit result of UnitTimescales.
type UnitTimescale struct {
	Unit int
	AC   []float64 // autocorrelation, lags 0..maxLag
	Fit  Fit
	// Tau is Fit.Tau (SPEC's unit τ); Valid is false for silent units
	// (Tau NaN).
	Tau   float64
	Valid bool
}

// UnitTimescales computes each unit's autocorrelation (Autocorr over trials,
// after dropping the first `discard` steps of every trial) and its fitted
// timescale (FitTimescale over lags 0..fitLags). activity is
// [trial][time][unit]. METHODS §4 values: discard 500, maxLag 200, fitLags 30.
// Units are processed in parallel (GOMAXPROCS workers); the output is in unit
// order.
func UnitTimescales[F Float](activity [][][]F, discard, maxLag, fitLags int) []UnitTimescale {
	if len(activity) == 0 || len(activity[0]) == 0 {
		return nil
	}
	units := len(activity[0][0])
	out := make([]UnitTimescale, units)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			series := make([][]float64, len(activity))
			for u := range jobs {
				for tr := range activity {
					series[tr] = unitSeries(activity[tr], discard, u, series[tr])
				}
				ac := Autocorr(series, maxLag)
				fit := FitTimescale(ac, fitLags)
				out[u] = UnitTimescale{Unit: u, AC: ac, Fit: fit, Tau: fit.Tau, Valid: fit.Model != ""}
			}
		}()
	}
	for u := range units {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	return out
}

func unitSeries[F Float](trial [][]F, discard, u int, dst []float64) []float64 {
	dst = dst[:0]
	for t := discard; t < len(trial); t++ {
		dst = append(dst, float64(trial[t][u]))
	}
	return dst
}

// PopulationTimescale sums activity over units at each step ([trial][time]
// series, first `discard` steps dropped), returns the autocorrelation of the
// summed activity for lags 0..maxLag and its PopulationTau.
func PopulationTimescale[F Float](activity [][][]F, discard, maxLag int) (ac []float64, tau float64) {
	sums := make([][]float64, len(activity))
	for tr, trial := range activity {
		for t := discard; t < len(trial); t++ {
			s := 0.0
			for _, v := range trial[t] {
				s += float64(v)
			}
			sums[tr] = append(sums[tr], s)
		}
	}
	ac = Autocorr(sums, maxLag)
	return ac, PopulationTau(ac)
}
