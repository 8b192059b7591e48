// Package tasks holds the paper's tasks (SPEC §2) as pure generators. The
// plugin binaries serve them (taskplugins/<name>), and Local serves them
// in-process, so unit tests and benchmarks need no subprocess and get the
// same bytes a plugin would send.
package tasks

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Version is the version every paper task reports. Bump it when a
// generator's output changes, since saved runs assume the same data.
const Version = "1.0.0"

// Fixed-pool size (SPEC §2: 200 × 4000 bits).
const (
	PoolRows = 200
	PoolLen  = 4000
)

// paperDesc fills in what all the paper's tasks share: binary input, labels
// on the last step, T = M ∈ {N+2, …, 4N+1}.
func paperDesc(name, summary string, inputs, minN, maxN int, heads []int, headNames []string, params ...task.Param) task.Description {
	return task.Description{
		Name: name, Version: Version, Summary: summary,
		Inputs: inputs, Heads: heads, HeadNames: headNames,
		MinN: minN, MaxN: maxN, Labels: task.LastStep, Params: params,
		MinTMul: 1, MinTAdd: 2, MaxTMul: 4, MaxTAdd: 1,
	}
}

// SeqLen draws the sequence length M uniformly from {N+2, …, 4N+1}; the
// paper draws it once per batch, so all trials of a batch share it.
func SeqLen(rng *rand.Rand, n int) int { return n + 2 + rng.IntN(3*n) }

// Bits fills x with independent Bernoulli(0.5) bits as 0/1, 64 per draw.
func Bits(rng *rand.Rand, x []float32) {
	for i := 0; i < len(x); i += 64 {
		w := rng.Uint64()
		end := min(i+64, len(x))
		for j := i; j < end; j++ {
			x[j] = float32(w & 1)
			w >>= 1
		}
	}
}

// window returns the sum of the last n bits of trial bi (channel 0 of I).
func window(x []float32, t, b, in, bi, n int) int {
	s := 0
	for k := t - n; k < t; k++ {
		s += int(x[(k*b+bi)*in])
	}
	return s
}

// dmsLabel is 1 iff x[M−N] == x[M−1] (0-based) for trial bi.
func dmsLabel(x []float32, t, b, in, bi, n int) int32 {
	if x[((t-n)*b+bi)*in] == x[((t-1)*b+bi)*in] {
		return 1
	}
	return 0
}

func parityLabel(x []float32, t, b, in, bi, n int) int32 {
	return int32(window(x, t, b, in, bi, n) % 2)
}

func mod3Label(x []float32, t, b, in, bi, n int) int32 {
	return int32(window(x, t, b, in, bi, n) % 3)
}

type labelFunc func(x []float32, t, b, in, bi, n int) int32

// bitsTask is a fresh-random-bits task with one head per label function.
func bitsTask(labels ...labelFunc) task.GenerateFunc {
	return func(rng *rand.Rand, n, b int, _ map[string]string) ([]float32, int, [][]int32, error) {
		t := SeqLen(rng, n)
		x := make([]float32, t*b)
		Bits(rng, x)
		return x, t, label(x, t, b, 1, n, labels), nil
	}
}

func label(x []float32, t, b, in, n int, fs []labelFunc) [][]int32 {
	out := make([][]int32, len(fs))
	for h, f := range fs {
		out[h] = make([]int32, b)
		for bi := range b {
			out[h][bi] = f(x, t, b, in, bi, n)
		}
	}
	return out
}

// DMS is N-delayed match-to-sample: label 1 iff the bit N−1 steps before
// the last one equals the last one.
var DMS = task.Generator{
	Desc: paperDesc("dms", "N-DMS: label 1 iff x[M-N] == x[M-1] (the bit N-1 steps before the last equals the last)",
		1, 2, 1000, []int{2}, []string{"dms"}),
	Generate: bitsTask(dmsLabel),
}

// Parity is N-bit parity of the last N bits.
var Parity = task.Generator{
	Desc: paperDesc("parity", "N-parity: label = (sum of the last N bits) mod 2",
		1, 1, 1000, []int{2}, []string{"parity"}),
	Generate: bitsTask(parityLabel),
}

// Mod3 is the three-class analogue of parity.
var Mod3 = task.Generator{
	Desc: paperDesc("mod3", "N-mod3: label = (sum of the last N bits) mod 3, three classes",
		1, 1, 1000, []int{3}, []string{"mod3"}),
	Generate: bitsTask(mod3Label),
}

// Multitask shares one sequence between a DMS head and a parity head.
var Multitask = task.Generator{
	Desc: paperDesc("multitask", "DMS (head 0) and parity (head 1) on one shared sequence, one N",
		1, 2, 1000, []int{2, 2}, []string{"dms", "parity"}),
	Generate: bitsTask(dmsLabel, parityLabel),
}

// SwitchPulse is how many steps the switch channel is on at the start of
// every trial.
const SwitchPulse = 3

// Switch is the task-switching input: bits on channel 0, a 1.0 pulse on
// channel 1 for the first 3 steps, both tasks' labels. Which head trains is
// the trainer's business; "active" is part of the request (and so of the
// seed) but does not change the data's law.
var Switch = task.Generator{
	Desc: paperDesc("switch", "task switching: bits on channel 0, switch pulse on channel 1 (first 3 steps); heads DMS and parity",
		2, 2, 1000, []int{2, 2}, []string{"dms", "parity"},
		task.Param{Key: "active", Default: "dms", Help: "the task being trained: dms or parity", Domain: task.OneOf("dms", "parity")}),
	Generate: func(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
		if a := p["active"]; a != "dms" && a != "parity" {
			return nil, 0, nil, fmt.Errorf("active = %q, want dms or parity", a)
		}
		t := SeqLen(rng, n)
		bits := make([]float32, t*b)
		Bits(rng, bits)
		x := make([]float32, t*b*2)
		for k, v := range bits {
			x[2*k] = v
			if k/b < SwitchPulse {
				x[2*k+1] = 1
			}
		}
		return x, t, label(x, t, b, 2, n, []labelFunc{dmsLabel, parityLabel}), nil
	},
}

// Oddball is the volatility oddball task: the N bits before the probe come
// from a stable (flip prob 0.12) or volatile (0.75) chain with 5% noise; the
// context counts as volatile iff transitions/(N−1) > 0.35; the expected probe
// is the last context bit (stable) or its flip (volatile); the probe matches
// with probability 1/2 and the label is 1 iff it does.
var Oddball = task.Generator{
	Desc: paperDesc("oddball", "volatility oddball: label 1 iff the probe matches what the context's volatility predicts",
		1, 2, 1000, []int{2}, []string{"oddball"},
		task.Param{Key: "p_stable", Default: "0.12", Help: "flip probability of a stable context"},
		task.Param{Key: "p_volatile", Default: "0.75", Help: "flip probability of a volatile context"},
		task.Param{Key: "noise", Default: "0.05", Help: "probability of flipping each context bit afterwards"},
		task.Param{Key: "threshold", Default: "0.35", Help: "volatile iff transitions/(N-1) exceeds this"}),
	Generate: generateOddball,
}

func floatParams(p map[string]string, keys ...string) ([]float64, error) {
	out := make([]float64, len(keys))
	for i, k := range keys {
		v, err := strconv.ParseFloat(p[k], 64)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", k, err)
		}
		out[i] = v
	}
	return out, nil
}

func generateOddball(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
	f, err := floatParams(p, "p_stable", "p_volatile", "noise", "threshold")
	if err != nil {
		return nil, 0, nil, err
	}
	pStable, pVolatile, noise, threshold := f[0], f[1], f[2], f[3]
	t := SeqLen(rng, n)
	x := make([]float32, t*b)
	Bits(rng, x) // the prefix before the context stays random
	labels := make([]int32, b)
	ctx := make([]float32, n)
	for bi := range b {
		flip := pStable
		if rng.IntN(2) == 1 {
			flip = pVolatile
		}
		ctx[0] = float32(rng.IntN(2))
		for k := 1; k < n; k++ {
			ctx[k] = ctx[k-1]
			if rng.Float64() < flip {
				ctx[k] = 1 - ctx[k-1]
			}
		}
		trans := 0
		for k := range n {
			if rng.Float64() < noise {
				ctx[k] = 1 - ctx[k]
			}
			if k > 0 && ctx[k] != ctx[k-1] {
				trans++
			}
		}
		expected := ctx[n-1]
		if float64(trans)/float64(n-1) > threshold {
			expected = 1 - expected
		}
		probe := expected
		labels[bi] = 1
		if rng.IntN(2) == 0 {
			probe = 1 - expected
			labels[bi] = 0
		}
		for k := range n {
			x[(t-1-n+k)*b+bi] = ctx[k]
		}
		x[(t-1)*b+bi] = probe
	}
	return x, t, [][]int32{labels}, nil
}

// pools caches fixed pools by seed string: 800 kB each, made once per
// process.
var pools sync.Map // string → []byte

// Pool returns the fixed pool for seed: PoolRows × PoolLen Bernoulli(0.5)
// bits, row-major, a pure function of the seed string.
func Pool(seed string) []byte {
	if p, ok := pools.Load(seed); ok {
		return p.([]byte)
	}
	key := task.SeedKey("cbrnn-fixed-pool", map[string]string{"pool_seed": seed}, task.Request{})
	rng := task.NewRNG(key)
	p := make([]byte, PoolRows*PoolLen)
	for i := 0; i < len(p); i += 64 {
		w := rng.Uint64()
		for j := i; j < min(i+64, len(p)); j++ {
			p[j] = byte(w & 1)
			w >>= 1
		}
	}
	actual, _ := pools.LoadOrStore(seed, p)
	return actual.([]byte)
}

// fixedTask cuts every trial from a random row of the pool at a random
// offset (SPEC §2 fixed-pool controls) and labels it like the fresh task.
func fixedTask(f labelFunc) task.GenerateFunc {
	return func(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
		pool := Pool(p["pool_seed"])
		t := SeqLen(rng, n)
		x := make([]float32, t*b)
		for bi := range b {
			row, off := rng.IntN(PoolRows), rng.IntN(PoolLen-t+1)
			src := pool[row*PoolLen+off:]
			for k := range t {
				x[k*b+bi] = float32(src[k])
			}
		}
		return x, t, label(x, t, b, 1, n, []labelFunc{f}), nil
	}
}

var poolParam = task.Param{Key: "pool_seed", Default: "0", Help: "seed of the fixed 200x4000 pool"}

// fixedMaxN keeps 4N+1 within a pool row.
const fixedMaxN = (PoolLen - 1) / 4

// DMSFixed is N-DMS on slices of a fixed pool.
var DMSFixed = task.Generator{
	Desc: paperDesc("dms_fixed", "N-DMS on random slices of a fixed 200x4000 bit pool (control)",
		1, 2, fixedMaxN, []int{2}, []string{"dms"}, poolParam),
	Generate: fixedTask(dmsLabel),
}

// ParityFixed is N-parity on slices of a fixed pool.
var ParityFixed = task.Generator{
	Desc: paperDesc("parity_fixed", "N-parity on random slices of a fixed 200x4000 bit pool (control)",
		1, 1, fixedMaxN, []int{2}, []string{"parity"}, poolParam),
	Generate: fixedTask(parityLabel),
}

// All lists the paper's tasks.
var All = []task.Generator{DMS, Parity, Mod3, Oddball, DMSFixed, ParityFixed, Multitask, Switch}

// Lookup finds a paper task by name.
func Lookup(name string) (task.Generator, bool) {
	for _, g := range All {
		if g.Desc.Name == name {
			return g, true
		}
	}
	return task.Generator{}, false
}
