package sdk_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// A task is a Description and a generate function; a plugin's main is then
// one line, sdk.Serve(g), and `cbrnn tasks new NAME` writes the scaffold
// (taskplugins/template/example). Before building a plugin, the generator
// can be tried in-process: g.Batch is exactly what Serve answers to the
// host's request, with the RNG seeded from the request (task.SeedKey).
func Example() {
	g := task.Generator{
		Desc: task.Description{
			Name: "last-bit", Version: "0.1.0", Summary: "label = the last bit",
			Inputs: 1, Heads: []int{2}, HeadNames: []string{"last"},
			MinN: 1, MaxN: 100, Labels: task.LastStep,
			MinTMul: 0, MinTAdd: 1, MaxTMul: 1, MaxTAdd: 1, // T ∈ [1, N+1]
		},
		// x is [T, B, I] time-major; labels are [heads][B].
		Generate: func(rng *rand.Rand, n, b int, _ map[string]string) ([]float32, int, [][]int32, error) {
			t := n + 1
			x := make([]float32, t*b)
			for i := range x {
				x[i] = float32(rng.IntN(2))
			}
			labels := make([]int32, b)
			for i := range labels {
				labels[i] = int32(x[(t-1)*b+i])
			}
			return x, t, [][]int32{labels}, nil
		},
	}
	batch, err := g.Batch(task.Request{N: 3, B: 4, Seed: 2, Split: task.Train})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x: [T=%d, B=%d, I=%d]\n", batch.T, batch.B, batch.I)
	fmt.Println("last step:", batch.X[(batch.T-1)*batch.B:])
	fmt.Println("labels:   ", batch.Labels[0])

	// A request the declaration does not allow never reaches Generate.
	_, err = g.Batch(task.Request{N: 500, B: 4})
	fmt.Println(err)
	// Output:
	// x: [T=4, B=4, I=1]
	// last step: [1 1 0 1]
	// labels:    [1 1 0 1]
	// N=500 outside the supported range [1, 100] of last-bit
}
