package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// hadamard returns the n×n Sylvester Hadamard matrix (n a power of two).
// Its columns 1..n−1 are zero-mean, mutually orthogonal ±1 vectors, so
// scaling column j+1 by √v_j gives data whose SAMPLE covariance is exactly
// diag(v)·n/(n−1): a known answer with no sampling noise.
func hadamard(n int) [][]float64 {
	h := [][]float64{{1}}
	for len(h) < n {
		m := len(h)
		nh := make([][]float64, 2*m)
		for i := range nh {
			nh[i] = make([]float64, 2*m)
			for j := range nh[i] {
				v := h[i%m][j%m]
				if i >= m && j >= m {
					v = -v
				}
				nh[i][j] = v
			}
		}
		h = nh
	}
	return h
}

func diagData(samples int, variances []float64, offset float64) [][]float64 {
	h := hadamard(samples)
	X := make([][]float64, samples)
	for s := range X {
		X[s] = make([]float64, len(variances))
		for j, v := range variances {
			X[s][j] = math.Sqrt(v)*h[s][j+1] + offset
		}
	}
	return X
}

// rotate multiplies the unit axis of X by a random orthogonal matrix:
// eigenvalues, and hence every dimensionality measure, must not change.
func rotate(X [][]float64, seed uint64) [][]float64 {
	u := len(X[0])
	r := rand.New(rand.NewPCG(seed, 1))
	g := mat.NewDense(u, u, nil)
	for i := range u {
		for j := range u {
			g.Set(i, j, r.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	out := make([][]float64, len(X))
	for s, row := range X {
		var y mat.VecDense
		y.MulVec(&q, mat.NewVecDense(u, append([]float64(nil), row...)))
		out[s] = y.RawVector().Data
	}
	return out
}

func TestDimensionalityKnownCovariance(t *testing.T) {
	tests := []struct {
		name      string
		variances []float64
		d90, d95  int
		pr        float64
	}{
		// total 5.3125; cumulative 0.753, 0.941, 0.988, 1 → d90 = 2, d95 = 3.
		// PR = 5.3125² / (16 + 1 + 1/16 + 1/256).
		{"geometric 4,1,1/4,1/16", []float64{4, 1, 0.25, 0.0625}, 2, 3, 5.3125 * 5.3125 / (16 + 1 + 0.0625 + 0.00390625)},
		// Isotropic: every component carries 1/4 → d90 = d95 = 4, PR = 4.
		{"isotropic 4", []float64{1, 1, 1, 1}, 4, 4, 4},
		// 9,1 (+ five zero-variance units): 90 % hit exactly by the first.
		{"exact 90%", []float64{9, 1, 0, 0, 0, 0, 0}, 1, 2, 100.0 / 82},
		// One dominant direction: 0.97 of the variance → d90 = d95 = 1.
		{"rank one-ish", []float64{97, 1, 1, 1}, 1, 1, 1e4 / (97*97 + 3)},
	}
	for _, tc := range tests {
		for _, rot := range []bool{false, true} {
			X := diagData(16, tc.variances, 3.5) // offset checks centring
			if rot {
				X = rotate(X, 7)
			}
			d := Dimensionality(X)
			if d.D90 != tc.d90 || d.D95 != tc.d95 || !near(d.PR, tc.pr, 1e-9) {
				t.Errorf("%s rot=%v: D90 %d D95 %d PR %.12g, want %d %d %.12g", tc.name, rot, d.D90, d.D95, d.PR, tc.d90, tc.d95, tc.pr)
			}
			if w := float64(tc.d95) / float64(len(tc.variances)); d.D95PerWidth != w {
				t.Errorf("%s: D95PerWidth %v want %v", tc.name, d.D95PerWidth, w)
			}
			// Eigenvalues: the variances (descending) × 16/15.
			for i, v := range tc.variances {
				if !near(d.Eigen[i], v*16/15, 1e-9) {
					t.Errorf("%s rot=%v: eigen %v want variances×16/15 %v", tc.name, rot, d.Eigen, tc.variances)
					break
				}
			}
		}
	}
}

func TestDimensionalityFlatAndFloat32(t *testing.T) {
	X := diagData(8, []float64{4, 1, 0.25}, 0)
	flat := make([]float32, 0, 24)
	for _, r := range X {
		for _, v := range r {
			flat = append(flat, float32(v))
		}
	}
	d := DimensionalityFlat(flat, 3)
	want := 5.25 * 5.25 / (16 + 1 + 0.0625)
	if d.D90 != 2 || d.D95 != 2 || !near(d.PR, want, 1e-5) || d.Samples != 8 || d.Units != 3 {
		t.Fatalf("flat: %+v (PR want %v)", d, want)
	}
}

func TestDimensionalitySilent(t *testing.T) {
	X := make([][]float32, 50)
	for i := range X {
		X[i] = make([]float32, 6) // all-zero population (dead ReLUs)
	}
	d := Dimensionality(X)
	if d.D90 != 0 || d.D95 != 0 || d.PR != 0 || d.D95PerWidth != 0 || len(d.Eigen) != 6 {
		t.Fatalf("silent: %+v", d)
	}
	for _, v := range d.Eigen {
		if v != 0 || math.IsNaN(v) {
			t.Fatalf("silent eigen %v", d.Eigen)
		}
	}
	if d := Dimensionality([][]float64{{1, 2}}); d.PR != 0 {
		t.Fatalf("one sample: %+v", d)
	}
	if d := Dimensionality[float64](nil); d.PR != 0 {
		t.Fatalf("nil: %+v", d)
	}
}
