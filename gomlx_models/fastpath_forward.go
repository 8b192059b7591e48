package gomlxmodels

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// Layout. Inside the graphs every activation is feature-major, [K, width,
// B] (member, unit, trial), and weights keep PyTorch's [K, out, in]. Then a
// layer is W·x with x's trials as the contiguous axis, a backward step is
// Wᵀ·δ with Wᵀ transposed once per graph, and a weight gradient is
// δ·inputᵀ contracting the (step, trial) axes that are already the
// contiguous ones of both operands: no matmul needs its operands
// transposed, which is what the Go backend's kernels handle best.
//
// Biases are folded into the matmuls: the layer input c_t = [h_{t-1}; x_t;
// 1] carries a constant 1 (an extra input channel packed with x), and the
// CB's weight matrices get an extra row that reproduces that 1 through the
// ReLU (A_gc = [[W_gc, b_gc], [0, 1]], A_pc = [[W_pc, b_pc], [0, 1]], A_dcn =
// [W_dcn, b_dcn]), so gc and pc carry it too. A forward step is then four
// matmuls and a few element-wise ops with no broadcasting, and every bias
// gradient comes out of its weight's gradient matmul as the last column.

// The fast path: the paper's networks with a hand-written backward pass
// (fastpath_backward.go). It covers exactly the configurations hasFastPath
// accepts; every other network takes the general path (cells.go) and
// GoMLX's autodiff. The tests require both paths to agree on every
// configuration the fast path covers.

// hasFastPath reports whether c is one of the networks the hand-written
// backward pass was written and verified for: the paper's leaky Elman or
// GRU core (LeakyReLU, no input projection), a last-step readout, and
// either no cerebellar module or the paper's feedforward one (two ReLU
// layers and a linear output, added to the pre-activation), seeing h, x or
// both.
func (c Config) hasFastPath() bool {
	core := c.Core
	if (core.Kind != CoreElman && core.Kind != CoreGRU) || core.Act != ActLeakyReLU || core.InputProj || c.Readout.PerStep {
		return false
	}
	cb := c.CB
	if cb == nil {
		return true
	}
	return cb.Kind == CBFeedforward && cb.Target == TargetPre && !cb.PerTask && len(cb.Layers) == 3 &&
		cb.Layers[0].Act == ActReLU && cb.Layers[1].Act == ActReLU && cb.Layers[2].Act == ActLinear
}

// Gradients says how a network of this config computes its gradients:
// "hand-written BPTT" (the fast path) or "autodiff" (the general path).
func (c Config) Gradients() string {
	if c.hasFastPath() {
		return pathFast.String()
	}
	return pathGeneral.String()
}

// fastRoles maps the fast path's fixed parameter roles (the names of the
// paper's single-head Elman: inp.weight, x_z.weight, cb.gc.weight,
// head.0.weight, …) to the config's parameter names.
func fastRoles(c Config) map[string]string {
	roles := map[string]string{}
	for _, wb := range []string{".weight", ".bias"} {
		for _, g := range gruGates {
			roles["x_"+g+wb] = "gru_cell.x_" + g + wb
			roles["h_"+g+wb] = "gru_cell.h_" + g + wb
		}
		if c.CB != nil {
			for i, role := range []string{"cb.gc", "cb.pc", "cb.dcn"} {
				roles[role+wb] = c.CB.Name + "." + c.CB.Layers[i].Name + wb
			}
		}
		for k := range c.Readout.Heads {
			roles[fmt.Sprintf("head.%d", k)+wb] = c.HeadName(k) + wb
		}
	}
	return roles
}

// netGraph builds the fast path's computation of K stacked networks of one
// Config, for batch B and (bucket) length T, inside one graph. Every
// parameter node is [K, shape...].
type netGraph struct {
	cfg      Config
	specs    []ParamSpec
	K, B, T  int
	g        *Graph
	P        []*Node           // parameters in Params() order
	byName   map[string]*Node  // same nodes, by parameter name
	roles    map[string]string // fast-path role → parameter name
	alpha    float64           // Elman: 1/τ
	slope    float64
	hidden   int
	inputs   int
	nHeads   int
	classes  []int
	isGRU    bool
	hasCB    bool
	gc, pc   int     // CB widths
	sees     string  // what the CB sees
	maxRatio float64 // GRU: ‖b_cb‖ ≤ maxRatio·‖n_pre‖
	a        *augWeights
	pol      *dotPolicy // nil: matmuls as they come (see exact.go)
	// rc, rg: rows of c_t (and the GRU's q_t) and of gcA, padded with zero
	// rows for pol.mm (H+I+1 and G+1 when no padding is needed).
	rc, rg int
	cPad   *Node // zeros [K, rc−(H+I+1), B], or nil
}

// concatRows is [a; b] plus the zero rows that pad it to n.rc.
func (n *netGraph) concatRows(a, b *Node) *Node {
	if n.cPad == nil {
		return Concatenate([]*Node{a, b}, 1)
	}
	return Concatenate([]*Node{a, b, n.cPad}, 1)
}

func newNetGraph(g *Graph, cfg Config, K, B, T int) *netGraph {
	n := &netGraph{cfg: cfg, specs: cfg.Params(), K: K, B: B, T: T, g: g,
		byName: map[string]*Node{}, roles: fastRoles(cfg), slope: cfg.Core.Slope,
		hidden: cfg.Core.Hidden, inputs: cfg.Inputs, nHeads: len(cfg.Readout.Heads), classes: cfg.Readout.Heads,
		isGRU: cfg.Core.Kind == CoreGRU, hasCB: cfg.CB != nil}
	if cfg.Core.Kind == CoreElman {
		n.alpha = 1 / cfg.Core.Tau
	}
	if n.hasCB {
		n.gc, n.pc, n.sees, n.maxRatio = cfg.CB.Layers[0].Width, cfg.CB.Layers[1].Width, cfg.CB.Sees, cfg.CB.MaxRatio
	}
	n.setPolicy(nil)
	return n
}

// setPolicy adopts the matmul policy (exact.go) and the padded row counts
// it asks for.
func (n *netGraph) setPolicy(p *dotPolicy) {
	n.pol = p
	n.rc = p.padded(n.hidden + n.inputs + 1)
	n.rg = p.padded(n.gc + 1)
}

// padRows appends zero rows to x [K, r, …] up to r rows.
func padRows(x *Node, r int) *Node {
	d := x.Shape().Dimensions
	if d[1] >= r {
		return x
	}
	zd := append([]int{d[0], r - d[1]}, d[2:]...)
	return Concatenate([]*Node{x, Zeros(x.Graph(), shapes.Make(x.DType(), zd...))}, 1)
}

// padCols appends zero columns to w [K, out, c] up to c columns.
func padCols(w *Node, c int) *Node {
	d := w.Shape().Dimensions
	if d[2] >= c {
		return w
	}
	return Concatenate([]*Node{w, Zeros(w.Graph(), shapes.Make(w.DType(), d[0], d[1], c-d[2]))}, 2)
}

// name is the parameter name of a fast-path role.
func (n *netGraph) name(role string) string {
	if p, ok := n.roles[role]; ok {
		return p
	}
	return role
}

// setParams adopts parameter nodes given in Params() order.
func (n *netGraph) setParams(P []*Node) {
	n.P = P
	for i, p := range n.specs {
		n.byName[p.Name] = P[i]
	}
}

// w is the parameter node of a fast-path role.
func (n *netGraph) w(role string) *Node {
	v, ok := n.byName[n.name(role)]
	if !ok {
		panic(fmt.Sprintf("gomlxmodels: no parameter %q (role %q)", n.name(role), role))
	}
	return v
}

// matmul is W·x per member: W [K, out, in], x [K, in, ...] → [K, out, ...].
func matmul(w, x *Node) *Node {
	return DotGeneral(w, []int{2}, []int{0}, x, []int{1}, []int{0})
}

// transposeW turns [K, out, in] into [K, in, out].
func transposeW(w *Node) *Node { return Transpose(w, 1, 2) }

// addBias adds a [K, out] bias to a [K, out, ...] tensor.
func addBias(y, b *Node) *Node {
	dims := make([]int, y.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0], dims[1] = b.Shape().Dimensions[0], b.Shape().Dimensions[1]
	return Add(y, Reshape(b, dims...))
}

// relu is ReLU (the backward pass takes its derivative from the stored
// activation, so Max's own gradient is never used).
func (n *netGraph) relu(x *Node) *Node {
	return Max(x, ScalarZero(x.Graph(), x.DType()))
}

// augWeights are the per-graph matrices with folded biases (see Layout)
// and the transposes the backward pass multiplies by.
type augWeights struct {
	core      *Node   // Elman: [W_h, W_x, b_x+b_h] [K, H, H+I+1]
	gate      []*Node // GRU z, r, n: [W_h·, W_x·, b_x·+b_h·] [K, H, H+I+1]
	gc, pc    *Node   // A_gc [K, G+1, H+I+1], A_pc [K, P+1, G+1]
	dcn       *Node   // A_dcn [K, H, P+1]
	hT        []*Node // Elman: W_hᵀ; GRU: W_hzᵀ, W_hrᵀ, W_hnᵀ ([K, H, H])
	dcnT, pcT *Node   // A_dcnᵀ [K, P+1, H], A_pcᵀ [K, G+1, P+1]
	gcHT      *Node   // hidden columns of A_gc, transposed [K, H, G+1]
}

// unitRow is a [K, 1, cols] row (0, …, 0, 1).
func (n *netGraph) unitRow(cols int) *Node {
	row := make([]float32, cols)
	row[cols-1] = 1
	return BroadcastToDims(Const(n.g, [][][]float32{{row}}), n.K, 1, cols)
}

func (n *netGraph) zeros(dims ...int) *Node {
	return Zeros(n.g, shapes.Make(dtypes.Float32, dims...))
}

// column reshapes a [K, out] bias to a [K, out, 1] column.
func (n *netGraph) column(b *Node) *Node {
	return Reshape(b, n.K, b.Shape().Dimensions[1], 1)
}

// prepare builds the augmented weights; cbOn (optional, [K]) scales A_dcn
// so that a member with the CB off gets exactly zero CB bias.
func (n *netGraph) prepare(cbOn *Node) {
	a := &augWeights{}
	H, I := n.hidden, n.inputs
	if n.isGRU {
		for _, gname := range gruGates {
			b := Add(n.w("x_"+gname+".bias"), n.w("h_"+gname+".bias"))
			a.gate = append(a.gate, padCols(Concatenate([]*Node{n.w("h_" + gname + ".weight"),
				n.w("x_" + gname + ".weight"), n.column(b)}, 2), n.rc))
			a.hT = append(a.hT, transposeW(n.w("h_"+gname+".weight")))
		}
	} else {
		b := Add(n.w("inp.bias"), n.w("hh.bias"))
		a.core = padCols(Concatenate([]*Node{n.w("hh.weight"), n.w("inp.weight"), n.column(b)}, 2), n.rc)
		a.hT = []*Node{transposeW(n.w("hh.weight"))}
	}
	if n.hasCB {
		G := n.gc
		wgc := n.w("cb.gc.weight")
		var parts []*Node
		switch n.sees {
		case SeesHidden:
			parts = []*Node{wgc, n.zeros(n.K, G, I)}
		case SeesInput:
			parts = []*Node{n.zeros(n.K, G, H), wgc}
		default:
			parts = []*Node{wgc}
		}
		parts = append(parts, n.column(n.w("cb.gc.bias")))
		a.gc = padRows(padCols(Concatenate([]*Node{Concatenate(parts, 2), n.unitRow(H + I + 1)}, 1), n.rc), n.rg)
		a.pc = padCols(Concatenate([]*Node{
			Concatenate([]*Node{n.w("cb.pc.weight"), n.column(n.w("cb.pc.bias"))}, 2),
			n.unitRow(G + 1)}, 1), n.rg)
		a.dcn = Concatenate([]*Node{n.w("cb.dcn.weight"), n.column(n.w("cb.dcn.bias"))}, 2)
		if cbOn != nil {
			a.dcn = Mul(a.dcn, Reshape(cbOn, n.K, 1, 1))
		}
		a.dcnT = transposeW(a.dcn)
		a.pcT = transposeW(a.pc)
		a.gcHT = transposeW(Slice(a.gc, AxisRange(), AxisRange(), AxisRange(0, H)))
	}
	n.a = a
}

// stepTrace is what the forward pass records at one step, all [K, width, B]
// (the GRU's per-trial scalars [K, 1, B]).
type stepTrace struct {
	c            *Node // [h_{t-1}; x_t; 1] (and zero rows up to rc)
	hPrev        *Node // h_{t-1}
	mask         *Node // bool, real step (scalar for K=1, else [K]); nil: no padding
	gcA, pcA     *Node // CB activations with their trailing constant-1 row
	cb           *Node // the bias added (scaled, for the GRU)
	dAct         *Node // Elman: α·LeakyReLU'(pre); GRU: LeakyReLU'(u)
	act          *Node // GRU: LeakyReLU(u)
	cbRaw        *Node // GRU: unscaled DCN output
	scale        *Node // GRU: per-trial scale s
	cbNorm       *Node // GRU: clamped ‖b_cb‖
	scaleClipped *Node // GRU: bool, s < 1 (the gradient flows through ‖b_cb‖)
	z, r, qA     *Node // GRU gates and [r⊙h; x_t; 1]
	h            *Node // h_t (after the mask)
}

// forwardInputs are the per-graph inputs of the recurrent pass.
type forwardInputs struct {
	x    *Node // [T, K, I+1, B]: the inputs and a constant-1 channel
	h0   *Node // [K, H, B]
	mask *Node // bool [T, K]: true = real step, false = padding (state held); nil: no member is padded
}

// stepMask returns step t's mask shaped for Where on [K, width, B]
// tensors: a scalar when K = 1 (the backend then copies whole tensors),
// else [K].
func stepMask(mask *Node, t, K int) *Node {
	m := Slice(mask, AxisElem(t))
	if K == 1 {
		return Reshape(m)
	}
	return Reshape(m, K)
}

// forward runs the recurrence over the T (bucket) steps and returns the
// final hidden state [K, H, B] and the per-step traces. prepare must have
// been called.
func (n *netGraph) forward(in forwardInputs) (hT *Node, trace []stepTrace) {
	I := n.inputs
	h := in.h0
	trace = make([]stepTrace, n.T)
	zero := ScalarZero(n.g, dtypes.Float32)
	var cPad *Node // zero rows that pad c_t (and q_t) to n.rc
	if extra := n.rc - (n.hidden + I + 1); extra > 0 {
		cPad = n.zeros(n.K, extra, n.B)
	}
	n.cPad = cPad
	for t := 0; t < n.T; t++ {
		tr := &trace[t]
		tr.hPrev = h
		xt := Reshape(Slice(in.x, AxisElem(t)), n.K, I+1, n.B)
		tr.c = n.concatRows(h, xt)
		if n.hasCB {
			tr.gcA = n.relu(n.pol.mm(n.a.gc, tr.c))
			tr.pcA = n.relu(n.pol.mm(n.a.pc, tr.gcA))
			tr.cb = n.pol.mm(n.a.dcn, tr.pcA)
		}
		var hNew *Node
		if n.isGRU {
			hNew = n.gruStep(h, xt, tr)
		} else {
			pre := n.pol.mm(n.a.core, tr.c)
			if tr.cb != nil {
				pre = Add(pre, tr.cb)
			}
			// h_t = (1−α)·h + α·LeakyReLU(pre), with α·LeakyReLU(pre) =
			// pre·dAct and dAct = α or α·slope, kept for the backward pass.
			tr.dAct = Where(GreaterThan(pre, zero), Scalar(n.g, dtypes.Float32, n.alpha),
				Scalar(n.g, dtypes.Float32, n.alpha*n.slope))
			hNew = Add(MulScalar(h, 1-n.alpha), Mul(pre, tr.dAct))
		}
		if in.mask != nil {
			tr.mask = stepMask(in.mask, t, n.K)
			h = Where(tr.mask, hNew, h)
		} else {
			h = hNew
		}
		tr.h = h
	}
	return h, trace
}

func (n *netGraph) gruStep(h, xt *Node, tr *stepTrace) *Node {
	z := Sigmoid(n.pol.mm(n.a.gate[0], tr.c))
	r := Sigmoid(n.pol.mm(n.a.gate[1], tr.c))
	tr.qA = n.concatRows(Mul(r, h), xt)
	npre := n.pol.mm(n.a.gate[2], tr.qA)
	tr.z, tr.r = z, r
	u := npre
	if tr.cb != nil {
		// b_cb ← b_cb·min(1, ratio·‖n_pre‖/‖b_cb‖) per trial, n_pre held
		// constant, norms clamped at 1e-8.
		cb := tr.cb
		tr.cbRaw = cb
		eps := Scalar(n.g, dtypes.Float32, 1e-8)
		nNorm := Max(Sqrt(ReduceAndKeep(Square(StopGradient(npre)), ReduceSum, 1)), eps)
		cNorm := Max(Sqrt(ReduceAndKeep(Square(cb), ReduceSum, 1)), eps)
		ratio := Div(MulScalar(nNorm, n.maxRatio), cNorm)
		one := ScalarOne(n.g, dtypes.Float32)
		s := Min(ratio, one)
		tr.scale, tr.cbNorm = s, cNorm
		tr.scaleClipped = LessThan(ratio, one)
		tr.cb = Mul(cb, s)
		u = Add(npre, tr.cb)
	}
	zero := ScalarZero(n.g, dtypes.Float32)
	tr.dAct = Where(GreaterThan(u, zero), ScalarOne(n.g, dtypes.Float32), Scalar(n.g, dtypes.Float32, n.slope))
	tr.act = Mul(u, tr.dAct)
	// (1−z)⊙h + z⊙act
	return Add(Mul(OneMinus(z), h), Mul(z, tr.act))
}

// readout computes each head's logits from the final state: [K, C_i, B].
func (n *netGraph) readout(hT *Node) []*Node {
	out := make([]*Node, n.nHeads)
	for i := range out {
		p := fmt.Sprintf("head.%d", i)
		out[i] = addBias(n.pol.mm(n.w(p+".weight"), hT), n.w(p+".bias"))
	}
	return out
}

// loss is the last-step cross-entropy of the heads (see lastStepLoss).
func (n *netGraph) loss(logits []*Node, labels []*Node, headW *Node) (*Node, lossParts) {
	return lastStepLoss(n.g, n.K, n.classes, logits, labels, headW)
}

// dLogits is d loss / d logits_i = w_i·(softmax − onehot)/B.
func (n *netGraph) dLogits(parts lossParts) []*Node {
	out := make([]*Node, len(parts.softmax))
	for i := range out {
		d := DivScalar(Sub(parts.softmax[i], parts.onehot[i]), float64(n.B))
		out[i] = Mul(d, Reshape(parts.headW[i], n.K, 1, 1))
	}
	return out
}
