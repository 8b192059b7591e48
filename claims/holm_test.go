package claims

import (
	"math/big"
	"testing"
)

func TestHolm(t *testing.T) {
	tests := []struct {
		name    string
		p, want []float64
	}{
		// Hand-worked: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 gives
		// 0.02, 0.03, 0.06, 0.04; the running maximum makes the last 0.06.
		{"step-down, monotone", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.03, 0.06, 0.06, 0.02}},
		// Capped at 1: 2·0.5 = 1, then max(1, 0.6) = 1.
		{"capped", []float64{0.5, 0.6}, []float64{1, 1}},
		// Ties give equal adjusted p's in either order.
		{"ties", []float64{0.02, 0.01, 0.02}, []float64{0.04, 0.03, 0.04}},
		// Exact products: 3·0.07 is 0.21, where float64 says 0.21000000000000002.
		{"exact product", []float64{0.07, 0.07, 0.07}, []float64{0.21, 0.21, 0.21}},
		{"single", []float64{0.3}, []float64{0.3}},
		{"empty", nil, []float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Holm(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("adjusted %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
	if _, err := Holm([]float64{0.1, 1.5}); err == nil {
		t.Error("p = 1.5: no error")
	}
}

// TestHolmBoundaryExact: three exact p's of 1/60 adjust to exactly 1/20,
// which is not below α = 0.05.
func TestHolmBoundaryExact(t *testing.T) {
	p := big.NewRat(1, 60)
	adj := holm([]*big.Rat{p, p, p})
	for _, a := range adj {
		if a.Cmp(big.NewRat(1, 20)) != 0 {
			t.Fatalf("adjusted %s, want 1/20", a.RatString())
		}
	}
	if v := decide(Greater, 1, adj[0], decimalRat(0.05)); v != Inconclusive {
		t.Errorf("adjusted p = α: verdict %v, want inconclusive", v)
	}
}
