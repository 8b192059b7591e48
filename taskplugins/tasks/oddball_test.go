package tasks_test

import (
	"math"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// oddballTrial is one oddball trial as the sequence shows it.
type oddballTrial struct {
	rate  float64 // transitions/(N−1) of the context
	ctx   []int
	label int32
}

// oddballTrials generates batches×64 oddball trials at N with params.
func oddballTrials(t *testing.T, n, batches int, params map[string]string) []oddballTrial {
	t.Helper()
	var out []oddballTrial
	for idx := range uint64(batches) {
		b, err := tasks.Oddball.Batch(task.Request{N: n, B: 64, Seed: 17, Index: idx, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		for bi, s := range trials(b, 0) {
			ctx := s[len(s)-1-n : len(s)-1]
			trans := 0
			for k := 1; k < n; k++ {
				if ctx[k] != ctx[k-1] {
					trans++
				}
			}
			out = append(out, oddballTrial{rate: float64(trans) / float64(n-1), ctx: ctx, label: b.Labels[0][bi]})
		}
	}
	return out
}

// meanSE returns the mean of xs and its standard error, from the sample SD.
// Trials are independent, so this is right even though the transitions
// within one context are not (neighbouring pairs share a noise flip).
func meanSE(xs []float64) (mean, se float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
}

// effectiveFlip is the probability that two neighbouring context bits differ
// once noise is added. The chain flips with probability p; then each bit is
// flipped independently with probability q. A pair differs iff the chain
// flipped XOR exactly one of its two bits got a noise flip, which has
// probability r = 2q(1−q). So P = p(1−r) + (1−p)r = p + r(1−2p):
// stable 0.12 + 0.095·0.76 = 0.1922, volatile 0.75 − 0.095·0.5 = 0.7025,
// noise alone (p = 0) 0.095.
func effectiveFlip(p, q float64) float64 {
	r := 2 * q * (1 - q)
	return p + r*(1-2*p)
}

// TestOddballFlipRates pins each generating mode (by giving both modes the
// same flip probability, which makes the mode known) and checks the
// empirical transition rate of the contexts against effectiveFlip, and the
// probe's match probability against 1/2, each within 5 standard errors.
func TestOddballFlipRates(t *testing.T) {
	const n, batches = 50, 100
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   float64
	}{
		{"stable mode", map[string]string{"p_volatile": "0.12"}, effectiveFlip(0.12, 0.05)},
		{"volatile mode", map[string]string{"p_stable": "0.75"}, effectiveFlip(0.75, 0.05)},
		{"stable mode without noise", map[string]string{"p_volatile": "0.12", "noise": "0"}, 0.12},
		{"volatile mode without noise", map[string]string{"p_stable": "0.75", "noise": "0"}, 0.75},
		{"noise alone", map[string]string{"p_stable": "0", "p_volatile": "0"}, effectiveFlip(0, 0.05)},
		{"paper mixture, half of each mode", nil, (effectiveFlip(0.12, 0.05) + effectiveFlip(0.75, 0.05)) / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := oddballTrials(t, n, batches, tc.params)
			rates, matches := make([]float64, len(ts)), make([]float64, len(ts))
			for i, tr := range ts {
				rates[i], matches[i] = tr.rate, float64(tr.label)
			}
			if m, se := meanSE(rates); math.Abs(m-tc.want) > 5*se {
				t.Errorf("transition rate %.4f, want %.4f ± %.4f (5 SE over %d contexts)", m, tc.want, 5*se, len(ts))
			}
			se := 0.5 / math.Sqrt(float64(len(ts)))
			if m, _ := meanSE(matches); math.Abs(m-0.5) > 5*se {
				t.Errorf("probe matches the expected bit in %.4f of trials, want 0.5 ± %.4f", m, 5*se)
			}
		})
	}
}

// TestOddballMixtureModes classifies the paper's (default) contexts with the
// task's own rule, volatile iff transitions/(N−1) > 0.35. At N = 200 the two
// modes' rate distributions (SD ≈ 0.03) lie far on either side of 0.35, so
// the rule recovers the generating mode: half the contexts each, with mean
// rates effectiveFlip(0.12, 0.05) and effectiveFlip(0.75, 0.05), and the
// probe matching with probability 1/2 in each class.
func TestOddballMixtureModes(t *testing.T) {
	const n, batches = 200, 50
	ts := oddballTrials(t, n, batches, nil)
	var stable, volatile, stableMatch, volatileMatch []float64
	for _, tr := range ts {
		if tr.rate > 0.35 {
			volatile, volatileMatch = append(volatile, tr.rate), append(volatileMatch, float64(tr.label))
		} else {
			stable, stableMatch = append(stable, tr.rate), append(stableMatch, float64(tr.label))
		}
	}
	total := float64(len(ts))
	if f := float64(len(volatile)) / total; math.Abs(f-0.5) > 5*0.5/math.Sqrt(total) {
		t.Errorf("%.4f of contexts volatile, want 0.5 ± %.4f", f, 5*0.5/math.Sqrt(total))
	}
	for _, c := range []struct {
		name           string
		rates, matches []float64
		want           float64
	}{
		{"stable", stable, stableMatch, effectiveFlip(0.12, 0.05)},
		{"volatile", volatile, volatileMatch, effectiveFlip(0.75, 0.05)},
	} {
		if m, se := meanSE(c.rates); math.Abs(m-c.want) > 5*se {
			t.Errorf("%s contexts: transition rate %.4f, want %.4f ± %.4f (5 SE)", c.name, m, c.want, 5*se)
		}
		k := float64(len(c.matches))
		if m, _ := meanSE(c.matches); math.Abs(m-0.5) > 5*0.5/math.Sqrt(k) {
			t.Errorf("%s contexts: probe matches in %.4f of trials, want 0.5 ± %.4f", c.name, m, 5*0.5/math.Sqrt(k))
		}
	}
}

// TestOddballNoiseRate measures the 5 % noise flips directly: with no chain
// flips a context is one bit repeated, and the noise flips are its minority
// bits (at N = 200, more than half flipped has probability ≈ 0). Bits flip
// independently, so the binomial standard error applies.
func TestOddballNoiseRate(t *testing.T) {
	const n, batches = 200, 50
	for _, noise := range []struct {
		param string
		want  float64
	}{{"0.05", 0.05}, {"0", 0}, {"0.2", 0.2}} {
		ts := oddballTrials(t, n, batches, map[string]string{"p_stable": "0", "p_volatile": "0", "noise": noise.param})
		flipped := 0
		for _, tr := range ts {
			ones := 0
			for _, v := range tr.ctx {
				ones += v
			}
			flipped += min(ones, n-ones)
		}
		bits := float64(len(ts) * n)
		got := float64(flipped) / bits
		if se := math.Sqrt(noise.want * (1 - noise.want) / bits); math.Abs(got-noise.want) > 5*se || (noise.want == 0 && flipped != 0) {
			t.Errorf("noise=%s: %.5f of context bits flipped, want %.3f ± %.5f", noise.param, got, noise.want, 5*se)
		}
	}
}
