package claims

import "testing"

func TestTwoSampleN(t *testing.T) {
	// Cohen (1988), Table 2.4.1, two-sided α = .05, power .80: n per group
	// 64 for d = .5, 26 for d = .8, 17 for d = 1.0 (G*Power and R's
	// pwr.t.test give 63.77, 25.52, 16.71 before rounding up, and 393.4 →
	// 394 for d = .2, where Cohen's approximation prints 393).
	for _, tc := range []struct {
		d float64
		n int
	}{{0.2, 394}, {0.5, 64}, {0.8, 26}, {1.0, 17}, {-0.5, 64}} {
		got, err := TwoSampleN(tc.d, 0.05, 0.8)
		if err != nil || got != tc.n {
			t.Errorf("d = %v: n = %d (%v), want %d", tc.d, got, err, tc.n)
		}
	}
	// G*Power: d = 0.5, n = 64 per group → actual power 0.8014596.
	if p := TwoSamplePower(0.5, 64, 0.05); !near(p, 0.8014596, 1e-6) {
		t.Errorf("power = %v, want 0.8014596", p)
	}
	for _, d := range []float64{0, -0} {
		if _, err := TwoSampleN(d, 0.05, 0.8); err == nil {
			t.Errorf("d = %v: no error", d)
		}
	}
	if _, err := TwoSampleN(0.5, 0, 0.8); err == nil {
		t.Error("alpha = 0: no error")
	}
}

func TestPairedN(t *testing.T) {
	// R: pwr.t.test(d = 0.5, power = 0.8, type = "paired") gives n = 33.37
	// pairs; Cohen (1988) ch. 2 reaches the same through d·√2.
	for _, tc := range []struct {
		dz float64
		n  int
	}{{0.5, 34}} {
		got, err := PairedN(tc.dz, 0.05, 0.8)
		if err != nil || got != tc.n {
			t.Errorf("d_z = %v: n = %d (%v), want %d", tc.dz, got, err, tc.n)
		}
		if PairedPower(tc.dz, got, 0.05) < 0.8 || PairedPower(tc.dz, got-1, 0.05) >= 0.8 {
			t.Errorf("n = %d is not the smallest with power ≥ 0.8", got)
		}
	}
}

func TestFloors(t *testing.T) {
	tests := []struct {
		name  string
		f     func(float64) (int, error)
		alpha float64
		n     int
	}{
		// 2/C(6,3) = 0.1, 2/C(8,4) = 0.0286: three networks a group never decide at .05.
		{"permutation, .05", PermutationFloorN, 0.05, 4},
		// At α = 0.1 the 3 vs 3 minimum 2/20 equals α, which is not below it.
		{"permutation, α equal to the 3 vs 3 minimum", PermutationFloorN, 0.1, 4},
		// 2/252 = 0.0079, 2/924 = 0.0022: a Holm worst case .05/20 needs 6.
		{"permutation, .0025", PermutationFloorN, 0.0025, 6},
		// 2/2^5 = 0.0625, 2/2^6 = 0.03125.
		{"signed rank, .05", SignedRankFloorN, 0.05, 6},
		{"signed rank, α equal to the 5-pair minimum", SignedRankFloorN, 0.0625, 6},
	}
	for _, tc := range tests {
		got, err := tc.f(tc.alpha)
		if err != nil || got != tc.n {
			t.Errorf("%s: n = %d (%v), want %d", tc.name, got, err, tc.n)
		}
	}
	if _, err := PermutationFloorN(0); err == nil {
		t.Error("alpha = 0: no error")
	}
}
