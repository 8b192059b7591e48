// Command example is a task plugin made from cbrnn's template. To make your
// own task, run `cbrnn tasks new NAME` (or copy this directory to
// taskplugins/NAME and change taskName), then
//
//  1. describe the task in desc: inputs, heads and their classes, the N
//     range, the bounds of T, any parameters (with defaults);
//  2. write generate: (rng, N, B, params) → x [T, B, I] time-major, T and
//     labels [heads][B]. Draw all randomness from rng: the SDK seeds it from
//     the request, which makes every batch reproducible and keeps train and
//     test apart. Return an error for a request you cannot serve;
//  3. run `make plugins` (taskplugins/build.sh: builds it, adds its SHA-256
//     to the manifest) and look at it with `cbrnn tasks sample --task NAME --n 5`.
//
// The host checks every batch against desc, so a wrong shape or label fails
// loudly instead of training on garbage.
package main

import (
	"math/rand/v2"

	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// taskName must equal the directory's (and so the binary's) name.
const taskName = "example"

// Step 1: what the task is. This one is N-back recall: the label is the bit
// N steps before the last one.
var desc = task.Description{
	Name:      taskName,
	Version:   "0.1.0",
	Summary:   "N-back recall: label = the bit N steps before the last one",
	Inputs:    1,
	Heads:     []int{2}, // one readout head with two classes
	HeadNames: []string{"recall"},
	MinN:      1,
	MaxN:      1000,
	Labels:    task.LastStep,
	// T = M ∈ {N+2, …, 4N+1}, as in the paper's tasks.
	MinTMul: 1, MinTAdd: 2, MaxTMul: 4, MaxTAdd: 1,
	// Params: []task.Param{{Key: "p", Default: "0.5", Help: "..."}},
}

// Step 2: one batch. x[t, i, c] lives at x[(t*b+i)*Inputs+c].
func generate(rng *rand.Rand, n, b int, params map[string]string) ([]float32, int, [][]int32, error) {
	t := tasks.SeqLen(rng, n) // one length per batch, uniform in {N+2, …, 4N+1}
	x := make([]float32, t*b)
	tasks.Bits(rng, x) // Bernoulli(1/2) bits as 0/1
	labels := make([]int32, b)
	for i := range b {
		labels[i] = int32(x[(t-1-n)*b+i])
	}
	return x, t, [][]int32{labels}, nil
}

// Step 3: serve it (handshake, gRPC, deterministic seeding: all in the SDK).
func main() { sdk.Serve(task.Generator{Desc: desc, Generate: generate}) }
