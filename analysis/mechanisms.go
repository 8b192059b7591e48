package analysis

import (
	"math"
	"math/rand/v2"
)

// The quantities of the authors' mechanism analyses (Fig 6, paper/METHODS
// §4.9–4.10), on plain data; experiments/mechanisms.go runs the networks.

// MemoryDirection is the DMS memory direction at one aligned step
// (dms_memory_propagation.py: unit_directions): the unit vector of
// mean(h | sample = 0) − mean(h | sample = 1). It is nil when a class is
// empty or the difference has norm ≤ 1e-8.
func MemoryDirection(states [][]float64, sample []int32) []float64 {
	if len(states) == 0 {
		return nil
	}
	H := len(states[0])
	var m [2][]float64
	var n [2]int
	for k := range m {
		m[k] = make([]float64, H)
	}
	for i, h := range states {
		s := sample[i]
		if s != 0 && s != 1 {
			continue
		}
		n[s]++
		for u, v := range h {
			m[s][u] += v
		}
	}
	if n[0] == 0 || n[1] == 0 {
		return nil
	}
	d := make([]float64, H)
	norm := 0.0
	for u := range d {
		d[u] = m[0][u]/float64(n[0]) - m[1][u]/float64(n[1])
		norm += d[u] * d[u]
	}
	norm = math.Sqrt(norm)
	if norm <= 1e-8 {
		return nil
	}
	for u := range d {
		d[u] /= norm
	}
	return d
}

// MeanFinite is the mean of the finite values (NaN if none).
func MeanFinite(v []float64) float64 { return SummariseFinite(v).Mean }

// WindowParity is the parity of bits[t−n+1 … t] (the label the network must
// hold after step t), or −1 when the window starts before the sequence.
func WindowParity(bits []int, t, n int) int {
	if t-n+1 < 0 || t >= len(bits) {
		return -1
	}
	p := 0
	for k := t - n + 1; k <= t; k++ {
		p ^= bits[k]
	}
	return p
}

// ParityGroup is the transition condition g = 4c + 2i + o of current
// parity c, incoming bit i and outgoing bit o
// (parity_cb_encoding.py: new_causal_swap_conditions).
func ParityGroup(c, i, o int) int { return 4*c + 2*i + o }

// RequiredParity is the next parity of a condition, c ⊕ i ⊕ o
// (parity_update_rule.py: required_parity_of_group).
func RequiredParity(g int) int { return (g>>2)&1 ^ (g>>1)&1 ^ g&1 }

// ParityAxis is the reference geometry of the parity states
// (parity_dynamics.py: build_reference_geometry): the unit vector from the
// odd-parity centroid to the even one, their midpoint and half their
// distance.
type ParityAxis struct {
	MHat, Mid []float64
	HalfSep   float64
}

// ParityReference builds the axis from states labelled with their parity
// (0 even, 1 odd). ok is false when a parity is missing or the centroids
// coincide.
func ParityReference(states [][]float64, parity []int) (ParityAxis, bool) {
	s := make([]int32, len(parity))
	for i, p := range parity {
		s[i] = int32(p)
	}
	d := MemoryDirection(states, s) // unit(μ_even − μ_odd)
	if d == nil {
		return ParityAxis{}, false
	}
	H := len(states[0])
	var mu [2][]float64
	var n [2]int
	for k := range mu {
		mu[k] = make([]float64, H)
	}
	for i, h := range states {
		n[parity[i]]++
		for u, v := range h {
			mu[parity[i]][u] += v
		}
	}
	mid := make([]float64, H)
	sep := 0.0
	for u := range mid {
		e, o := mu[0][u]/float64(n[0]), mu[1][u]/float64(n[1])
		mid[u] = (e + o) / 2
		sep += (e - o) * (e - o)
	}
	return ParityAxis{MHat: d, Mid: mid, HalfSep: math.Sqrt(sep) / 2}, true
}

// Score is the authors' correct_transition_score: the projection of h
// (minus the midpoint) on the axis, signed so that positive means closer to
// the required parity (0 even, 1 odd).
func (a ParityAxis) Score(h []float64, required int) float64 {
	s := 0.0
	for u, v := range h {
		s += (v - a.Mid[u]) * a.MHat[u]
	}
	if required == 1 {
		s = -s
	}
	return s
}

// BorrowDonors returns, for every recipient i, the index of a donor chosen
// uniformly with replacement among the transitions whose group is in
// donors(group[i]); −1 if there is none (new_causal_swap_conditions:
// borrow). Recipients are visited group by group (0…7), as theirs.
func BorrowDonors(group []int, donors func(g int) []int, r *rand.Rand) []int {
	out := make([]int, len(group))
	for i := range out {
		out[i] = -1
	}
	for g := range 8 {
		var recip, pool []int
		ok := map[int]bool{}
		for _, d := range donors(g) {
			ok[d] = true
		}
		for i, gi := range group {
			if gi == g {
				recip = append(recip, i)
			}
			if ok[gi] {
				pool = append(pool, i)
			}
		}
		if len(recip) == 0 || len(pool) == 0 {
			continue
		}
		for _, i := range recip {
			out[i] = pool[r.IntN(len(pool))]
		}
	}
	return out
}

// SameNextParity lists the other groups with the same required next parity
// as g ("Same"); OtherNextParity the groups with the other one
// ("Opposite").
func SameNextParity(g int) []int {
	var out []int
	for k := range 8 {
		if k != g && RequiredParity(k) == RequiredParity(g) {
			out = append(out, k)
		}
	}
	return out
}

// OtherNextParity lists the groups whose required next parity differs from g's.
func OtherNextParity(g int) []int {
	var out []int
	for k := range 8 {
		if RequiredParity(k) != RequiredParity(g) {
			out = append(out, k)
		}
	}
	return out
}

// OLSSlope is the least-squares slope of y on x over the finite pairs (NaN
// with fewer than two distinct x).
func OLSSlope(x, y []float64) float64 {
	var xs, ys []float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			xs, ys = append(xs, x[i]), append(ys, y[i])
		}
	}
	if len(xs) < 2 {
		return math.NaN()
	}
	mx, my := MeanFinite(xs), MeanFinite(ys)
	sxy, sxx := 0.0, 0.0
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return math.NaN()
	}
	return sxy / sxx
}
