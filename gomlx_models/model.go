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
// contiguous ones of both operands: none of the matmuls needs its operands
// transposed, the layouts the Go backend's kernels handle best.

// netGraph builds the computation of K stacked networks of one Config, for
// batch B and (bucket) length T, inside one graph. Every parameter node is
// [K, shape...].
type netGraph struct {
	cfg     Config
	specs   []ParamSpec
	K, B, T int
	g       *Graph
	P       []*Node          // parameters in Params() order
	byName  map[string]*Node // same nodes, by name
	wtCache map[string]*Node // transposed weights [K, in, out]
	alpha   float64          // Elman: 1/τ
	slope   float64
	hidden  int
	nHeads  int
	classes []int
}

func newNetGraph(g *Graph, cfg Config, K, B, T int) *netGraph {
	return &netGraph{cfg: cfg, specs: cfg.Params(), K: K, B: B, T: T, g: g,
		byName: map[string]*Node{}, wtCache: map[string]*Node{}, alpha: 1 / cfg.Tau, slope: cfg.Slope,
		hidden: cfg.Hidden, nHeads: len(cfg.Heads), classes: cfg.Heads}
}

// paramShape is the stacked shape [K, spec...] of a parameter.
func (n *netGraph) paramShape(p ParamSpec) shapes.Shape {
	return shapes.Make(dtypes.Float32, append([]int{n.K}, p.Shape...)...)
}

// addParams creates the graph parameters for the network's weights, named
// with the given prefix, in Params() order.
func (n *netGraph) addParams(prefix string) []*Node {
	out := make([]*Node, len(n.specs))
	for i, p := range n.specs {
		out[i] = Parameter(n.g, prefix+p.Name, n.paramShape(p))
	}
	n.P = out
	for i, p := range n.specs {
		n.byName[p.Name] = out[i]
	}
	return out
}

func (n *netGraph) w(name string) *Node {
	v, ok := n.byName[name]
	if !ok {
		panic(fmt.Sprintf("gomlxmodels: no parameter %q", name))
	}
	return v
}

// wT returns the named [K, out, in] weight transposed to [K, in, out],
// computed once per graph (for the backward pass).
func (n *netGraph) wT(name string) *Node {
	if v, ok := n.wtCache[name]; ok {
		return v
	}
	v := Transpose(n.w(name), 1, 2)
	n.wtCache[name] = v
	return v
}

// matmul is W·x per member: W [K, out, in], x [K, in, ...] → [K, out, ...].
func matmul(w, x *Node) *Node {
	return DotGeneral(w, []int{2}, []int{0}, x, []int{1}, []int{0})
}

// addBias adds a [K, out] bias to a [K, out, ...] tensor.
func addBias(y, b *Node) *Node {
	dims := make([]int, y.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0], dims[1] = b.Shape().Dimensions[0], b.Shape().Dimensions[1]
	return Add(y, Reshape(b, dims...))
}

// leaky is LeakyReLU with the config's negative slope.
func (n *netGraph) leaky(x *Node) *Node {
	return Where(GreaterThan(x, ScalarZero(n.g, x.DType())), x, MulScalar(x, n.slope))
}

func relu(x *Node) *Node { return Max(x, ScalarZero(x.Graph(), x.DType())) }

// stepTrace is what the forward pass records at one step, all [K, width, B]
// (the GRU's per-trial scalars [K, 1, B]).
type stepTrace struct {
	hPrev        *Node // h_{t-1}
	pre          *Node // Elman pre-activation / GRU candidate input u = n_pre + s·b_cb
	gc, pc, cb   *Node // CB activations; cb is the bias added (scaled, for the GRU)
	cbRaw        *Node // GRU: unscaled DCN output
	scale        *Node // GRU: per-trial scale s
	cbNorm       *Node // GRU: clamped ‖b_cb‖
	scaleClipped *Node // GRU: bool, s < 1 (the gradient flows through ‖b_cb‖)
	z, r, q      *Node // GRU gates and q = r⊙h
	act          *Node // LeakyReLU output
	h            *Node // h_t (after the mask)
}

// forwardInputs are the per-graph inputs of the recurrent pass.
type forwardInputs struct {
	x    *Node // [K, I, T, B]
	h0   *Node // [K, H, B]
	mask *Node // bool [T, K]: true = real step, false = padding (state held)
	cbOn *Node // optional float32 [K]: 1 = CB on, 0 = CB output dropped
}

// inputProj holds the input projections of all steps, [K, width, T, B].
type inputProj struct {
	core []*Node // Elman: W_x x + b_x + b_h; GRU: z, r, n parts (with both biases)
	gcx  *Node   // CB: W_gc,x x + b_gc; [K, G, 1, 1] (just b_gc) when the CB sees no input
}

func (n *netGraph) projectInputs(x *Node) inputProj {
	var p inputProj
	if n.cfg.Core == CoreGRU {
		for _, gname := range gruGates {
			v := addBias(matmul(n.w("x_"+gname+".weight"), x), n.w("x_"+gname+".bias"))
			p.core = append(p.core, addBias(v, n.w("h_"+gname+".bias")))
		}
	} else {
		v := addBias(matmul(n.w("inp.weight"), x), n.w("inp.bias"))
		p.core = []*Node{addBias(v, n.w("hh.bias"))}
	}
	if n.cfg.CB {
		bgc := n.w("cb.gc.bias")
		if wx := n.cbInputWeight(); wx != nil {
			p.gcx = addBias(matmul(wx, x), bgc)
		} else {
			p.gcx = Reshape(bgc, n.K, n.cfg.GC, 1, 1)
		}
	}
	return p
}

// stepSlice takes step t of a [K, W, T, B] tensor → [K, W, B]; a [K, W, 1,
// 1] tensor (constant over time) is broadcast instead.
func (n *netGraph) stepSlice(v *Node, t int) *Node {
	d := v.Shape().Dimensions
	if d[2] == 1 {
		return BroadcastToDims(Reshape(v, d[0], d[1], 1), d[0], d[1], n.B)
	}
	return Reshape(Slice(v, AxisRange(), AxisRange(), AxisElem(t)), d[0], d[1], d[3])
}

// cbHiddenWeight is the hidden part of W_gc, [K, G, H] (nil if the CB does
// not see the hidden state). c_t = [h_{t-1}, x_t]: hidden columns first.
func (n *netGraph) cbHiddenWeight() *Node {
	if !n.cfg.CB || !n.cfg.cbSeesHidden() {
		return nil
	}
	if _, ok := n.wtCache["cb.gc.h"]; !ok {
		wgc := n.w("cb.gc.weight")
		if n.cfg.cbSeesInput() {
			wgc = Slice(wgc, AxisRange(), AxisRange(), AxisRange(0, n.hidden))
		}
		n.wtCache["cb.gc.h"] = wgc
	}
	return n.wtCache["cb.gc.h"]
}

// cbInputWeight is the input part of W_gc, [K, G, I] (nil if the CB does
// not see the input).
func (n *netGraph) cbInputWeight() *Node {
	if !n.cfg.CB || !n.cfg.cbSeesInput() {
		return nil
	}
	wgc := n.w("cb.gc.weight")
	if n.cfg.cbSeesHidden() {
		wgc = Slice(wgc, AxisRange(), AxisRange(), AxisRange(n.hidden, n.hidden+n.cfg.Inputs))
	}
	return wgc
}

// forward runs the recurrence over the T (bucket) steps and returns the
// final hidden state [K, H, B] and the per-step traces.
func (n *netGraph) forward(in forwardInputs) (hT *Node, trace []stepTrace) {
	proj := n.projectInputs(in.x)
	wgch := n.cbHiddenWeight()
	var cbOn *Node
	if in.cbOn != nil && n.cfg.CB {
		cbOn = Reshape(in.cbOn, n.K, 1, 1)
	}
	h := in.h0
	trace = make([]stepTrace, n.T)
	for t := 0; t < n.T; t++ {
		tr := &trace[t]
		tr.hPrev = h
		var cb *Node
		if n.cfg.CB {
			gcPre := n.stepSlice(proj.gcx, t)
			if wgch != nil {
				gcPre = Add(gcPre, matmul(wgch, h))
			}
			tr.gc = relu(gcPre)
			tr.pc = relu(addBias(matmul(n.w("cb.pc.weight"), tr.gc), n.w("cb.pc.bias")))
			cb = addBias(matmul(n.w("cb.dcn.weight"), tr.pc), n.w("cb.dcn.bias"))
			if cbOn != nil {
				cb = Mul(cb, cbOn)
			}
		}
		var hNew *Node
		if n.cfg.Core == CoreGRU {
			hNew = n.gruStep(h, proj, t, cb, tr)
		} else {
			pre := Add(n.stepSlice(proj.core[0], t), matmul(n.w("hh.weight"), h))
			if cb != nil {
				pre = Add(pre, cb)
				tr.cb = cb
			}
			tr.pre = pre
			tr.act = n.leaky(pre)
			hNew = Add(MulScalar(h, 1-n.alpha), MulScalar(tr.act, n.alpha))
		}
		mt := Reshape(Slice(in.mask, AxisElem(t)), n.K)
		h = Where(mt, hNew, h)
		tr.h = h
	}
	return h, trace
}

func (n *netGraph) gruStep(h *Node, proj inputProj, t int, cb *Node, tr *stepTrace) *Node {
	az := Add(n.stepSlice(proj.core[0], t), matmul(n.w("h_z.weight"), h))
	ar := Add(n.stepSlice(proj.core[1], t), matmul(n.w("h_r.weight"), h))
	z := Sigmoid(az)
	r := Sigmoid(ar)
	q := Mul(r, h)
	npre := Add(n.stepSlice(proj.core[2], t), matmul(n.w("h_n.weight"), q))
	tr.z, tr.r, tr.q = z, r, q
	u := npre
	if cb != nil {
		// b_cb ← b_cb·min(1, ratio·‖n_pre‖/‖b_cb‖) per trial, n_pre held
		// constant, norms clamped at 1e-8.
		tr.cbRaw = cb
		eps := Scalar(n.g, dtypes.Float32, 1e-8)
		nNorm := Max(Sqrt(ReduceAndKeep(Square(StopGradient(npre)), ReduceSum, 1)), eps)
		cNorm := Max(Sqrt(ReduceAndKeep(Square(cb), ReduceSum, 1)), eps)
		ratio := Div(MulScalar(nNorm, n.cfg.GRUMaxRatio), cNorm)
		one := ScalarOne(n.g, dtypes.Float32)
		s := Min(ratio, one)
		tr.scale, tr.cbNorm = s, cNorm
		tr.scaleClipped = LessThan(ratio, one)
		tr.cb = Mul(cb, s)
		u = Add(npre, tr.cb)
	}
	tr.pre = u
	tr.act = n.leaky(u)
	// (1−z)⊙h + z⊙n
	return Add(Mul(OneMinus(z), h), Mul(z, tr.act))
}

// readout computes each head's logits from the final state: [K, C_i, B].
func (n *netGraph) readout(hT *Node) []*Node {
	out := make([]*Node, n.nHeads)
	for i := range out {
		p := n.cfg.HeadPrefix(i)
		out[i] = addBias(matmul(n.w(p+".weight"), hT), n.w(p+".bias"))
	}
	return out
}

// lossParts keeps what the hand-written backward pass needs of the loss.
type lossParts struct {
	softmax, onehot []*Node // [K, C_i, B]
	headW           []*Node // [K]
}

// loss is Σ_heads headWeight·mean_b CE per member → [K]. logits are [K, C,
// B], labels int32 [K, B], headW [K, heads].
func (n *netGraph) loss(logits []*Node, labels []*Node, headW *Node) (*Node, lossParts) {
	loss := Zeros(n.g, shapes.Make(dtypes.Float32, n.K))
	var parts lossParts
	for i, lg := range logits {
		C := n.classes[i]
		onehot := Transpose(OneHot(labels[i], C, dtypes.Float32), 1, 2) // [K,C,B]
		logp := LogSoftmax(lg, 1)
		ce := Neg(ReduceSum(Mul(onehot, logp), 1)) // [K,B]
		wi := Reshape(Slice(headW, AxisRange(), AxisElem(i)), n.K)
		loss = Add(loss, Mul(wi, ReduceMean(ce, -1)))
		parts.softmax = append(parts.softmax, Exp(logp))
		parts.onehot = append(parts.onehot, onehot)
		parts.headW = append(parts.headW, wi)
	}
	return loss, parts
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

// gradNorm is the global L2 norm per member of the gradients, counting only
// the parameters whose trainable flag ([K, nParams] float32, 1/0) is set.
func (n *netGraph) gradNorm(grads []*Node, trainable *Node) *Node {
	sumsq := Zeros(n.g, shapes.Make(dtypes.Float32, n.K))
	for i, gr := range grads {
		axes := make([]int, gr.Rank()-1)
		for a := range axes {
			axes[a] = a + 1
		}
		ss := ReduceSum(Square(gr), axes...)
		tr := Reshape(Slice(trainable, AxisRange(), AxisElem(i)), n.K)
		sumsq = Add(sumsq, Mul(ss, tr))
	}
	return Sqrt(sumsq)
}

// sgd applies the paper's optimiser (see Optim) on the graph. hyper is
// [lr, momentum, clip, nesterov(0/1)]; trainable [K, nParams] (1/0); ok [K]
// bool: false skips the member's update. It returns the new parameters and
// momentum buffers.
func (n *netGraph) sgd(P, M, grads []*Node, norm, trainable, hyper, ok *Node) (newP, newM []*Node) {
	lr := Reshape(Slice(hyper, AxisElem(0)))
	mom := Reshape(Slice(hyper, AxisElem(1)))
	clip := Reshape(Slice(hyper, AxisElem(2)))
	nest := Reshape(Slice(hyper, AxisElem(3)))
	zero := ScalarZero(n.g, dtypes.Float32)
	one := ScalarOne(n.g, dtypes.Float32)
	// torch.nn.utils.clip_grad_norm_: coef = clip/(norm+1e-6), applied if < 1.
	coef := Div(clip, AddScalar(norm, 1e-6))                     // [K]
	doClip := And(GreaterThan(clip, zero), LessThan(coef, one)) // [K]
	coef = Where(doClip, coef, OnesLike(coef))                   // [K]
	newP = make([]*Node, len(P))
	newM = make([]*Node, len(P))
	for i := range P {
		bshape := make([]int, P[i].Rank())
		for a := range bshape {
			bshape[a] = 1
		}
		bshape[0] = n.K
		g := Mul(grads[i], Reshape(coef, bshape...))
		buf := Add(Mul(M[i], mom), g)
		upd := Where(GreaterThan(nest, zero), Add(g, Mul(buf, mom)), buf)
		p := Sub(P[i], Mul(upd, lr))
		tr := GreaterThan(Reshape(Slice(trainable, AxisRange(), AxisElem(i)), n.K), zero)
		keep := And(tr, ok)
		newP[i] = Where(keep, p, P[i])
		newM[i] = Where(keep, buf, M[i])
	}
	return newP, newM
}
