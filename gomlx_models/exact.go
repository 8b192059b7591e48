package gomlxmodels

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// Layout-independent arithmetic: a run's numbers must not change with the
// ensemble it trains in (trainer's TestMembersFinishingApart).
//
// A member's numbers must not depend on how many members share its graph
// (K, the member groups, the executors). Every op of the fast path is
// per member except the matmuls: the Go backend picks a DotGeneral's
// kernel from its size *including the member batch* (AVX-512 and no-SIMD
// builds: a small kernel below 4M multiply-adds, a packed one above), and
// the two kernels add the contraction in different orders. So a member
// alone (batch 1, small kernel) and the same member in a group of 4 (packed
// kernel) round differently, and the difference grows over an epoch.
//
// dotPolicy keeps every DotGeneral's rounding what it is for a member
// alone:
//   - a call whose kernel is the same at batch 1 and at batch g (per-member
//     size ≥ the limit, or g·size < the limit) runs batched, as it is;
//   - on AVX-512 the small and packed kernels of the non-transposed layout
//     add the contraction in the same order (one fused multiply-add per
//     term, in order, from zero) when it has at most one panel (128 terms)
//     and the output columns are a multiple of 16 above 16; such a call
//     runs batched too, and a longer contraction is cut into 128-term
//     panels added in order, which is what the packed kernel does;
//   - anything else is split into sub-batches small enough to stay on the
//     small kernel, as a member alone does.
//
// TestLayoutIndependence checks the result bit for bit against members
// trained alone; if a GoMLX upgrade changes its kernels, that test says so.
// On the AVX2 kernels the choice ignores the batch and nothing is split.
//
// Padding (bucket lengths) must not matter either: see gradW.
type dotPolicy struct {
	limit int // multiply-adds from which the packed kernel runs
	// batch: the limit counts the member batch (AVX-512, no SIMD); else
	// it counts one member (AVX2).
	batch bool
	// panel > 0: the small and packed non-transposed kernels agree bit for
	// bit on contractions of at most panel terms (AVX-512).
	panel    int
	arranged map[*Node]*Node // weight → [g, nP, out, q] (one graph's; see mm)
}

// goKernelPanel is the contraction panel (Kc) of GoMLX's AVX-512 float32
// packed kernel (compute v0.1.3, AVX512ParamsFloat32.PanelContractingSize).
const goKernelPanel = 128

// dotPolicy returns the policy of the ensemble's backend, or nil where a
// member's rounding is not in this package's hands (XLA) or already
// independent of the batch (the AVX2 kernels).
func (e *Ensemble) dotPolicy() *dotPolicy {
	if !e.isGoBackend {
		return nil
	}
	switch goMatmulKernels() {
	case "avx512":
		return &dotPolicy{limit: goSmallMatMulLimit, batch: true, panel: goKernelPanel}
	case "avx2":
		return &dotPolicy{limit: goSmallMatMulLimit}
	}
	return &dotPolicy{limit: goSmallMatMulLimit, batch: true}
}

// groupFor is the largest group (at most K) in which none of the given
// per-member products crosses the kernel switch that it does not cross for
// one member.
func (p *dotPolicy) groupFor(products []int, K int) int {
	g := K
	for _, f := range products {
		if f > 0 && f < p.limit {
			g = min(g, max(1, (p.limit-1)/f))
		}
	}
	return g
}

// dot is DotGeneral over the member axis 0 of both operands (lhs [g, …],
// rhs [g, …]; one contracting axis each), computed as a member alone would
// compute it.
func (p *dotPolicy) dot(lhs *Node, lc int, rhs *Node, rc int) *Node {
	direct := func(l, r *Node) *Node { return DotGeneral(l, []int{lc}, []int{0}, r, []int{rc}, []int{0}) }
	if p == nil {
		return direct(lhs, rhs)
	}
	if p.panel > 0 && lc == 2 && rc == 1 && narrowNonTransposed(rhs) {
		// The same product with rhs laid out [g, N, k]: the transposed
		// layout, whose small AVX-512 kernel is SIMD (narrowNonTransposed).
		rhs, rc = Transpose(rhs, 1, 2), 2
	}
	g := lhs.Shape().Dimensions[0]
	f := perMemberMACs(lhs, rhs, rc)
	if !p.batch || f >= p.limit || g*f < p.limit || (p.panel > 0 && p.sameOrder(lhs, lc, rhs, rc)) {
		return direct(lhs, rhs)
	}
	s := max(1, (p.limit-1)/f) // members per sub-batch: stays on the small kernel
	var parts []*Node
	for lo := 0; lo < g; lo += s {
		gr := [2]int{lo, min(g, lo+s)}
		parts = append(parts, direct(sliceK(lhs, 0, gr), sliceK(rhs, 0, gr)))
	}
	return concatK(parts)
}

// sameOrder: a non-transposed product (lhs [g, M, k] contracting its last
// axis, rhs [g, k, N] contracting axis 1) with k ≤ panel and N a multiple
// of 16 above 16, which both AVX-512 kernels add in the same order.
func (p *dotPolicy) sameOrder(lhs *Node, lc int, rhs *Node, rc int) bool {
	ld, rd := lhs.Shape().Dimensions, rhs.Shape().Dimensions
	if len(ld) != 3 || len(rd) != 3 || lc != 2 || rc != 1 {
		return false
	}
	return ld[2] <= p.panel && rd[2] > 16 && rd[2]%16 == 0
}

// mm is W·x per member (W [g, out, in], x [g, in, N]) computed as a member
// alone would compute it. On AVX-512 a contraction longer than one panel is
// always cut into nP equal panels of q ≤ 128 terms (alone too), multiplied
// as a batch of g·nP products (W pre-arranged once per graph as [g, nP,
// out, q], x reshaped for free to [g, nP, q, N]) and summed over the panels
// in order: both kernels add each panel in the same order, so the result
// is the same at any g. in must then be a multiple of nP (see padRows: the
// fast path pads its activations with zero rows to such sizes); otherwise
// the product falls back to dot.
func (p *dotPolicy) mm(w, x *Node) *Node {
	if p == nil || p.panel == 0 {
		return p.dot(w, 2, x, 1) // no batch-dependent order to avoid beyond dot's
	}
	d := w.Shape().Dimensions
	g, out, in, N := d[0], d[1], d[2], x.Shape().Dimensions[2]
	nP, q := p.split(in)
	if nP == 1 || nP*q != in || perMemberMACs(w, x, 1) >= p.limit || N <= 16 || N%16 != 0 {
		return p.dot(w, 2, x, 1)
	}
	wp, ok := p.arranged[w]
	if !ok {
		wp = Transpose(Reshape(w, g, out, nP, q), 1, 2) // [g, nP, out, q]
		if p.arranged == nil {
			p.arranged = map[*Node]*Node{}
		}
		p.arranged[w] = wp
	}
	xp := Reshape(x, g, nP, q, N)
	parts := DotGeneral(wp, []int{3}, []int{0, 1}, xp, []int{2}, []int{0, 1}) // [g, nP, out, N]
	// Σ over the panels in order, as a product with a row of ones: one
	// fused multiply-add per panel from zero, i.e. exact additions in
	// order (faster than the Go backend's generic ReduceSum).
	ones := BroadcastToDims(Const(w.Graph(), [][][]float32{{make1s(nP)}}), g, 1, nP)
	sum := DotGeneral(ones, []int{2}, []int{0}, Reshape(parts, g, nP, out*N), []int{1}, []int{0})
	return Reshape(sum, g, out, N)
}

func make1s(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// split cuts a contraction of r terms into nP = ⌈r/panel⌉ panels of q =
// ⌈r/nP⌉ terms (nP·q ≥ r; nP = 1 without a panel).
func (p *dotPolicy) split(r int) (nP, q int) {
	if p == nil || p.panel == 0 || r <= p.panel {
		return 1, r
	}
	nP = (r + p.panel - 1) / p.panel
	return nP, (r + nP - 1) / nP
}

// padded is the row count a contraction of r terms is padded to (with
// zero rows) so that mm can cut it into equal panels.
func (p *dotPolicy) padded(r int) int {
	nP, q := p.split(r)
	return nP * q
}

// perMemberMACs is the multiply-adds of one member's product: lhs's
// elements (cross × contracting) times rhs's cross size.
func perMemberMACs(lhs, rhs *Node, rc int) int {
	ld, rd := lhs.Shape().Dimensions, rhs.Shape().Dimensions
	f := 1
	for _, d := range ld[1:] {
		f *= d
	}
	for i, d := range rd[1:] {
		if i+1 != rc {
			f *= d
		}
	}
	return f
}

// gradW is Σ_j δ[k,:,j]·in[k,:,j]ᵀ → [g, out, in] over the (step, trial)
// columns j of δ [g, out, T·B] and in [g, in, T·B], which the backward
// pass lays out last step first (see collect in backward): a member's
// real steps then fill the first columns whatever the bucket, its padding
// the last ones (zero deltas, adding exact zeros). A short contraction is
// padded with zero columns until the product reaches the packed kernel:
// so that the kernel, and its order (128-column panels from the first
// column), is the same at every bucket length and group size. Trailing
// zeros do not change the packed kernel's result, so a group of g members,
// whose batch counts towards the kernel switch, needs only 1/g of the
// padding of a member alone.
func (p *dotPolicy) gradW(delta, in *Node) *Node {
	if p != nil {
		g, out, cin, cols := delta.Shape().Dimensions[0], delta.Shape().Dimensions[1], in.Shape().Dimensions[1], delta.Shape().Dimensions[2]
		per := out * cin // multiply-adds per column
		if p.batch {
			per *= g
		}
		if need := (p.limit + per - 1) / per; cols < need {
			pad := func(x *Node) *Node {
				z := Zeros(x.Graph(), shapes.Make(x.DType(), g, x.Shape().Dimensions[1], need-cols))
				return Concatenate([]*Node{x, z}, 2)
			}
			delta, in = pad(delta), pad(in)
		}
	}
	// Every call now runs on the packed kernel (never split: dot would cut
	// the group into sub-batches for the small one). The kernel packs
	// (copies and transposes) its left operand: the one with fewer rows
	// goes on the left and the small result is transposed.
	dot := func(l, r *Node) *Node { return DotGeneral(l, []int{2}, []int{0}, r, []int{2}, []int{0}) }
	if delta.Shape().Dimensions[1] > in.Shape().Dimensions[1] {
		return Transpose(dot(in, delta), 1, 2)
	}
	return dot(delta, in)
}

// narrowNonTransposed: a non-transposed product with this rhs [g, k, N]
// has at most 16 output columns and at least 16 contraction terms. GoMLX's
// small AVX-512 kernel (compute v0.1.3, avx512RouterFloat32) leaves SIMD
// for its scalar loop when a non-transposed product has 16 output columns
// or fewer ("no benefit from SIMD"), which is every W·x of a batch of 16:
// `cbrnn bench --ensemble 8 --batch 16` took 278 ms a step against 145 ms
// at batch 32, twice the time for half the work. Its transposed layout
// (rhs [g, N, k]) stays SIMD for any contraction of 16 terms or more, so
// dot runs such a product transposed. Both layouts are still one kernel
// for a member alone and in a group (dot's split), so a run's numbers stay
// independent of its ensemble.
func narrowNonTransposed(rhs *Node) bool {
	d := rhs.Shape().Dimensions
	return len(d) == 3 && d[2] <= 16 && d[1] >= 16
}
