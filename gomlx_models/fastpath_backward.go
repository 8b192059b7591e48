package gomlxmodels

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// The hand-written backward pass (BPTT). Only the recurrent chain is
// sequential: each step propagates the state gradient through the cell and
// the CB and records the pre-activation deltas; the weight gradients
// (biases included, see Layout in model.go) are then one matmul per
// augmented weight over all T·B (step, trial) pairs instead of T small
// ones. The result equals autodiff's (checked in the tests).

// stackT concatenates per-step [K, W, B] tensors into [K, W, T·B], last
// step first (see dotPolicy.gradW): a plain block copy.
func stackT(steps []*Node) *Node {
	rev := make([]*Node, len(steps))
	for t, s := range steps {
		rev[len(steps)-1-t] = s
	}
	return Concatenate(rev, 2)
}

// cols slices columns [from, to) of a [K, rows, cols] tensor.
func cols(x *Node, from, to int) *Node {
	return Slice(x, AxisRange(), AxisRange(), AxisRange(from, to))
}

// rows slices rows [from, to) of a [K, rows, cols] tensor.
func rows(x *Node, from, to int) *Node { return Slice(x, AxisRange(), AxisRange(from, to)) }

// col is column i of a [K, rows, cols] tensor as [K, rows].
func col(x *Node, i int) *Node {
	d := x.Shape().Dimensions
	return Reshape(cols(x, i, i+1), d[0], d[1])
}

// flushTiny sets the entries of a state gradient below 1e-30 in magnitude
// to zero.
//
// Why: the state gradient shrinks by a roughly constant factor per step, so
// beyond ~100 steps it and the deltas made from it (times α·0.01 on the
// LeakyReLU's negative side, times the CB's weights) reach float32's
// subnormal range (< 2⁻¹²⁶ ≈ 1.2e-38), where every multiply on a CPU takes
// a microcode assist: on the Go backend a training step at T=192 cost 2.6×
// what its length predicts, at T=128 1.5×. Go has no flush-to-zero switch,
// and flushing at 2⁻¹²⁶ leaves the deltas one product away from it (it
// recovered only a third), hence a threshold with room for the products.
// A term below 1e-30 cannot change a float32 weight gradient that also
// gets the late steps' terms, ~1e-10 or larger: float32 sums drop what is
// below 6e-8 of them. (A parameter that gets only such terms, the bias of
// a unit active only early in a long sequence, moves by ~1e-33 either
// way.) GPUs flush subnormals anyway.
//
// It runs at every step. Running it every flushEvery steps (counted back
// from the last step, so at the same steps of a member whatever its
// bucket's padding) is not exact: values that pass below 1e-30 between two
// flushes make deltas of ~1e-33 that reach the biases of units active only
// early in a sequence (25 parameters after 4 steps at T = 160…139 with an
// interval of 2, e.g. a zero-initialised cb.gc.bias at -4.6e-33 instead of
// -8.8e-33; TestFlushInterval), and the saving of an interval of 8 was within the
// noise (27.8 against 28.1 CPU ms per member-step, K=8, T=60, B=64).
func flushTiny(x *Node) *Node {
	tiny := Scalar(x.Graph(), dtypes.Float32, 1e-30)
	return Where(LessThan(Abs(x), tiny), ScalarZero(x.Graph(), dtypes.Float32), x)
}

// flushEvery is the interval of flushTiny in steps (a variable for the
// tests; see flushTiny).
var flushEvery = 1

// stepDeltas are the deltas recorded at one step.
type stepDeltas struct {
	core []*Node // Elman: δpre; GRU: δa_z, δa_r, δn_pre
	cb   *Node   // δ of the unscaled DCN output (Elman: = δpre)
	pcA  *Node   // δ of A_pc·gcA (last row unused)
	gcA  *Node   // δ of A_gc·c (last row unused)
}

// backward returns the gradients of Σ_k loss_k with respect to every
// parameter, in Params() order.
func (n *netGraph) backward(hT *Node, trace []stepTrace, dLogits []*Node) []*Node {
	grads := make(map[string]*Node)
	zero := ScalarZero(n.g, dtypes.Float32)
	H, I := n.hidden, n.inputs

	// Readout.
	var dh *Node
	for i, dl := range dLogits {
		p := fmt.Sprintf("head.%d", i)
		// dl [K, C, B], hT [K, H, B].
		grads[p+".weight"] = n.pol.dot(dl, 2, hT, 2)
		grads[p+".bias"] = ReduceSum(dl, 2)
		d := n.pol.mm(transposeW(n.w(p+".weight")), dl)
		if dh == nil {
			dh = d
		} else {
			dh = Add(dh, d)
		}
	}

	deltas := make([]stepDeltas, n.T)
	for t := n.T - 1; t >= 0; t-- {
		tr := &trace[t]
		d := dh // gradient entering the step (0 on padding)
		if tr.mask != nil {
			d = Where(tr.mask, dh, zero)
		}
		ds := &deltas[t]
		var dPrev, dcb *Node
		if n.isGRU {
			dPrev, dcb = n.gruBack(d, tr, ds)
		} else {
			dpre := Mul(d, tr.dAct) // α·LeakyReLU'(pre)·d
			ds.core = []*Node{dpre}
			dPrev = Add(MulScalar(d, 1-n.alpha), n.pol.mm(n.a.hT[0], dpre))
			dcb = dpre
		}
		if n.hasCB {
			ds.cb = dcb
			ds.pcA = Where(GreaterThan(tr.pcA, zero), n.pol.mm(n.a.dcnT, dcb), zero)
			ds.gcA = Where(GreaterThan(tr.gcA, zero), n.pol.mm(n.a.pcT, ds.pcA), zero)
			dPrev = Add(dPrev, n.pol.mm(n.a.gcHT, ds.gcA))
		}
		// Padding steps pass the state gradient through unchanged.
		if tr.mask != nil {
			dh = Where(tr.mask, dPrev, dh)
		} else {
			dh = dPrev
		}
		if (n.T-1-t)%flushEvery == flushEvery-1 {
			dh = flushTiny(dh)
		}
	}

	// Weight gradients, batched over all steps.
	collect := func(get func(t int) *Node) *Node {
		steps := make([]*Node, n.T)
		for t := range steps {
			steps[t] = get(t)
		}
		return stackT(steps)
	}
	C := collect(func(t int) *Node { return trace[t].c }) // [K, rc, T·B]
	// splitCore writes the gradient of a [W_h, W_x, b] matrix.
	splitCore := func(g *Node, hName, xName, xBias, hBias string) {
		grads[hName] = cols(g, 0, H)
		grads[xName] = cols(g, H, H+I)
		b := col(g, H+I) // the constant-1 input (zero padding follows)
		grads[xBias], grads[hBias] = b, b
	}
	var dCB *Node
	if n.isGRU {
		QA := collect(func(t int) *Node { return trace[t].qA })
		for gi, gname := range gruGates {
			D := collect(func(t int) *Node { return deltas[t].core[gi] })
			in := C
			if gname == "n" {
				in = QA
			}
			splitCore(n.pol.gradW(D, in), "h_"+gname+".weight", "x_"+gname+".weight", "x_"+gname+".bias", "h_"+gname+".bias")
		}
		if n.hasCB {
			dCB = collect(func(t int) *Node { return deltas[t].cb })
		}
	} else {
		D := collect(func(t int) *Node { return deltas[t].core[0] })
		splitCore(n.pol.gradW(D, C), "hh.weight", "inp.weight", "inp.bias", "hh.bias")
		dCB = D
	}
	if n.hasCB {
		G, P := n.gc, n.pc
		PCA := collect(func(t int) *Node { return trace[t].pcA })
		GCA := collect(func(t int) *Node { return trace[t].gcA })
		DPC := collect(func(t int) *Node { return deltas[t].pcA })
		DGC := collect(func(t int) *Node { return deltas[t].gcA })
		gDCN := n.pol.gradW(dCB, PCA) // [K, H, P+1]
		grads["cb.dcn.weight"] = cols(gDCN, 0, P)
		grads["cb.dcn.bias"] = col(gDCN, P)
		gPC := rows(n.pol.gradW(DPC, GCA), 0, P) // [K, P, rg]
		grads["cb.pc.weight"] = cols(gPC, 0, G)
		grads["cb.pc.bias"] = col(gPC, G)
		gGC := rows(n.pol.gradW(DGC, C), 0, G) // [K, G, rc]
		switch n.sees {
		case SeesHidden:
			grads["cb.gc.weight"] = cols(gGC, 0, H)
		case SeesInput:
			grads["cb.gc.weight"] = cols(gGC, H, H+I)
		default:
			grads["cb.gc.weight"] = cols(gGC, 0, H+I) // c_t = [h_{t-1}, x_t]
		}
		grads["cb.gc.bias"] = col(gGC, H+I)
	}
	byName := make(map[string]*Node, len(grads))
	for role, g := range grads {
		byName[n.name(role)] = g
	}
	out := make([]*Node, len(n.specs))
	for i, p := range n.specs {
		out[i] = byName[p.Name]
	}
	return out
}

// gruBack propagates d = ∂L/∂h_t through one GRU step. It returns ∂L/∂h_{t-1}
// (without the CB's contribution through c_t) and ∂L/∂b_cb (unscaled).
func (n *netGraph) gruBack(d *Node, tr *stepTrace, ds *stepDeltas) (dPrev, dcb *Node) {
	h, z, r := tr.hPrev, tr.z, tr.r
	// h_t = (1−z)⊙h + z⊙act, act = LeakyReLU(u).
	dz := Mul(d, Sub(tr.act, h))
	daz := Mul(dz, Mul(z, OneMinus(z)))
	du := Mul(Mul(d, z), tr.dAct)
	dnpre := du
	if n.hasCB {
		// u = n_pre + s·c with s = min(1, ratio·‖n_pre‖/max(‖c‖, ε)) and n_pre
		// held constant in s. Where s < 1 (and ‖c‖ > ε):
		// ∂/∂c = s·(du − c·(c·du)/‖c‖²).
		c := tr.cbRaw
		s := tr.scale
		proj := ReduceAndKeep(Mul(c, du), ReduceSum, 1) // [K,1,B]
		eps := Scalar(n.g, dtypes.Float32, 1e-30)
		active := And(tr.scaleClipped, GreaterThan(tr.cbNorm, eps))
		factor := Where(active, Div(Mul(s, proj), Square(tr.cbNorm)), ZerosLike(proj))
		dcb = Sub(Mul(du, s), Mul(c, factor))
	}
	dq := n.pol.mm(n.a.hT[2], dnpre)
	dar := Mul(Mul(dq, h), Mul(r, OneMinus(r)))
	dPrev = Add(Mul(d, OneMinus(z)), Mul(dq, r))
	dPrev = Add(dPrev, n.pol.mm(n.a.hT[0], daz))
	dPrev = Add(dPrev, n.pol.mm(n.a.hT[1], dar))
	ds.core = []*Node{daz, dar, dnpre}
	return dPrev, dcb
}
