package gomlxmodels

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// The general path: any valid Config, built from its parts step by step in
// the same feature-major layout as the fast path ([K, width, B] per step,
// weights [K, out, in]); GoMLX's autodiff gives its gradients. It is the
// reference the fast path is tested against, and the only path of models
// the fast path does not cover.

// genNet is the general computation of K stacked networks of one Config
// for batch B and (bucket) length T inside one graph.
type genNet struct {
	cfg     Config
	K, B, T int
	g       *Graph
	P       []*Node          // parameters in Params() order, [K, shape...]
	byName  map[string]*Node // same nodes, by name
	// idle: per-task passes not computed (bit k: head k; graphKey.idle).
	idle uint64
}

// isIdle says whether per-task pass k is skipped.
func (n *genNet) isIdle(k int) bool { return k < 64 && n.idle&(1<<uint(k)) != 0 }

func newGenNet(g *Graph, cfg Config, K, B, T int) *genNet {
	return &genNet{cfg: cfg, K: K, B: B, T: T, g: g, byName: map[string]*Node{}}
}

// setParams adopts parameter nodes given in Params() order.
func (n *genNet) setParams(P []*Node) {
	n.P = P
	for i, p := range n.cfg.Params() {
		n.byName[p.Name] = P[i]
	}
}

func (n *genNet) w(name string) *Node {
	v, ok := n.byName[name]
	if !ok {
		panic(fmt.Sprintf("gomlxmodels: no parameter %q", name))
	}
	return v
}

// linear is W·in + b for the PyTorch Linear named name: [K, out, …].
func (n *genNet) linear(name string, in *Node) *Node {
	return addBias(matmul(n.w(name+".weight"), in), n.w(name+".bias"))
}

// activate applies a named nonlinearity. ReLU and LeakyReLU are Wheres so
// that their gradient at exactly 0 is PyTorch's (0, resp. the slope side).
func activate(act string, slope float64, x *Node) *Node {
	zero := ScalarZero(x.Graph(), x.DType())
	switch act {
	case ActReLU:
		return Where(GreaterThan(x, zero), x, zero)
	case ActLeakyReLU:
		return Where(GreaterThan(x, zero), x, MulScalar(x, slope))
	case ActTanh:
		return Tanh(x)
	case ActSigmoid:
		return Sigmoid(x)
	}
	return x // ActLinear
}

// genStep is what one step of the general path records.
type genStep struct {
	acts map[string]*Node // every module's activity by name, [K, width, B]
	h    *Node            // h_t after the padding mask, [K, H, B]
}

// step advances the state [K, S, B] by one step on input x [K, I, B].
// cbOn ([K], optional) scales the cerebellar output (0 = ablated). With
// per-task modules the state holds one pass of the core per head, each
// biased by its own module (stepPass).
func (n *genNet) step(state, x, cbOn *Node) (newState *Node, acts map[string]*Node) {
	prefixes := n.cfg.cbPrefixes()
	if !n.cfg.PerTaskCB() {
		name := ""
		if len(prefixes) > 0 {
			name = prefixes[0]
		}
		return n.stepPass(state, x, cbOn, name)
	}
	if len(prefixes) == 1 {
		return n.stepPass(state, x, cbOn, prefixes[0])
	}
	H := n.cfg.Core.Hidden
	acts = map[string]*Node{}
	next := make([]*Node, len(prefixes))
	for k, prefix := range prefixes {
		h := SliceAxis(state, 1, AxisRange(k*H, (k+1)*H))
		if n.isIdle(k) {
			next[k] = h // not computed: no head reads it in this graph
			continue
		}
		var a map[string]*Node
		next[k], a = n.stepPass(h, x, cbOn, prefix)
		for name, v := range a {
			acts[fmt.Sprintf("%s.%d", name, k)] = v
		}
	}
	return Concatenate(next, 1), acts
}

// stepPass is one step of one pass of the core, biased by the cerebellar
// module whose parameters are named cbName.*.
func (n *genNet) stepPass(state, x, cbOn *Node, cbName string) (newState *Node, acts map[string]*Node) {
	c := n.cfg
	H := c.Core.Hidden
	acts = map[string]*Node{}
	h, aux := state, (*Node)(nil)
	if a := c.auxWidth(); a > 0 {
		h = SliceAxis(state, 1, AxisRange(0, H))
		aux = SliceAxis(state, 1, AxisRange(H, H+a))
	}

	// The cerebellar module sees h_{t-1} and the raw input x_t.
	var cb *Node
	if c.CB != nil {
		cb, aux = n.cerebellum(cbName, h, x, aux, acts)
		if cbOn != nil {
			cb = Mul(cb, Reshape(cbOn, n.K, 1, 1))
		}
	}

	u := x
	if c.Core.InputProj {
		u = n.linear("input_proj", u)
	}
	if cb != nil && c.CB.Target == TargetInput {
		u = Add(u, cb)
		acts["cb_bias"] = cb
	}
	addPre := func(pre *Node) *Node {
		if cb != nil && c.CB.Target == TargetPre {
			acts["cb_bias"] = cb
			return Add(pre, cb)
		}
		return pre
	}
	var hNew *Node
	switch c.Core.Kind {
	case CoreElman:
		alpha := 1 / c.Core.Tau
		pre := addPre(Add(n.linear("inp", u), n.linear("hh", h)))
		hNew = Add(MulScalar(h, 1-alpha), MulScalar(activate(c.Core.Act, c.Core.Slope, pre), alpha))
	case CoreRNN:
		pre := Add(addBias(matmul(n.w("recurrent.weight_ih"), u), n.w("recurrent.bias_ih")),
			addBias(matmul(n.w("recurrent.weight_hh"), h), n.w("recurrent.bias_hh")))
		hNew = activate(c.Core.Act, c.Core.Slope, addPre(pre))
	case CoreGRU:
		z := Sigmoid(Add(n.linear("gru_cell.x_z", u), n.linear("gru_cell.h_z", h)))
		r := Sigmoid(Add(n.linear("gru_cell.x_r", u), n.linear("gru_cell.h_r", h)))
		npre := Add(n.linear("gru_cell.x_n", u), n.linear("gru_cell.h_n", Mul(r, h)))
		if cb != nil && c.CB.Target == TargetPre {
			// b_cb ← b_cb·min(1, ratio·‖n_pre‖/‖b_cb‖) per trial, n_pre held
			// constant, norms clamped at 1e-8 (METHODS §1.3).
			eps := Scalar(n.g, dtypes.Float32, 1e-8)
			nNorm := Max(Sqrt(ReduceAndKeep(Square(StopGradient(npre)), ReduceSum, 1)), eps)
			cNorm := Max(Sqrt(ReduceAndKeep(Square(cb), ReduceSum, 1)), eps)
			s := Min(Div(MulScalar(nNorm, c.CB.MaxRatio), cNorm), ScalarOne(n.g, dtypes.Float32))
			cb = Mul(cb, s)
		}
		npre = addPre(npre)
		hNew = Add(Mul(OneMinus(z), h), Mul(z, activate(c.Core.Act, c.Core.Slope, npre)))
		acts["z"], acts["r"] = z, r
	}
	newState = hNew
	if aux != nil {
		newState = Concatenate([]*Node{hNew, aux}, 1)
	}
	return newState, acts
}

// cerebellum runs the module on c_t = [h_{t-1}, x_t] (or the part it
// sees), records each layer's activity by name and returns its raw output
// and, for a recurrent module, its new state.
func (n *genNet) cerebellum(name string, h, x, aux *Node, acts map[string]*Node) (out, newAux *Node) {
	cb := n.cfg.CB
	var in *Node
	switch cb.Sees {
	case SeesHidden:
		in = h
	case SeesInput:
		in = x
	default:
		in = Concatenate([]*Node{h, x}, 1)
	}
	last := len(cb.Layers) - 1
	if cb.Kind == CBRecurrent {
		l := cb.Layers[0]
		alpha := 1 / cb.Tau
		pre := Add(n.linear(name+".inp", in), n.linear(name+".hh", aux))
		newAux = Add(MulScalar(aux, 1-alpha), MulScalar(activate(l.Act, DefaultSlope, pre), alpha))
		acts[l.Name] = newAux
		out = activate(cb.Layers[last].Act, DefaultSlope, n.linear(name+"."+cb.Layers[last].Name, newAux))
		return out, newAux
	}
	a := in
	for i, l := range cb.Layers {
		a = activate(l.Act, DefaultSlope, n.linear(name+"."+l.Name, a))
		if i < last {
			acts[l.Name] = a
		}
	}
	return a, nil
}

// forward runs the recurrence over the T (bucket) steps from in.h0 (the
// state, [K, S, B]); padding steps hold the state. It returns the final
// state and each step's record.
func (n *genNet) forward(in forwardInputs, cbOn *Node) (state *Node, steps []genStep) {
	I, H := n.cfg.Inputs, n.cfg.Core.Hidden
	state = in.h0
	steps = make([]genStep, n.T)
	for t := range n.T {
		xt := Reshape(Slice(in.x, AxisElem(t)), n.K, I+1, n.B)
		xt = SliceAxis(xt, 1, AxisRange(0, I)) // drop the constant-1 channel of the fast path
		next, acts := n.step(state, xt, cbOn)
		if in.mask != nil {
			state = Where(stepMask(in.mask, t, n.K), next, state)
		} else {
			state = next
		}
		h := state
		if n.cfg.auxWidth() > 0 {
			h = SliceAxis(state, 1, AxisRange(0, H))
		}
		if P := n.cfg.passes(); P > 1 {
			// Per-task modules: each head's pass is recorded as hidden.k.
			for k := range P {
				acts[fmt.Sprintf("hidden.%d", k)] = SliceAxis(state, 1, AxisRange(k*H, (k+1)*H))
			}
		} else {
			acts["hidden"] = h
		}
		steps[t] = genStep{acts: acts, h: h}
	}
	return state, steps
}

// readout computes each head's logits: from the final hidden state ([K, C,
// B]), or, with allSteps, from every step's ([K, C, T·B], step-major).
func (n *genNet) readout(state *Node, steps []genStep, allSteps bool) []*Node {
	H := n.cfg.Core.Hidden
	src := state
	if n.cfg.auxWidth() > 0 {
		src = SliceAxis(state, 1, AxisRange(0, H))
	}
	if allSteps {
		hs := make([]*Node, len(steps))
		for t := range steps {
			hs[t] = steps[t].h
		}
		src = Concatenate(hs, 2)
	}
	out := make([]*Node, len(n.cfg.Readout.Heads))
	for k := range out {
		in := src
		if n.cfg.passes() > 1 {
			// Per-task modules: head k reads the pass biased by module k.
			if n.isIdle(k) {
				out[k] = Zeros(n.g, shapes.Make(dtypes.Float32, n.K, n.cfg.Readout.Heads[k], n.B))
				continue
			}
			in = SliceAxis(state, 1, AxisRange(k*H, (k+1)*H))
		}
		out[k] = n.linear(n.cfg.HeadName(k), in)
	}
	return out
}
