package claims

import (
	"math"
	"testing"
)

func TestHedgesG(t *testing.T) {
	tests := []struct {
		name           string
		m1, s1         float64
		n1             int
		m2, s2         float64
		n2             int
		g, lo, hi, tol float64
	}{
		// Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to
		// Meta-Analysis, ch. 4 worked example: d = 0.5970, g = 0.5924,
		// V_g = 0.0411 (SE 0.2028), so g ± 1.96 SE = [0.1950, 0.9898].
		{"Borenstein et al. 2009, ch. 4", 103, 5.5, 50, 100, 4.5, 50, 0.5924, 0.1950, 0.9898, 5e-4},
		// Hand-worked: SD 1 in both, n = 3: d = 1, J(4) = Γ(2)/(√2 Γ(1.5)) = 0.797885,
		// V = J²(2/3 + 1/12) = 0.477465, SE 0.690989.
		{"hand-worked, n = 3", 1, 1, 3, 0, 1, 3, 0.797885, 0.797885 - 1.959964*0.690989, 0.797885 + 1.959964*0.690989, 1e-5},
		{"zero pooled SD", 1, 0, 3, 0, 0, 3, math.Inf(1), math.NaN(), math.NaN(), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, ci := HedgesG(tc.m1, tc.s1, tc.n1, tc.m2, tc.s2, tc.n2)
			if !near(g, tc.g, tc.tol) {
				t.Errorf("g = %v, want %v", g, tc.g)
			}
			if !math.IsNaN(tc.lo) && (!near(ci.Lo, tc.lo, tc.tol) || !near(ci.Hi, tc.hi, tc.tol)) {
				t.Errorf("CI = %v, want [%v, %v]", ci, tc.lo, tc.hi)
			}
		})
	}
}

func TestHedgesJ(t *testing.T) {
	// Closed forms of J(ν) = Γ(ν/2)/(√(ν/2) Γ((ν−1)/2)) (Hedges 1981):
	// J(4) = 1/(√2 Γ(3/2)) = √(2/π); J(10) = Γ(5)/(√5 Γ(9/2)), Γ(9/2) = 105√π/16.
	for _, tc := range []struct{ nu, j float64 }{
		{4, math.Sqrt(2 / math.Pi)},
		{10, 24 / (math.Sqrt(5) * 105 * math.Sqrt(math.Pi) / 16)},
	} {
		if got := hedgesJ(tc.nu); !near(got, tc.j, 1e-14) {
			t.Errorf("J(%v) = %v, want %v", tc.nu, got, tc.j)
		}
	}
	// The usual approximation 1 − 3/(4ν − 1) agrees to 5e-4 from ν = 10 on.
	for _, nu := range []float64{10, 50, 98, 1000} {
		if approx := 1 - 3/(4*nu-1); !near(hedgesJ(nu), approx, 5e-4) {
			t.Errorf("J(%v) = %v, approximation %v", nu, hedgesJ(nu), approx)
		}
	}
}

func TestPairedG(t *testing.T) {
	// Hand-worked: differences {1, 2, 3}: d_z = 2/1 = 2, J(2) = 1/√π = 0.564190,
	// V = J²(1/3 + 4/6) = J², so SE = J.
	g, ci := PairedG(2, 1, 3)
	j := 1 / math.Sqrt(math.Pi)
	if !near(g, 2*j, 1e-12) || !near(ci.Lo, 2*j-z975*j, 1e-12) || !near(ci.Hi, 2*j+z975*j, 1e-12) {
		t.Errorf("g_z = %v %v, want %v ± %v", g, ci, 2*j, z975*j)
	}
}

func TestMeanCI(t *testing.T) {
	// R: t.test(sleep1, sleep2, paired = TRUE): mean difference -1.58,
	// 95 percent CI -2.4598858 -0.7001142.
	d := make([]float64, len(sleep1))
	for i := range d {
		d[i] = sleep1[i] - sleep2[i]
	}
	m, ci, err := MeanCI(d)
	if err != nil {
		t.Fatal(err)
	}
	if !near(m, -1.58, 1e-12) || !near(ci.Lo, -2.4598858, 1e-6) || !near(ci.Hi, -0.7001142, 1e-6) {
		t.Errorf("mean %v CI %v", m, ci)
	}
}

func TestBootstrapMeanDiff(t *testing.T) {
	ci, err := BootstrapMeanDiff(sleep1, sleep2, 10000, 3)
	if err != nil {
		t.Fatal(err)
	}
	// The percentile interval holds the observed −1.58 and sits near R's
	// Welch interval (−3.365, 0.205) — a little narrower, as percentile
	// intervals are at n = 10 (Efron & Tibshirani 1993, ch. 13).
	if !(ci.Lo < -1.58 && -1.58 < ci.Hi) || !near(ci.Lo, -3.2, 0.35) || !near(ci.Hi, 0.05, 0.35) {
		t.Errorf("CI = %v", ci)
	}
	again, _ := BootstrapMeanDiff(sleep1, sleep2, 10000, 3)
	if again != ci {
		t.Errorf("same seed, %v then %v", ci, again)
	}
	// No spread: every resample gives the same difference.
	flat, _ := BootstrapMeanDiff([]float64{2, 2, 2}, []float64{0.5, 0.5}, 100, 1)
	if flat != (Interval{1.5, 1.5}) {
		t.Errorf("zero-spread CI = %v, want [1.5, 1.5]", flat)
	}
	if _, err := BootstrapMeanDiff(sleep1, nil, 100, 1); err == nil {
		t.Error("empty group: no error")
	}
}
