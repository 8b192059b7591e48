package analysis

import (
	"math"
	"testing"
)

func TestSparsity(t *testing.T) {
	tests := []struct {
		name string
		r    []float64
		want float64
	}{
		{"one-hot", []float64{0, 0, 5, 0}, 1},
		{"uniform", []float64{2, 2, 2, 2, 2}, 0},
		// ⟨r⟩ = .5, ⟨r²⟩ = .5 → (1 − .5)/(1 − 1/4) = 2/3
		{"half active", []float64{1, 1, 0, 0}, 2.0 / 3},
		// ⟨r⟩ = 1, ⟨r²⟩ = 5/3 → (1 − 3/5)/(2/3) = 0.6
		{"0,1,2", []float64{0, 1, 2}, 0.6},
	}
	for _, tc := range tests {
		if got := Sparsity(tc.r); !near(got, tc.want, 1e-12) {
			t.Errorf("%s: Sparsity = %v want %v", tc.name, got, tc.want)
		}
	}
	if !math.IsNaN(Sparsity([]float64{0, 0, 0})) || !math.IsNaN(Sparsity([]float64{1})) {
		t.Error("all-zero or n<2 should be NaN")
	}
}

func TestPopulationAndLifetimeSparsity(t *testing.T) {
	act := [][]float32{
		{1, 0, 0}, // one-hot → 1
		{1, 1, 1}, // uniform → 0
		{0, 0, 0}, // silent sample, skipped
	}
	if got := PopulationSparsity(act); !near(got, 0.5, 1e-12) {
		t.Errorf("PopulationSparsity = %v want 0.5", got)
	}
	// Columns: {1,1,0} → (1 − (4/9)/(2/3))/(2/3) = 0.5;
	//          {0,1,0} → 1;  {0,1,0} → 1.   Mean = 2.5/3.
	if got := LifetimeSparsity(act); !near(got, 2.5/3, 1e-12) {
		t.Errorf("LifetimeSparsity = %v want %v", got, 2.5/3)
	}
	dead := [][]float64{{1, 0}, {0, 0}, {1, 0}} // unit 1 never fires
	if got := LifetimeSparsity(dead); !near(got, 0.5, 1e-12) {
		t.Errorf("lifetime with dead unit = %v want 0.5 (dead unit skipped)", got)
	}
	if SilentUnits(dead) != 1 {
		t.Error("SilentUnits")
	}
	if !math.IsNaN(PopulationSparsity([][]float64{{0, 0}})) || !math.IsNaN(LifetimeSparsity([][]float64{{0, 0}})) {
		t.Error("all-silent should be NaN")
	}
}
