package gomlxmodels

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// The hand-written backward pass (BPTT). Only the recurrent chain is
// sequential: each step propagates the state gradient through the cell and
// the CB and records the pre-activation deltas; the weight gradients are
// then one batched matmul per weight over all T·B (step, trial) pairs
// instead of T small ones, and no transposed copies of the weights are
// made. The result equals autodiff's (checked in the tests).

// gradW is Σ_{t,b} δ[k,:,t,b] · in[k,:,t,b]ᵀ → [K, out, in], for δ [K, out,
// T, B] and in [K, in, T, B].
func gradW(delta, in *Node) *Node {
	return DotGeneral(delta, []int{2, 3}, []int{0}, in, []int{2, 3}, []int{0})
}

// gradB is Σ_{t,b} δ[k,:,t,b] → [K, out].
func gradB(delta *Node) *Node { return ReduceSum(delta, 2, 3) }

// stackT stacks per-step [K, W, B] tensors into [K, W, T, B].
func stackT(steps []*Node) *Node { return Stack(steps, 2) }

// stepDeltas are the deltas recorded at one step.
type stepDeltas struct {
	core []*Node // Elman: d pre; GRU: d a_z, d a_r, d n_pre
	cb   *Node   // d b_cb (unscaled DCN output)
	pc   *Node   // d pc pre-activation
	gc   *Node   // d gc pre-activation
}

// backward returns the gradients of Σ_k loss_k with respect to every
// parameter, in Params() order. x is [K,I,T,B], mask bool [T,K].
func (n *netGraph) backward(x, mask, hT *Node, trace []stepTrace, dLogits []*Node) []*Node {
	grads := make(map[string]*Node)
	zero := ScalarZero(n.g, dtypes.Float32)

	// Readout.
	var dh *Node
	for i, dl := range dLogits {
		p := n.cfg.HeadPrefix(i)
		// dl [K, C, B], hT [K, H, B].
		grads[p+".weight"] = DotGeneral(dl, []int{2}, []int{0}, hT, []int{2}, []int{0})
		grads[p+".bias"] = ReduceSum(dl, 2)
		d := matmul(n.wT(p+".weight"), dl)
		if dh == nil {
			dh = d
		} else {
			dh = Add(dh, d)
		}
	}

	var wgchT *Node
	if wgch := n.cbHiddenWeight(); wgch != nil {
		wgchT = Transpose(wgch, 1, 2)
	}
	deltas := make([]stepDeltas, n.T)
	for t := n.T - 1; t >= 0; t-- {
		tr := &trace[t]
		mt := Reshape(Slice(mask, AxisElem(t)), n.K)
		d := Where(mt, dh, zero) // gradient entering the step (0 on padding)
		var dPrev *Node
		var dcb *Node // gradient w.r.t. the bias added to the cell
		ds := &deltas[t]
		if n.cfg.Core == CoreGRU {
			dPrev, dcb = n.gruBack(d, tr, ds)
		} else {
			dact := MulScalar(d, n.alpha)
			dpre := Where(GreaterThan(tr.pre, zero), dact, MulScalar(dact, n.slope))
			ds.core = []*Node{dpre}
			dPrev = Add(MulScalar(d, 1-n.alpha), matmul(n.wT("hh.weight"), dpre))
			dcb = dpre
		}
		if n.cfg.CB {
			ds.cb = dcb
			dpc := matmul(n.wT("cb.dcn.weight"), dcb)
			dpc = Where(GreaterThan(tr.pc, zero), dpc, zero)
			dgc := matmul(n.wT("cb.pc.weight"), dpc)
			dgc = Where(GreaterThan(tr.gc, zero), dgc, zero)
			ds.pc, ds.gc = dpc, dgc
			if wgchT != nil {
				dPrev = Add(dPrev, matmul(wgchT, dgc))
			}
		}
		// Padding steps pass the state gradient through unchanged.
		dh = Where(mt, dPrev, dh)
	}

	// Weight gradients, batched over all steps.
	collect := func(get func(*stepDeltas) *Node) *Node {
		steps := make([]*Node, n.T)
		for t := range steps {
			steps[t] = get(&deltas[t])
		}
		return stackT(steps)
	}
	hPrev := make([]*Node, n.T)
	for t := range hPrev {
		hPrev[t] = trace[t].hPrev
	}
	H := stackT(hPrev)
	if n.cfg.Core == CoreGRU {
		for gi, gname := range gruGates {
			D := collect(func(s *stepDeltas) *Node { return s.core[gi] })
			db := gradB(D)
			grads["x_"+gname+".weight"] = gradW(D, x)
			grads["x_"+gname+".bias"] = db
			grads["h_"+gname+".bias"] = db
			in := H
			if gname == "n" {
				qs := make([]*Node, n.T)
				for t := range qs {
					qs[t] = trace[t].q
				}
				in = stackT(qs)
			}
			grads["h_"+gname+".weight"] = gradW(D, in)
		}
	} else {
		D := collect(func(s *stepDeltas) *Node { return s.core[0] })
		db := gradB(D)
		grads["inp.weight"] = gradW(D, x)
		grads["inp.bias"] = db
		grads["hh.weight"] = gradW(D, H)
		grads["hh.bias"] = db
	}
	if n.cfg.CB {
		DCB := collect(func(s *stepDeltas) *Node { return s.cb })
		DPC := collect(func(s *stepDeltas) *Node { return s.pc })
		DGC := collect(func(s *stepDeltas) *Node { return s.gc })
		PC := stackT(n.traceList(trace, func(s *stepTrace) *Node { return s.pc }))
		GC := stackT(n.traceList(trace, func(s *stepTrace) *Node { return s.gc }))
		grads["cb.dcn.weight"] = gradW(DCB, PC)
		grads["cb.dcn.bias"] = gradB(DCB)
		grads["cb.pc.weight"] = gradW(DPC, GC)
		grads["cb.pc.bias"] = gradB(DPC)
		var parts []*Node
		if n.cfg.cbSeesHidden() {
			parts = append(parts, gradW(DGC, H))
		}
		if n.cfg.cbSeesInput() {
			parts = append(parts, gradW(DGC, x))
		}
		grads["cb.gc.weight"] = Concatenate(parts, 2) // c_t = [h_{t-1}, x_t]
		grads["cb.gc.bias"] = gradB(DGC)
	}
	out := make([]*Node, len(n.specs))
	for i, p := range n.specs {
		out[i] = grads[p.Name]
	}
	return out
}

func (n *netGraph) traceList(trace []stepTrace, get func(*stepTrace) *Node) []*Node {
	out := make([]*Node, len(trace))
	for t := range trace {
		out[t] = get(&trace[t])
	}
	return out
}

// gruBack propagates d = ∂L/∂h_t through one GRU step. It returns ∂L/∂h_{t-1}
// (without the CB's contribution through c_t) and ∂L/∂b_cb (unscaled).
func (n *netGraph) gruBack(d *Node, tr *stepTrace, ds *stepDeltas) (dPrev, dcb *Node) {
	zero := ScalarZero(n.g, dtypes.Float32)
	h, z, r := tr.hPrev, tr.z, tr.r
	// h_t = (1−z)⊙h + z⊙act, act = LeakyReLU(u).
	dact := Mul(d, z)
	dz := Mul(d, Sub(tr.act, h))
	daz := Mul(dz, Mul(z, OneMinus(z)))
	du := Where(GreaterThan(tr.pre, zero), dact, MulScalar(dact, n.slope))
	dnpre := du
	if n.cfg.CB {
		// u = n_pre + s·c with s = min(1, ratio·‖n_pre‖/max(‖c‖, ε)) and n_pre
		// held constant in s. Where s < 1 (and ‖c‖ > ε):
		// ∂/∂c = s·(du − c·(c·du)/‖c‖²).
		c := tr.cbRaw
		s := tr.scale
		proj := ReduceAndKeep(Mul(c, du), ReduceSum, 1) // [K,1,B]
		eps := Scalar(n.g, dtypes.Float32, 1e-8)
		active := And(tr.scaleClipped, GreaterThan(tr.cbNorm, eps))
		factor := Where(active, Div(Mul(s, proj), Square(tr.cbNorm)), ZerosLike(proj))
		dcb = Sub(Mul(du, s), Mul(c, factor))
	}
	dq := matmul(n.wT("h_n.weight"), dnpre)
	dr := Mul(dq, h)
	dar := Mul(dr, Mul(r, OneMinus(r)))
	dPrev = Add(Mul(d, OneMinus(z)), Mul(dq, r))
	dPrev = Add(dPrev, matmul(n.wT("h_z.weight"), daz))
	dPrev = Add(dPrev, matmul(n.wT("h_r.weight"), dar))
	ds.core = []*Node{daz, dar, dnpre}
	return dPrev, dcb
}
