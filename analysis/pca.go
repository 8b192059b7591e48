package analysis

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Dim is the PCA dimensionality of one population (METHODS §4).
type Dim struct {
	// D90 and D95 are the smallest numbers of principal components whose
	// eigenvalues explain at least 90 % / 95 % of the total variance.
	D90, D95 int
	// D95PerWidth is D95 divided by the number of units (the population
	// width), so populations of different sizes can be compared.
	D95PerWidth float64
	// PR is the participation ratio (Σλ)² / Σλ².
	PR float64
	// Eigen are the covariance eigenvalues, descending (tiny negative
	// round-off clamped to 0). Units is the population width, Samples the
	// number of rows used.
	Eigen          []float64
	Units, Samples int
}

// Dimensionality runs PCA on X, laid out [samples][units] (time × trials
// flattened into samples). Every row must have the same length.
//
// The data are centred per unit, the covariance is XcᵀXc/(S−1), and its
// eigenvalues come from mat.EigenSym. Zero-variance convention: if the total
// variance is 0 (all units silent or constant, or fewer than 2 samples), the
// result has D90 = D95 = 0, D95PerWidth = 0 and PR = 0 (no dimension is
// occupied), with Eigen all zero. No NaN is produced.
func Dimensionality[F Float](X [][]F) Dim {
	if len(X) == 0 {
		return Dim{}
	}
	units := len(X[0])
	data := make([]float64, 0, len(X)*units)
	for i, row := range X {
		if len(row) != units {
			panic(fmt.Sprintf("analysis.Dimensionality: row %d has %d units, want %d", i, len(row), units))
		}
		for _, v := range row {
			data = append(data, float64(v))
		}
	}
	return dimensionality(data, len(X), units)
}

// DimensionalityFlat is Dimensionality on row-major data of shape
// [len(data)/units, units], e.g. a [T, B, units] activity tensor as stored
// by the models (T·B samples).
func DimensionalityFlat[F Float](data []F, units int) Dim {
	if units <= 0 || len(data)%units != 0 {
		panic(fmt.Sprintf("analysis.DimensionalityFlat: len %d not a multiple of units %d", len(data), units))
	}
	d := make([]float64, len(data))
	for i, v := range data {
		d[i] = float64(v)
	}
	return dimensionality(d, len(data)/units, units)
}

// dimensionality owns data (it is centred in place).
func dimensionality(data []float64, samples, units int) Dim {
	out := Dim{Units: units, Samples: samples, Eigen: make([]float64, units)}
	if samples < 2 || units == 0 {
		return out
	}
	// Centre each unit.
	for u := range units {
		m := 0.0
		for s := range samples {
			m += data[s*units+u]
		}
		m /= float64(samples)
		for s := range samples {
			data[s*units+u] -= m
		}
	}
	xc := mat.NewDense(samples, units, data)
	var cov mat.SymDense
	cov.SymOuterK(1/float64(samples-1), xc.T()) // XcᵀXc/(S−1), a BLAS syrk
	var eig mat.EigenSym
	if !eig.Factorize(&cov, false) {
		// Should not happen for a symmetric PSD matrix; treat as silent.
		return out
	}
	ev := eig.Values(nil)
	slices.Sort(ev)
	slices.Reverse(ev)
	total, sq := 0.0, 0.0
	for i, v := range ev {
		if v < 0 { // numerical round-off of a PSD matrix
			v = 0
		}
		ev[i] = v
		total += v
		sq += v * v
	}
	out.Eigen = ev
	if total <= 0 || sq == 0 || math.IsNaN(total) {
		return out
	}
	out.D90 = componentsFor(ev, total, 0.90)
	out.D95 = componentsFor(ev, total, 0.95)
	out.D95PerWidth = float64(out.D95) / float64(units)
	out.PR = total * total / sq
	return out
}

// componentsFor is the smallest k with Σ_{i<k} λ_i ≥ frac·Σλ. A relative
// slack of 1e-12 keeps exact ties (e.g. variances 4,1,… hitting 90 % exactly)
// from being lost to round-off.
func componentsFor(desc []float64, total, frac float64) int {
	cum := 0.0
	for i, v := range desc {
		cum += v
		if cum >= frac*total*(1-1e-12) {
			return i + 1
		}
	}
	return len(desc)
}
