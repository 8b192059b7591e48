package tasks

import (
	"fmt"
	"math/rand/v2"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Version is the version the paper tasks report unless versioned gives one
// its own. Bump a task's version when its generator's output changes, since
// saved runs assume the same data.
const Version = "1.0.0"

// versioned gives a description its own data version.
func versioned(d task.Description, version string) task.Description {
	d.Version = version
	return d
}

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

// All lists the paper's tasks.
var All = []task.Generator{DMS, Parity, Mod3, Oddball, OddballStructured, DMSFixed, ParityFixed, Multitask, Switch, DMSMultiN, ParityMultiN}

// Lookup finds a paper task by name.
func Lookup(name string) (task.Generator, bool) {
	for _, g := range All {
		if g.Desc.Name == name {
			return g, true
		}
	}
	return task.Generator{}, false
}
