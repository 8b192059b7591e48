package claims

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestPairedT(t *testing.T) {
	tests := []struct {
		name      string
		a, b      []float64
		t, df, p  float64
		undefined bool
	}{
		// R: t.test(sleep1, sleep2, paired = TRUE): t = -4.0621, df = 9, p-value = 0.002833.
		{"Student's sleep data, paired", sleep1, sleep2, -4.0621, 9, 0.002833, false},
		// Hand-worked: differences {1, 2, 3}: mean 2, SD 1, t = 2/(1/√3) = 2√3, df 2.
		{"differences given", []float64{1, 2, 3}, nil, 2 * math.Sqrt(3), 2, math.NaN(), false},
		{"constant positive differences", []float64{1.1, 2.1, 3.1}, []float64{1, 2, 3}, math.Inf(1), math.NaN(), math.NaN(), true},
		{"all differences zero", []float64{1, 2}, []float64{1, 2}, math.NaN(), math.NaN(), math.NaN(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PairedT(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Statistic, tc.t, 5e-4) || !near(got.DF, tc.df, 1e-12) {
				t.Errorf("t = %v, df = %v; want %v, %v", got.Statistic, got.DF, tc.t, tc.df)
			}
			if !math.IsNaN(tc.p) && !near(got.P, tc.p, 5e-7) {
				t.Errorf("p = %v, want %v", got.P, tc.p)
			}
			if got.Defined() == tc.undefined {
				t.Errorf("Defined() = %v, want %v", got.Defined(), !tc.undefined)
			}
		})
	}
	if _, err := PairedT([]float64{1, 2}, []float64{1}); err == nil {
		t.Error("unequal paired lengths: no error")
	}
	if _, err := PairedT([]float64{1}, nil); err == nil {
		t.Error("one pair: no error")
	}
}

func TestSignedRank(t *testing.T) {
	tests := []struct {
		name     string
		a, b     []float64
		v        float64
		num, den int64
		note     string
	}{
		// Hollander & Wolfe (1999), Example 3.1 (Hamilton depression scale,
		// first and second visit), as in R's ?wilcox.test: V = 40, one-sided
		// p = 0.01953 = 10/512, so two-sided 20/512.
		{"Hollander & Wolfe, Example 3.1",
			[]float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30},
			[]float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29},
			40, 20, 512, ""},
		// Hand-worked ties: |d| = 1,1,2,2,3 get mid-ranks 1.5,1.5,3.5,3.5,5;
		// W+ = 11.5 of 15, |W+ − 7.5| = 4. Sign sets with doubled sum ≤ 7 —
		// {}, {3a}, {3b}, {3a,3b}, {7a}, {7b} — and their 6 complements: 12/32.
		{"mid-ranks, exact conditional distribution", []float64{1, 1, 2, -2, 3}, nil, 11.5, 12, 32, "mid-ranks"},
		// Hand-worked zeros: Wilcoxon drops the 0, leaving ranks 1,2,3 all
		// positive: V = 6, p = 2/8.
		{"zero dropped", []float64{0, 1, 2, 3}, nil, 6, 2, 8, "1 zero difference(s) dropped"},
		{"all zero", []float64{2, 2}, []float64{2, 2}, 0, 1, 1, "2 zero difference(s) dropped"},
		// Hand-worked decimal tie: 0.3 − 0.1 and 0.2 − 0.0 are both 0.2 (float64
		// says 0.19999999999999998 and 0.2), so |d| = 0.2, 0.2, 0.5 get ranks
		// 1.5, 1.5, 3 and V = 1.5 + 3 = 4.5, not the 4 untied ranks would give;
		// doubled ranks 3,3,6 (sum 12): |2s − 12| ≥ 6 for 6 of 8 sign sets.
		{"decimal tie that float64 misses", []float64{0.3, 0.0, 0.5}, []float64{0.1, 0.2, 0.0}, 4.5, 6, 8, "mid-ranks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SignedRank(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Statistic != tc.v {
				t.Errorf("V = %v, want %v", got.Statistic, tc.v)
			}
			if want := big.NewRat(tc.num, tc.den); got.p.Cmp(want) != 0 {
				t.Errorf("p = %s, want %s", got.p.RatString(), want.RatString())
			}
			if !strings.Contains(got.Note, tc.note) {
				t.Errorf("note %q lacks %q", got.Note, tc.note)
			}
		})
	}
}

// TestSignedRankAgainstEnumeration checks the DP against all 2^n sign
// assignments for a tied sample.
func TestSignedRankAgainstEnumeration(t *testing.T) {
	d := []float64{-1, 2, 2, 3, -3, 3, 4, 5, 5, -6, 7, 8}
	got, err := SignedRank(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Mid-ranks of |d| = 1,2,2,3,3,3,4,5,5,6,7,8, doubled.
	r2 := []int{2, 5, 5, 10, 10, 10, 14, 17, 17, 20, 22, 24}
	neg := map[int]bool{0: true, 4: true, 9: true}
	w, total := 0, 0
	for i, r := range r2 {
		total += r
		if !neg[i] {
			w += r
		}
	}
	far := func(s int) int { return abs(2*s - total) }
	count := 0
	for m := range 1 << len(r2) {
		s := 0
		for i, r := range r2 {
			if m&(1<<i) != 0 {
				s += r
			}
		}
		if far(s) >= far(w) {
			count++
		}
	}
	if want := big.NewRat(int64(count), 1<<len(r2)); got.p.Cmp(want) != 0 {
		t.Errorf("p = %s, enumeration %s", got.p.RatString(), want.RatString())
	}
	if got.Statistic != float64(w)/2 {
		t.Errorf("V = %v, want %v", got.Statistic, float64(w)/2)
	}
}
