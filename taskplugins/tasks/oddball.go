package tasks

import (
	"math/rand/v2"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// The volatility oddball (METHODS §2.4). Two generators share one label rule:
//
//   - Oddball is what the authors' registry trains under the name "oddball"
//     (tasks/task_registry.py, TASK_SPECS["oddball"] → make_batch_mtstyle_oddball
//     in tasks/tasks_using.py at commit 38356e7; the refactored commit 619a7ff
//     keeps the generator in tasks/task_generators.py but drops "oddball" from
//     tasks/registry.py). Its bits are i.i.d. and balanced, so the context is
//     volatile or stable only by chance: at N = 8, P(volatile) = P(Bin(7, ½) ≥ 3)
//     = 99/128 ≈ 0.77.
//   - OddballStructured is the authors' other generator
//     (make_batch_volatility_oddball with _generate_context_with_mode, same
//     file), which builds a stable or a volatile context on purpose. Their
//     registry never trains it; it is kept as its own plugin because the task
//     it poses (tell the two regimes apart) is the one the name promises.

// oddballVersion is the data version of the oddball generators: 2 since
// "oddball" became the authors' i.i.d. generator and the structured one got
// its random-bias prefix and its own name.
const oddballVersion = "2.0.0"

// volatilityLabel is the authors' label rule (get_volatility_oddball_label in
// tasks/task_generators.py @619a7ff): the context is the N bits before the
// probe (the last bit); it is volatile iff transitions/max(1, N−1) exceeds
// threshold (strictly); the expected probe is the last context bit if the
// context is stable and its flip if volatile; the label is 1 iff the probe is
// the expected bit. The max(1, ·) makes N = 1 well defined: one context bit,
// no transition, always stable.
func volatilityLabel(x []float32, t, b, in, bi, n int, threshold float64) int32 {
	if x[((t-1)*b+bi)*in] == expectedProbe(x, t, b, in, bi, n, threshold) {
		return 1
	}
	return 0
}

// expectedProbe is the bit the context [t−1−N, t−2] of trial bi predicts at
// the probe t−1: its last bit if stable, the flip if volatile.
func expectedProbe(x []float32, t, b, in, bi, n int, threshold float64) float32 {
	at := func(k int) float32 { return x[(k*b+bi)*in] }
	trans := 0
	for k := t - n; k < t-1; k++ { // the N−1 neighbouring pairs (k−1, k) of the context
		if at(k) != at(k-1) {
			trans++
		}
	}
	expected := at(t - 2)
	if float64(trans)/float64(max(1, n-1)) > threshold {
		expected = 1 - expected
	}
	return expected
}

var thresholdParam = task.Param{Key: "threshold", Default: "0.35",
	Help: "the context is volatile iff transitions/max(1, N-1) exceeds this", Domain: task.FloatIn(0, 1)}

// Oddball is the registry's oddball: M as for DMS, i.i.d. Bernoulli(½) bits,
// the label from volatilityLabel on the last N+1 bits.
var Oddball = task.Generator{
	Desc: versioned(paperDesc("oddball",
		"volatility oddball as the authors train it: i.i.d. bits; label 1 iff the probe matches what the volatility of the N bits before it predicts",
		1, 1, 1000, []int{2}, []string{"oddball"}, thresholdParam), oddballVersion),
	Generate: generateOddball,
}

func generateOddball(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
	threshold, err := probability("oddball", p, "threshold")
	if err != nil {
		return nil, 0, nil, err
	}
	t := SeqLen(rng, n)
	x := make([]float32, t*b)
	Bits(rng, x)
	labels := make([]int32, b)
	for bi := range b {
		labels[bi] = volatilityLabel(x, t, b, 1, bi, n, threshold)
	}
	return x, t, [][]int32{labels}, nil
}

// OddballStructured builds each trial's context in a chosen regime, as the
// authors' make_batch_volatility_oddball does (tasks/task_generators.py
// @619a7ff, with its defaults): the regime is volatile or stable with
// probability ½; the context's first bit is Bernoulli(½) and each next bit
// flips with p_volatile (0.75) or p_stable (0.12); then every context bit
// flips independently with probability noise (0.05). The probe is the bit the
// (noisy) context predicts with probability p_match (½, their
// balance_probe=True), else its flip. With probability prefix_prob (0.3,
// their random_prefix) the bits before the context are redrawn as
// Bernoulli(q) with q ~ U(0, 1) drawn once for the trial (their
// generate_binary_sequence(·, balanced=False)). The label is volatilityLabel
// on the last N+1 bits, which equals "the probe matched".
var OddballStructured = task.Generator{
	Desc: versioned(paperDesc("oddball_structured",
		"volatility oddball with contexts built stable (flip p_stable) or volatile (flip p_volatile), noise flips, probe matching with p_match; label as oddball",
		1, 1, 1000, []int{2}, []string{"oddball"},
		task.Param{Key: "p_stable", Default: "0.12", Help: "flip probability of a stable context", Domain: task.FloatIn(0, 1)},
		task.Param{Key: "p_volatile", Default: "0.75", Help: "flip probability of a volatile context", Domain: task.FloatIn(0, 1)},
		task.Param{Key: "noise", Default: "0.05", Help: "probability of flipping each context bit afterwards", Domain: task.FloatIn(0, 1)},
		task.Param{Key: "p_match", Default: "0.5", Help: "probability that the probe is the expected bit", Domain: task.FloatIn(0, 1)},
		task.Param{Key: "prefix_prob", Default: "0.3", Help: "probability that the bits before the context get a random bias q ~ U(0,1)", Domain: task.FloatIn(0, 1)},
		thresholdParam), oddballVersion),
	Generate: generateOddballStructured,
}

func generateOddballStructured(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
	const name = "oddball_structured"
	var f [6]float64
	for i, k := range []string{"p_stable", "p_volatile", "noise", "p_match", "prefix_prob", "threshold"} {
		v, err := probability(name, p, k)
		if err != nil {
			return nil, 0, nil, err
		}
		f[i] = v
	}
	pStable, pVolatile, noise, pMatch, prefixProb, threshold := f[0], f[1], f[2], f[3], f[4], f[5]
	t := SeqLen(rng, n)
	x := make([]float32, t*b)
	Bits(rng, x) // balanced bits; the context and probe are overwritten below
	labels := make([]int32, b)
	ctx := make([]float32, n)
	at := func(k, bi int) *float32 { return &x[k*b+bi] }
	for bi := range b {
		flip := pStable
		if rng.Float64() < 0.5 {
			flip = pVolatile
		}
		ctx[0] = 0
		if rng.Float64() < 0.5 {
			ctx[0] = 1
		}
		for k := 1; k < n; k++ {
			ctx[k] = ctx[k-1]
			if rng.Float64() < flip {
				ctx[k] = 1 - ctx[k-1]
			}
		}
		for k := range n {
			if rng.Float64() < noise {
				ctx[k] = 1 - ctx[k]
			}
			*at(t-1-n+k, bi) = ctx[k]
		}
		// The probe comes from the label rule's own expectation, so "matched"
		// and the label cannot disagree.
		expected := expectedProbe(x, t, b, 1, bi, n, threshold)
		if rng.Float64() < pMatch {
			*at(t-1, bi) = expected
		} else {
			*at(t-1, bi) = 1 - expected
		}
		if prefix := t - (n + 1); prefix > 0 && rng.Float64() < prefixProb {
			q := rng.Float64()
			for k := range prefix {
				*at(k, bi) = 0
				if rng.Float64() < q {
					*at(k, bi) = 1
				}
			}
		}
		labels[bi] = volatilityLabel(x, t, b, 1, bi, n, threshold)
	}
	return x, t, [][]int32{labels}, nil
}
