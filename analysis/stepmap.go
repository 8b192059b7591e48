package analysis

import (
	"fmt"
	"math"
)

// ElmanCell is one step of the paper's leaky Elman core with an optional
// feed-forward cerebellar module, in float64 (paper/METHODS §1.1–1.2):
//
//	b   = CB(h, x)                       (layers y = act(W·in + b))
//	pre = W_x·x + b_x + W_h·h + b_h + b
//	h'  = (1−α)·h + α·LeakyReLU(pre)
//
// The authors' mechanism analyses step the network by hand
// (analysis/model_stepping.py: manual_step) so that the CB term can be
// replaced — held at its value, set to zero or borrowed from another trial —
// and differentiate that step (analysis/jacobian.py). The package's forward
// pass (gomlx_models' Ensemble.Dynamics) records the trajectories; this
// type re-evaluates one step from a recorded state with the CB term under
// the caller's control, and gives its exact Jacobian-vector products. It is
// written here because Dynamics is float32, runs whole sequences, and
// cannot hold the CB term at a value; it is tested against Dynamics and
// against central finite differences.
type ElmanCell struct {
	H, I         int
	Alpha, Slope float64   // α = 1/τ; the LeakyReLU's negative slope
	Wx, Wh       []float64 // [H, I] and [H, H], row-major (PyTorch's [out, in])
	Bx, Bh       []float64
	CB           *FeedforwardCB // nil: no cerebellar module
}

// FeedforwardCB is a feed-forward cerebellar module: it sees [h, x], h or x.
type FeedforwardCB struct {
	SeesHidden, SeesInput bool
	Layers                []DenseLayer // the last one's output is b (width H)
}

// DenseLayer is y = act(W·in + b), W [Out, In] row-major; Act is "relu",
// "leaky_relu" (slope 0.01), "tanh", "sigmoid" or "linear".
type DenseLayer struct {
	In, Out int
	W, B    []float64
	Act     string
}

// Validate checks the shapes.
func (c *ElmanCell) Validate() error {
	if c.H <= 0 || c.I <= 0 || len(c.Wx) != c.H*c.I || len(c.Wh) != c.H*c.H || len(c.Bx) != c.H || len(c.Bh) != c.H {
		return fmt.Errorf("Elman cell: inconsistent shapes (H=%d, I=%d)", c.H, c.I)
	}
	if c.CB == nil {
		return nil
	}
	in := 0
	if c.CB.SeesHidden {
		in += c.H
	}
	if c.CB.SeesInput {
		in += c.I
	}
	for k, l := range c.CB.Layers {
		if l.In != in || len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			return fmt.Errorf("Elman cell: CB layer %d has shape [%d, %d] (%d weights), want input %d", k, l.Out, l.In, len(l.W), in)
		}
		if _, _, err := activation(l.Act); err != nil {
			return fmt.Errorf("Elman cell: CB layer %d: %w", k, err)
		}
		in = l.Out
	}
	if in != c.H {
		return fmt.Errorf("Elman cell: CB output width %d, want %d", in, c.H)
	}
	return nil
}

// activation returns f and f' (the derivative PyTorch's backward uses: at
// 0, the ReLU's is 0 and the LeakyReLU's the slope).
func activation(name string) (f, df func(float64) float64, err error) {
	switch name {
	case "relu":
		return func(z float64) float64 { return math.Max(z, 0) },
			func(z float64) float64 {
				if z > 0 {
					return 1
				}
				return 0
			}, nil
	case "leaky_relu":
		return func(z float64) float64 { return leaky(z, 0.01) }, func(z float64) float64 { return dleaky(z, 0.01) }, nil
	case "tanh":
		return math.Tanh, func(z float64) float64 { t := math.Tanh(z); return 1 - t*t }, nil
	case "sigmoid":
		sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
		return sig, func(z float64) float64 { s := sig(z); return s * (1 - s) }, nil
	case "linear", "":
		return func(z float64) float64 { return z }, func(float64) float64 { return 1 }, nil
	}
	return nil, nil, fmt.Errorf("unknown activation %q", name)
}

func leaky(z, slope float64) float64 {
	if z > 0 {
		return z
	}
	return slope * z
}

func dleaky(z, slope float64) float64 {
	if z > 0 {
		return 1
	}
	return slope
}

// matVec returns W·v + b for W [out, in].
func matVec(w []float64, out, in int, v, b []float64) []float64 {
	y := make([]float64, out)
	for r := range out {
		s := 0.0
		if b != nil {
			s = b[r]
		}
		row := w[r*in : (r+1)*in]
		for k, x := range v {
			s += row[k] * x
		}
		y[r] = s
	}
	return y
}

// cbInput is what the CB sees.
func (c *ElmanCell) cbInput(h, x []float64) []float64 {
	var in []float64
	if c.CB.SeesHidden {
		in = append(in, h...)
	}
	if c.CB.SeesInput {
		in = append(in, x...)
	}
	return in
}

// CBOutput returns the CB term b = CB(h, x) (zero without a module).
func (c *ElmanCell) CBOutput(h, x []float64) []float64 {
	if c.CB == nil {
		return make([]float64, c.H)
	}
	a := c.cbInput(h, x)
	for _, l := range c.CB.Layers {
		f, _, _ := activation(l.Act)
		z := matVec(l.W, l.Out, l.In, a, l.B)
		for i := range z {
			z[i] = f(z[i])
		}
		a = z
	}
	return a
}

// corePre is W_x·x + b_x + W_h·h + b_h.
func (c *ElmanCell) corePre(h, x []float64) []float64 {
	pre := matVec(c.Wx, c.H, c.I, x, c.Bx)
	rec := matVec(c.Wh, c.H, c.H, h, c.Bh)
	for i := range pre {
		pre[i] += rec[i]
	}
	return pre
}

// Step returns h' from h and x with the CB term b (nil: b = 0; use
// CBOutput for the network's own).
func (c *ElmanCell) Step(h, x, b []float64) []float64 {
	pre := c.corePre(h, x)
	out := make([]float64, c.H)
	for i := range out {
		p := pre[i]
		if b != nil {
			p += b[i]
		}
		out[i] = (1-c.Alpha)*h[i] + c.Alpha*leaky(p, c.Slope)
	}
	return out
}

// JVP returns J·v, J = ∂h'/∂h at (h, x) with the network's own CB term.
// throughCB = false gives the authors' "CB detached" Jacobian: the forward
// is unchanged but no derivative flows through b (b held at its value):
// J_det = (1−α)I + α·D·W_h; with throughCB, J_full = J_det + α·D·∂b/∂h.
// D is the LeakyReLU derivative at pre + b.
func (c *ElmanCell) JVP(h, x, v []float64, throughCB bool) []float64 {
	pre := c.corePre(h, x)
	var db []float64
	if c.CB != nil {
		// Forward through the CB, keeping each layer's pre-activation,
		// then push v through (only the h part of the CB's input moves).
		a := c.cbInput(h, x)
		var da []float64
		if throughCB {
			da = make([]float64, len(a))
			if c.CB.SeesHidden {
				copy(da, v)
			}
		}
		for _, l := range c.CB.Layers {
			f, df, _ := activation(l.Act)
			z := matVec(l.W, l.Out, l.In, a, l.B)
			var dz []float64
			if throughCB {
				dz = matVec(l.W, l.Out, l.In, da, nil)
			}
			for i := range z {
				if throughCB {
					dz[i] *= df(z[i])
				}
				z[i] = f(z[i])
			}
			a, da = z, dz
		}
		for i := range pre {
			pre[i] += a[i]
		}
		db = da
	}
	wv := matVec(c.Wh, c.H, c.H, v, nil)
	out := make([]float64, c.H)
	for i := range out {
		g := wv[i]
		if db != nil {
			g += db[i]
		}
		out[i] = (1-c.Alpha)*v[i] + c.Alpha*dleaky(pre[i], c.Slope)*g
	}
	return out
}

// Dot is Σ a_i b_i.
func Dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
