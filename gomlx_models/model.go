package gomlxmodels

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// netGraph builds the computation of K stacked networks of one Config, for
// batch B and (bucket) length T, inside one graph. Every parameter node is
// [K, shape...]; activations are [K, B, width].
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
	n := &netGraph{cfg: cfg, specs: cfg.Params(), K: K, B: B, T: T, g: g,
		byName: map[string]*Node{}, wtCache: map[string]*Node{}, alpha: 1 / cfg.Tau, slope: cfg.Slope,
		hidden: cfg.Hidden, nHeads: len(cfg.Heads), classes: cfg.Heads}
	return n
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
	n.setParams(out)
	return out
}

func (n *netGraph) setParams(ps []*Node) {
	n.P = ps
	for i, p := range n.specs {
		n.byName[p.Name] = ps[i]
	}
}

func (n *netGraph) w(name string) *Node {
	v, ok := n.byName[name]
	if !ok {
		panic(fmt.Sprintf("gomlxmodels: no parameter %q", name))
	}
	return v
}

// wt returns the named weight transposed to [K, in, out], computed once per
// graph: x·Wᵀ then multiplies by a row-major [in, out] matrix, the layout
// the Go backend's matmul kernels handle best.
func (n *netGraph) wt(name string) *Node {
	if v, ok := n.wtCache[name]; ok {
		return v
	}
	v := Transpose(n.w(name), 1, 2)
	n.wtCache[name] = v
	return v
}

// linear computes x·Wᵀ (+ b) for stacked members: x [K, ..., in], wt = Wᵀ
// [K, in, out], b [K, out] → [K, ..., out].
func linear(x, wt, b *Node) *Node {
	y := DotGeneral(x, []int{x.Rank() - 1}, []int{0}, wt, []int{1}, []int{0})
	if b != nil {
		y = Add(y, expandBias(b, y.Rank()))
	}
	return y
}

// expandBias reshapes a [K, out] bias to broadcast against [K, ..., out].
func expandBias(b *Node, rank int) *Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = b.Shape().Dimensions[0]
	dims[rank-1] = b.Shape().Dimensions[1]
	return Reshape(b, dims...)
}

// leaky is LeakyReLU with the config's negative slope.
func (n *netGraph) leaky(x *Node) *Node {
	return Where(GreaterThan(x, ScalarZero(n.g, x.DType())), x, MulScalar(x, n.slope))
}

func relu(x *Node) *Node { return Max(x, ScalarZero(x.Graph(), x.DType())) }

// stepTrace is what the forward pass records at one step for dynamics and
// for the hand-written backward pass.
type stepTrace struct {
	hPrev        *Node // h_{t-1}
	pre          *Node // Elman pre-activation / GRU candidate input u = n_pre + s·b_cb
	gc, pc, cb   *Node // CB activations; cb is the (scaled, for GRU) bias added
	cbRaw        *Node // GRU: unscaled DCN output
	scale        *Node // GRU: per-trial scale s [K,B,1]
	cbNorm       *Node // GRU: clamped ‖b_cb‖ [K,B,1]
	scaleClipped *Node // GRU: bool [K,B,1], s < 1 (gradient flows through ‖b_cb‖)
	z, r, q      *Node // GRU gates and q = r⊙h
	act          *Node // LeakyReLU output
	h            *Node // h_t (after the mask)
}

// forwardInputs are the per-graph inputs of the recurrent pass.
type forwardInputs struct {
	x    *Node // [K, T, B, I]
	h0   *Node // [K, B, H]
	mask *Node // bool [T, K]: true = real step, false = padding (state held)
	cbOn *Node // optional float32 [K]: 1 = CB on, 0 = CB output dropped
}

// precomputed input projections, [K, T, B, width], sliced per step.
type inputProj struct {
	core []*Node // Elman: W_x x + b_x + b_h; GRU: z, r, n parts (with both biases)
	gcx  *Node   // CB: W_gc,x x + b_gc (or just b_gc broadcast when the CB sees no input)
}

func (n *netGraph) projectInputs(x *Node) inputProj {
	var p inputProj
	H := n.hidden
	if n.cfg.Core == CoreGRU {
		for _, gname := range gruGates {
			v := linear(x, n.wt("x_"+gname+".weight"), n.w("x_"+gname+".bias"))
			v = Add(v, expandBias(n.w("h_"+gname+".bias"), 4))
			p.core = append(p.core, v)
		}
	} else {
		v := linear(x, n.wt("inp.weight"), n.w("inp.bias"))
		v = Add(v, expandBias(n.w("hh.bias"), 4))
		p.core = []*Node{v}
	}
	_ = H
	if n.cfg.CB {
		wgc := n.w("cb.gc.weight")
		bgc := n.w("cb.gc.bias")
		if n.cfg.cbSeesInput() {
			wx := wgc
			if n.cfg.cbSeesHidden() {
				wx = Slice(wgc, AxisRange(), AxisRange(), AxisRange(n.hidden, n.hidden+n.cfg.Inputs))
			}
			p.gcx = linear(x, Transpose(wx, 1, 2), bgc)
		} else {
			p.gcx = expandBias(bgc, 4) // [K,1,1,G]
		}
	}
	return p
}

// stepSlice takes step t of a [K, T, B, W] tensor → [K, B, W]. A [K,1,1,W]
// tensor (constant over time) is broadcast instead.
func (n *netGraph) stepSlice(v *Node, t int) *Node {
	d := v.Shape().Dimensions
	if d[1] == 1 {
		return BroadcastToDims(Reshape(v, d[0], 1, d[3]), d[0], n.B, d[3])
	}
	return Reshape(Slice(v, AxisRange(), AxisElem(t)), d[0], d[2], d[3])
}

// cbHiddenWeight is the hidden part of W_gc, [K, G, H] (nil if the CB does
// not see the hidden state).
func (n *netGraph) cbHiddenWeight() *Node {
	if !n.cfg.CB || !n.cfg.cbSeesHidden() {
		return nil
	}
	wgc := n.w("cb.gc.weight")
	if !n.cfg.cbSeesInput() {
		return wgc
	}
	return Slice(wgc, AxisRange(), AxisRange(), AxisRange(0, n.hidden))
}

// forward runs the recurrence over the T (bucket) steps and returns the
// final hidden state and the per-step traces.
func (n *netGraph) forward(in forwardInputs) (hT *Node, trace []stepTrace) {
	proj := n.projectInputs(in.x)
	var wgchT *Node
	if wgch := n.cbHiddenWeight(); wgch != nil {
		wgchT = Transpose(wgch, 1, 2)
	}
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
			if wgchT != nil {
				gcPre = Add(gcPre, linear(h, wgchT, nil))
			}
			tr.gc = relu(gcPre)
			tr.pc = relu(linear(tr.gc, n.wt("cb.pc.weight"), n.w("cb.pc.bias")))
			cb = linear(tr.pc, n.wt("cb.dcn.weight"), n.w("cb.dcn.bias"))
			if cbOn != nil {
				cb = Mul(cb, cbOn)
			}
		}
		var hNew *Node
		if n.cfg.Core == CoreGRU {
			hNew = n.gruStep(h, proj, t, cb, tr)
		} else {
			pre := Add(n.stepSlice(proj.core[0], t), linear(h, n.wt("hh.weight"), nil))
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
	az := Add(n.stepSlice(proj.core[0], t), linear(h, n.wt("h_z.weight"), nil))
	ar := Add(n.stepSlice(proj.core[1], t), linear(h, n.wt("h_r.weight"), nil))
	z := Sigmoid(az)
	r := Sigmoid(ar)
	q := Mul(r, h)
	npre := Add(n.stepSlice(proj.core[2], t), linear(q, n.wt("h_n.weight"), nil))
	tr.z, tr.r, tr.q = z, r, q
	u := npre
	if cb != nil {
		tr.cbRaw = cb
		eps := Scalar(n.g, dtypes.Float32, 1e-8)
		nNorm := Max(Sqrt(ReduceAndKeep(Square(StopGradient(npre)), ReduceSum, -1)), eps)
		cNormRaw := Sqrt(ReduceAndKeep(Square(cb), ReduceSum, -1))
		cNorm := Max(cNormRaw, eps)
		ratio := Div(MulScalar(nNorm, n.cfg.GRUMaxRatio), cNorm)
		one := ScalarOne(n.g, dtypes.Float32)
		s := Min(ratio, one)
		tr.scale, tr.cbNorm = s, cNorm
		tr.scaleClipped = LessThan(ratio, one)
		cbs := Mul(cb, s)
		tr.cb = cbs
		u = Add(npre, cbs)
	}
	tr.pre = u
	tr.act = n.leaky(u)
	// (1−z)⊙h + z⊙n
	return Add(Mul(OneMinus(z), h), Mul(z, tr.act))
}

// readout computes each head's logits from the final state: [K, B, C_i].
func (n *netGraph) readout(hT *Node) []*Node {
	out := make([]*Node, n.nHeads)
	for i := range out {
		p := n.cfg.HeadPrefix(i)
		out[i] = linear(hT, n.wt(p+".weight"), n.w(p+".bias"))
	}
	return out
}

// lossParts keeps what the hand-written backward pass needs of the loss.
type lossParts struct {
	softmax, onehot []*Node // [K,B,C_i]
	headW           []*Node // [K]
}

// loss is Σ_heads headWeight·mean_b CE per member → [K].
func (n *netGraph) loss(logits []*Node, labels []*Node, headW *Node) (*Node, lossParts) {
	loss := Zeros(n.g, shapes.Make(dtypes.Float32, n.K))
	var parts lossParts
	for i, lg := range logits {
		C := n.classes[i]
		onehot := OneHot(labels[i], C, dtypes.Float32) // [K,B,C]
		logp := LogSoftmax(lg, -1)
		ce := Neg(ReduceSum(Mul(onehot, logp), -1)) // [K,B]
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
	coef := Div(clip, AddScalar(norm, 1e-6))                         // [K]
	doClip := And(GreaterThan(clip, zero), LessThan(coef, one))     // [K]
	coef = Where(doClip, coef, OnesLike(coef))                       // [K]
	newP = make([]*Node, len(P))
	newM = make([]*Node, len(P))
	for i := range P {
		rank := P[i].Rank()
		bshape := make([]int, rank)
		for a := range bshape {
			bshape[a] = 1
		}
		bshape[0] = n.K
		g := Mul(grads[i], Reshape(coef, bshape...))
		buf := Add(Mul(M[i], mom), g)
		upd := Add(g, Mul(buf, mom))
		upd = Where(GreaterThan(nest, zero), upd, buf)
		p := Sub(P[i], Mul(upd, lr))
		tr := GreaterThan(Reshape(Slice(trainable, AxisRange(), AxisElem(i)), n.K), zero)
		keep := And(tr, ok)
		newP[i] = Where(keep, p, P[i])
		newM[i] = Where(keep, buf, M[i])
	}
	return newP, newM
}
