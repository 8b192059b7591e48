package analysis

import (
	"math"
	"strings"
	"testing"
)

// TestCBShare checks the share against hand computations: no CB, a CB
// alone, one step of known norms, and pooling over steps (root-mean-square
// norms, not a mean of per-step ratios).
func TestCBShare(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cb, core [][]float64
		want     float64
	}{
		{"no CB term", [][]float64{{0, 0}}, [][]float64{{3, 4}}, 0},
		{"the CB alone", [][]float64{{3, 4}}, [][]float64{{0, 0}}, 1},
		// b = (3, 0), core = (0, 4): ‖b‖ = 3, ‖pre‖ = ‖(3, 4)‖ = 5.
		{"one step", [][]float64{{3, 0}}, [][]float64{{0, 4}}, 0.6},
		// Σ‖b‖² = 9 + 0, Σ‖pre‖² = 25 + 25: √(9/50); the per-step mean would be 0.3.
		{"pooled over steps", [][]float64{{3, 0}, {0, 0}}, [][]float64{{0, 4}, {5, 0}}, math.Sqrt(9.0 / 50)},
		// b = (1, 0), core = (−2, 0): pre = (−1, 0), share 1 though the core drives twice as hard.
		{"cancelling", [][]float64{{1, 0}}, [][]float64{{-2, 0}}, 1},
	} {
		got, err := CBShare(tc.cb, tc.core)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: CBShare = %v (%v), want %v", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name     string
		cb, core [][]float64
		want     string
	}{
		{"no steps", nil, nil, "at least one"},
		{"step counts differ", [][]float64{{1}}, [][]float64{{1}, {2}}, "the same number"},
		{"widths differ", [][]float64{{1, 2}}, [][]float64{{1}}, "width"},
		{"zero pre-activation", [][]float64{{0}}, [][]float64{{0}}, "zero at every step"},
	} {
		if _, err := CBShare(tc.cb, tc.core); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}
