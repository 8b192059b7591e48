package gomlxmodels

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// Optim is the paper's optimiser, PyTorch SGD semantics: the gradients of
// the trainable parameters are clipped to global L2 norm ClipNorm
// (torch.nn.utils.clip_grad_norm_: scaled by ClipNorm/(norm+1e-6) when that
// is below 1; ClipNorm ≤ 0 disables clipping), then buf = Momentum·buf + g
// (buf starts at 0), g' = g + Momentum·buf if Nesterov else buf, and
// p ← p − LR·g'. With CBLR > 0 the CB's parameters step at CBLR and the
// others (core, readout) at LR: PyTorch SGD with two parameter groups, the
// authors' --rnn_lr and --cb_lr (their auxiliary-RNN runs with the core at
// 0.001, METHODS §1.7). Clipping and momentum do not involve the rate, so
// this is exactly their two-group optimiser.
type Optim struct {
	LR, Momentum, ClipNorm float64
	Nesterov               bool
	// CBLR is the CB's learning rate; 0 = LR (one rate, the paper's).
	// Omitted from JSON when 0, so configs with one rate hash as before.
	CBLR float64 `json:",omitempty"`
}

// RateOf is the learning rate of a parameter of the given group (Param.Group).
func (o Optim) RateOf(group string) float64 {
	if group == GroupCB && o.CBLR > 0 {
		return o.CBLR
	}
	return o.LR
}

// PaperOptim is METHODS §3's optimiser: lr 0.01, momentum 0.1, Nesterov,
// clipping at 7.5.
func PaperOptim() Optim { return Optim{LR: 0.01, Momentum: 0.1, ClipNorm: 7.5, Nesterov: true} }

// gradNorm is the global L2 norm per member of the gradients, counting only
// the trainable parameters: those whose rate ([K, nParams] float32, the
// parameter's learning rate, 0 = frozen) is positive.
func gradNorm(g *Graph, K int, grads []*Node, trainable *Node) *Node {
	sumsq := Zeros(g, shapes.Make(dtypes.Float32, K))
	for i, gr := range grads {
		axes := make([]int, gr.Rank()-1)
		for a := range axes {
			axes[a] = a + 1
		}
		ss := ReduceSum(Square(gr), axes...)
		tr := Reshape(Slice(trainable, AxisRange(), AxisElem(i)), K)
		on := ConvertDType(GreaterThan(tr, ZerosLike(tr)), dtypes.Float32)
		sumsq = Add(sumsq, Mul(ss, on))
	}
	return Sqrt(sumsq)
}

// sgdUpdate applies the paper's optimiser (see Optim) on the graph. hyper is
// [lr, momentum, clip, nesterov(0/1)], of which the rate is not read: each
// parameter's learning rate is its entry of trainable [K, nParams] (0 =
// frozen), so that the CB may step at its own rate (Optim.CBLR); ok [K]
// bool: false skips the member's update. It returns the new parameters and
// momentum buffers.
func sgdUpdate(g *Graph, K int, P, M, grads []*Node, norm, trainable, hyper, ok *Node) (newP, newM []*Node) {
	mom := Reshape(Slice(hyper, AxisElem(1)))
	clip := Reshape(Slice(hyper, AxisElem(2)))
	nest := Reshape(Slice(hyper, AxisElem(3)))
	zero := ScalarZero(g, dtypes.Float32)
	one := ScalarOne(g, dtypes.Float32)
	// torch.nn.utils.clip_grad_norm_: coef = clip/(norm+1e-6), applied if < 1.
	coef := Div(clip, AddScalar(norm, 1e-6))                    // [K]
	doClip := And(GreaterThan(clip, zero), LessThan(coef, one)) // [K]
	coef = Where(doClip, coef, OnesLike(coef))                  // [K]
	newP = make([]*Node, len(P))
	newM = make([]*Node, len(P))
	for i := range P {
		bshape := make([]int, P[i].Rank())
		for a := range bshape {
			bshape[a] = 1
		}
		bshape[0] = K
		g := Mul(grads[i], Reshape(coef, bshape...))
		buf := Add(Mul(M[i], mom), g)
		upd := Where(GreaterThan(nest, zero), Add(g, Mul(buf, mom)), buf)
		rate := Reshape(Slice(trainable, AxisRange(), AxisElem(i)), K)
		p := Sub(P[i], Mul(upd, Reshape(rate, bshape...)))
		tr := GreaterThan(rate, zero)
		keep := And(tr, ok)
		newP[i] = Where(keep, p, P[i])
		newM[i] = Where(keep, buf, M[i])
	}
	return newP, newM
}
