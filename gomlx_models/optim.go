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
// p ← p − LR·g'.
type Optim struct {
	LR, Momentum, ClipNorm float64
	Nesterov               bool
}

// PaperOptim is METHODS §3's optimiser: lr 0.01, momentum 0.1, Nesterov,
// clipping at 7.5.
func PaperOptim() Optim { return Optim{LR: 0.01, Momentum: 0.1, ClipNorm: 7.5, Nesterov: true} }

// gradNorm is the global L2 norm per member of the gradients, counting only
// the parameters whose trainable flag ([K, nParams] float32, 1/0) is set.
func gradNorm(g *Graph, K int, grads []*Node, trainable *Node) *Node {
	sumsq := Zeros(g, shapes.Make(dtypes.Float32, K))
	for i, gr := range grads {
		axes := make([]int, gr.Rank()-1)
		for a := range axes {
			axes[a] = a + 1
		}
		ss := ReduceSum(Square(gr), axes...)
		tr := Reshape(Slice(trainable, AxisRange(), AxisElem(i)), K)
		sumsq = Add(sumsq, Mul(ss, tr))
	}
	return Sqrt(sumsq)
}

// sgdUpdate applies the paper's optimiser (see Optim) on the graph. hyper is
// [lr, momentum, clip, nesterov(0/1)]; trainable [K, nParams] (1/0); ok [K]
// bool: false skips the member's update. It returns the new parameters and
// momentum buffers.
func sgdUpdate(g *Graph, K int, P, M, grads []*Node, norm, trainable, hyper, ok *Node) (newP, newM []*Node) {
	lr := Reshape(Slice(hyper, AxisElem(0)))
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
		p := Sub(P[i], Mul(upd, lr))
		tr := GreaterThan(Reshape(Slice(trainable, AxisRange(), AxisElem(i)), K), zero)
		keep := And(tr, ok)
		newP[i] = Where(keep, p, P[i])
		newM[i] = Where(keep, buf, M[i])
	}
	return newP, newM
}
