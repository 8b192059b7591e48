package gomlxmodels

import (
	"math"
	"math/rand/v2"
)

// InitWeights draws one network's initial parameters, each as its
// ParamSpec.Init says (paper/METHODS.md §1.1–1.8): PyTorch's default Linear init
// U(−1/√fan_in, +1/√fan_in) for the core, the readout and any layer that
// asks for it; the paper's CB draws W_gc ~ N(0, 0.01²) and W_pc, W_dcn ~
// N(0, 0.1²) with zero biases. Parameters are drawn in Params() order, so
// the same rng state gives the same weights.
func InitWeights(c Config, rng *rand.Rand) Weights {
	w := make(Weights)
	for _, p := range c.Params() {
		data := make([]float32, p.Size())
		r, _ := parseInit(p.Init)
		switch {
		case p.Init == "": // a bias that starts at 0
		case r.torch:
			bound := 1 / math.Sqrt(float64(p.FanIn))
			for i := range data {
				data[i] = float32((2*rng.Float64() - 1) * bound)
			}
		default:
			std := r.std
			if std < 0 {
				std = 1 / math.Sqrt(float64(p.FanIn))
			}
			for i := range data {
				data[i] = float32(rng.NormFloat64() * std)
			}
		}
		w[p.Name] = data
	}
	return w
}

// InitialState draws the initial state of b trials ([b, StateWidth()],
// row-major) by the config's H0 law: 0.1·U(0,1) per trial and unit (the
// paper; a recurrent CB's own units too, as the authors' init_hidden), or
// zeros.
func (c Config) InitialState(r *rand.Rand, b int) []float32 {
	out := make([]float32, b*c.StateWidth())
	if c.H0 == H0Zero {
		return out
	}
	if P := c.passes(); P > 1 {
		// Per-task modules: one draw per trial and hidden unit, the same
		// for every head's pass of the one shared core.
		H := c.Core.Hidden
		for i := range b {
			row := out[i*H*P : (i+1)*H*P]
			for j := range H {
				row[j] = 0.1 * float32(r.Float64())
			}
			for p := 1; p < P; p++ {
				copy(row[p*H:(p+1)*H], row[:H])
			}
		}
		return out
	}
	for i := range out {
		out[i] = 0.1 * float32(r.Float64())
	}
	return out
}

// Clone returns a deep copy of w.
func (w Weights) Clone() Weights {
	out := make(Weights, len(w))
	for k, v := range w {
		out[k] = append([]float32(nil), v...)
	}
	return out
}

// ZeroWeights returns weights of c's shapes, all zero (e.g. a fresh momentum).
func ZeroWeights(c Config) Weights {
	w := make(Weights)
	for _, p := range c.Params() {
		w[p.Name] = make([]float32, p.Size())
	}
	return w
}
