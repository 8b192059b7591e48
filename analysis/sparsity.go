package analysis

import "math"

// Sparsity is the Treves–Rolls sparseness of r (METHODS §4):
//
//	S = (1 − ⟨r⟩²/⟨r²⟩) / (1 − 1/n)
//
// S = 1 for a one-hot vector (maximally sparse), 0 for a uniform one.
// Convention: an all-zero vector (⟨r²⟩ = 0, e.g. a silent GC population at
// one time step or a dead unit) and a vector with n < 2 have no defined
// sparsity and give NaN; PopulationSparsity and LifetimeSparsity skip them.
// Hand-written: a two-moment formula with no gonum equivalent.
func Sparsity[F Float](r []F) float64 {
	n := len(r)
	if n < 2 {
		return math.NaN()
	}
	var m1, m2 float64
	for _, v := range r {
		x := float64(v)
		m1 += x
		m2 += x * x
	}
	m1 /= float64(n)
	m2 /= float64(n)
	if m2 == 0 {
		return math.NaN()
	}
	return (1 - m1*m1/m2) / (1 - 1/float64(n))
}

// PopulationSparsity is the mean over samples (rows of act, [samples][units])
// of the sparsity across units. Samples where every unit is silent are
// skipped; NaN if all are.
func PopulationSparsity[F Float](act [][]F) float64 {
	sum, cnt := 0.0, 0
	for _, row := range act {
		if s := Sparsity(row); !math.IsNaN(s) {
			sum += s
			cnt++
		}
	}
	if cnt == 0 {
		return math.NaN()
	}
	return sum / float64(cnt)
}

// LifetimeSparsity is the mean over units (columns of act, [samples][units])
// of the sparsity across samples. Units silent on every sample (dead ReLUs)
// are skipped; NaN if all are. SilentUnits counts them.
func LifetimeSparsity[F Float](act [][]F) float64 {
	if len(act) == 0 {
		return math.NaN()
	}
	units := len(act[0])
	col := make([]float64, len(act))
	sum, cnt := 0.0, 0
	for u := range units {
		for s, row := range act {
			col[s] = float64(row[u])
		}
		if v := Sparsity(col); !math.IsNaN(v) {
			sum += v
			cnt++
		}
	}
	if cnt == 0 {
		return math.NaN()
	}
	return sum / float64(cnt)
}

// SilentUnits counts the units (columns of act) that are exactly zero on
// every sample: the units LifetimeSparsity skips.
func SilentUnits[F Float](act [][]F) int {
	if len(act) == 0 {
		return 0
	}
	n := 0
	for u := range len(act[0]) {
		silent := true
		for _, row := range act {
			if row[u] != 0 {
				silent = false
				break
			}
		}
		if silent {
			n++
		}
	}
	return n
}
