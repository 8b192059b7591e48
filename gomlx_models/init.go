package gomlxmodels

import (
	"math"
	"math/rand/v2"
	"strings"
)

// InitWeights draws one network's initial parameters as in SPEC §1: core
// and readout weights and biases ~ U(−1/√fan_in, +1/√fan_in) (PyTorch's
// default Linear init, fan_in = the layer's input width); CB biases 0,
// W_gc ~ N(0, 0.01²), W_pc and W_dcn ~ N(0, 0.1²). Parameters are drawn in
// Params() order, so the same rng state gives the same weights. c is
// defaulted first.
func InitWeights(c Config, rng *rand.Rand) Weights {
	c = c.WithDefaults()
	w := make(Weights)
	for _, p := range c.Params() {
		data := make([]float32, p.Size())
		switch {
		case strings.HasPrefix(p.Name, "cb."):
			if strings.HasSuffix(p.Name, ".weight") {
				std := 0.1
				if p.Name == "cb.gc.weight" {
					std = 0.01
				}
				for i := range data {
					data[i] = float32(rng.NormFloat64() * std)
				}
			} // CB biases stay 0.
		default:
			// fan_in of a Linear layer is the weight's second dimension; a
			// bias shares its weight's fan_in.
			fanIn := c.fanIn(p)
			bound := 1 / math.Sqrt(float64(fanIn))
			for i := range data {
				data[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
		w[p.Name] = data
	}
	return w
}

// fanIn of the Linear layer a core/readout parameter belongs to.
func (c Config) fanIn(p ParamSpec) int {
	if len(p.Shape) == 2 {
		return p.Shape[1]
	}
	weight := strings.TrimSuffix(p.Name, ".bias") + ".weight"
	for _, q := range c.Params() {
		if q.Name == weight {
			return q.Shape[1]
		}
	}
	return p.Shape[0]
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
	c = c.WithDefaults()
	w := make(Weights)
	for _, p := range c.Params() {
		w[p.Name] = make([]float32, p.Size())
	}
	return w
}
