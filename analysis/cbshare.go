package analysis

import (
	"fmt"
	"math"
)

// CorePre is the core's own drive at one step, W_x·x + b_x + W_h·h + b_h:
// the pre-activation without the CB term (h is h_{t−1}).
func (c *ElmanCell) CorePre(h, x []float64) []float64 { return c.corePre(h, x) }

// CBShare is the cerebellar module's share of the core's pre-activation
// over a set of steps (the sketch's "the CB dominates" check, experiments'
// seed-ratio):
//
//	share = √(Σ_s ‖b_s‖²) / √(Σ_s ‖core_s + b_s‖²)
//
// with b_s the CB term and core_s = W_x x + b_x + W_h h + b_h at step s
// (every step of every trial). It is a ratio of root-mean-square norms
// rather than a mean of per-step ratios, so that a step whose
// pre-activation happens to be near zero does not dominate. 0: the CB adds
// nothing; 1: the pre-activation is the CB's alone (or the core's own drive
// cancels as much as it adds); above 1 when the CB and the core's own drive
// cancel.
func CBShare(cb, core [][]float64) (float64, error) {
	if len(cb) == 0 || len(cb) != len(core) {
		return math.NaN(), fmt.Errorf("CB share: %d CB terms and %d core drives (want the same number, at least one)", len(cb), len(core))
	}
	var num, den float64
	for s := range cb {
		if len(cb[s]) != len(core[s]) {
			return math.NaN(), fmt.Errorf("CB share: step %d has a CB term of width %d and a core drive of width %d", s, len(cb[s]), len(core[s]))
		}
		for u, b := range cb[s] {
			p := core[s][u] + b
			num += b * b
			den += p * p
		}
	}
	if den == 0 {
		return math.NaN(), fmt.Errorf("CB share: the pre-activation is zero at every step")
	}
	return math.Sqrt(num / den), nil
}
