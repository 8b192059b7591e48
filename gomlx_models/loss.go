package gomlxmodels

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// The loss (paper/METHODS.md §3): mean cross-entropy per head, summed over
// the heads with the curriculum's weights (multitask: every head; task
// switching: the active one).

// lossParts keeps what the hand-written backward pass needs of the loss.
type lossParts struct {
	softmax, onehot []*Node // [K, C_i, B]
	headW           []*Node // [K]
}

// headWeight is head i's weight per member, [K].
func headWeight(headW *Node, i, K int) *Node {
	return Reshape(Slice(headW, AxisRange(), AxisElem(i)), K)
}

// lastStepLoss is Σ_heads headWeight·mean_b CE per member → [K]. logits
// are [K, C, B], labels int32 [K, B], headW [K, heads].
func lastStepLoss(g *Graph, K int, classes []int, logits, labels []*Node, headW *Node) (*Node, lossParts) {
	loss := Zeros(g, shapes.Make(dtypes.Float32, K))
	var parts lossParts
	for i, lg := range logits {
		onehot := Transpose(OneHot(labels[i], classes[i], dtypes.Float32), 1, 2) // [K,C,B]
		logp := LogSoftmax(lg, 1)
		ce := Neg(ReduceSum(Mul(onehot, logp), 1)) // [K,B]
		wi := headWeight(headW, i, K)
		loss = Add(loss, Mul(wi, ReduceMean(ce, -1)))
		parts.softmax = append(parts.softmax, Exp(logp))
		parts.onehot = append(parts.onehot, onehot)
		parts.headW = append(parts.headW, wi)
	}
	return loss, parts
}

// perStepLoss is Σ_heads headWeight·Σ_j weight·CE per member → [K], for
// logits [K, C, T·B] of every step and labels int32 [K, T·B]; weight [K,
// T·B] is 1/(T_k·B) on a member's real steps and 0 on padding, so that the
// loss is the mean over the member's T_k·B outputs.
func perStepLoss(K int, classes []int, logits, labels []*Node, weight, headW *Node) *Node {
	var loss *Node
	for i, lg := range logits {
		onehot := Transpose(OneHot(labels[i], classes[i], dtypes.Float32), 1, 2) // [K,C,T·B]
		ce := Neg(ReduceSum(Mul(onehot, LogSoftmax(lg, 1)), 1))                  // [K,T·B]
		term := Mul(headWeight(headW, i, K), ReduceSum(Mul(ce, weight), -1))
		if loss == nil {
			loss = term
		} else {
			loss = Add(loss, term)
		}
	}
	return loss
}
