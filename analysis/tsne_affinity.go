package analysis

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// The input affinities P of Barnes–Hut t-SNE (van der Maaten 2014, §4.1):
// each point's conditional distribution over its k nearest neighbours, with
// the Gaussian's precision found by binary search so that its entropy is
// log(perplexity), then symmetrised and normalised. The details follow
// scikit-learn (sklearn.manifold.TSNE, _utils._binary_search_perplexity) so
// that our embeddings are comparable to the authors': k = ⌊3·perplexity +
// 1⌋ neighbours (the paper's 3·perplexity plus the point's own slot, which
// sklearn keeps), squared Euclidean distances, natural-log entropy, tolerance
// 1e-5 and at most 100 halvings.

// sparseP is a sparse symmetric matrix in compressed-row form: row i's
// entries are col/val[rowStart[i]:rowStart[i+1]], in increasing column.
type sparseP struct {
	rowStart []int
	col      []int32
	val      []float64
}

// tsneNeighbours is sklearn's neighbour count for a perplexity on n points.
func tsneNeighbours(perplexity float64, n int) int {
	return min(n-1, int(3*perplexity+1))
}

// kNearest returns, for every row of x (n×d, row-major), the indices and
// squared distances of its k nearest other rows, nearest first (ties by
// index). It is brute force — n²·d multiply-adds, 0.4 G for the paper's
// 2560 points of 64 units, well under a second — which is exact and, at
// the sizes the figures embed, cheaper than building a vantage-point tree;
// rows are shared between the cores and the context is checked every row.
func kNearest(ctx context.Context, x []float64, n, d, k int) (idx []int32, dist []float64, err error) {
	idx, dist = make([]int32, n*k), make([]float64, n*k)
	err = parallelRows(ctx, n, func(lo, hi int) error {
		h := make(neighbourHeap, 0, k)
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			h = h[:0]
			xi := x[i*d : (i+1)*d]
			for j := range n {
				if j == i {
					continue
				}
				xj := x[j*d : (j+1)*d]
				s := 0.0
				for u, v := range xi {
					e := v - xj[u]
					s += e * e
				}
				h.offer(neighbour{s, int32(j)}, k)
			}
			slices.SortFunc(h, neighbour.cmp)
			for m, nb := range h {
				idx[i*k+m], dist[i*k+m] = nb.j, nb.d2
			}
		}
		return nil
	})
	return idx, dist, err
}

type neighbour struct {
	d2 float64
	j  int32
}

// cmp orders neighbours by distance, then index (so that ties are
// deterministic).
func (a neighbour) cmp(b neighbour) int {
	switch {
	case a.d2 < b.d2:
		return -1
	case a.d2 > b.d2:
		return 1
	}
	return int(a.j) - int(b.j)
}

// neighbourHeap is a max-heap (by cmp) holding the k nearest seen so far.
type neighbourHeap []neighbour

// offer adds nb if the heap has fewer than k entries or nb is nearer than
// its farthest.
func (h *neighbourHeap) offer(nb neighbour, k int) {
	s := *h
	if len(s) < k {
		s = append(s, nb)
		for c := len(s) - 1; c > 0; { // sift up
			p := (c - 1) / 2
			if s[p].cmp(s[c]) >= 0 {
				break
			}
			s[p], s[c] = s[c], s[p]
			c = p
		}
		*h = s
		return
	}
	if nb.cmp(s[0]) >= 0 {
		return
	}
	s[0] = nb
	for p := 0; ; { // sift down
		c := 2*p + 1
		if c >= len(s) {
			break
		}
		if c+1 < len(s) && s[c+1].cmp(s[c]) > 0 {
			c++
		}
		if s[p].cmp(s[c]) >= 0 {
			break
		}
		s[p], s[c] = s[c], s[p]
		p = c
	}
}

// conditionalP fills p (n×k, like dist) with each row's Gaussian conditional
// distribution over its neighbours at the precision whose entropy is
// log(perplexity) (sklearn's _binary_search_perplexity), and returns the
// precisions β = 1/(2σ²).
func conditionalP(ctx context.Context, dist []float64, n, k int, perplexity float64) (p, beta []float64, err error) {
	const (
		tol      = 1e-5
		maxSteps = 100
		tiny     = 1e-8 // sklearn's EPSILON_DBL: a floor on the row sum
	)
	want := math.Log(perplexity)
	p, beta = make([]float64, n*k), make([]float64, n)
	err = parallelRows(ctx, n, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			d, pi := dist[i*k:(i+1)*k], p[i*k:(i+1)*k]
			b, bmin, bmax := 1.0, math.Inf(-1), math.Inf(1)
			for range maxSteps {
				sum := 0.0
				for m, dm := range d {
					pi[m] = math.Exp(-dm * b)
					sum += pi[m]
				}
				if sum == 0 {
					sum = tiny
				}
				mean := 0.0
				for m := range pi {
					pi[m] /= sum
					mean += d[m] * pi[m]
				}
				h := math.Log(sum) + b*mean
				diff := h - want
				if math.Abs(diff) <= tol {
					break
				}
				if diff > 0 { // too flat: sharpen
					bmin = b
					if math.IsInf(bmax, 1) {
						b *= 2
					} else {
						b = (b + bmax) / 2
					}
				} else {
					bmax = b
					if math.IsInf(bmin, -1) {
						b /= 2
					} else {
						b = (b + bmin) / 2
					}
				}
			}
			beta[i] = b
		}
		return nil
	})
	return p, beta, err
}

// jointP symmetrises the conditional distributions, P = (P_c + P_cᵀ) / sum,
// as a sparse matrix with entries in increasing column order.
func jointP(idx []int32, cond []float64, n, k int) (*sparseP, error) {
	rows := make([][]neighbour, n) // reused as (value, column) pairs
	for i := range n {
		for m := range k {
			j, v := idx[i*k+m], cond[i*k+m]
			rows[i] = append(rows[i], neighbour{v, j})
			rows[j] = append(rows[j], neighbour{v, int32(i)})
		}
	}
	sp := &sparseP{rowStart: make([]int, n+1)}
	total := 0.0
	for i, r := range rows {
		slices.SortFunc(r, func(a, b neighbour) int { return int(a.j) - int(b.j) })
		for m := 0; m < len(r); {
			j, v := r[m].j, 0.0
			for ; m < len(r) && r[m].j == j; m++ {
				v += r[m].d2
			}
			sp.col, sp.val = append(sp.col, j), append(sp.val, v)
			total += v
		}
		sp.rowStart[i+1] = len(sp.col)
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, fmt.Errorf("t-SNE: the affinities sum to %g (non-finite or duplicate inputs?)", total)
	}
	for m := range sp.val {
		sp.val[m] /= total
	}
	return sp, nil
}

// affinities computes the joint P of the rows of x (n×d, row-major) at a
// perplexity.
func affinities(ctx context.Context, x []float64, n, d int, perplexity float64) (*sparseP, error) {
	k := tsneNeighbours(perplexity, n)
	idx, dist, err := kNearest(ctx, x, n, d, k)
	if err != nil {
		return nil, err
	}
	cond, _, err := conditionalP(ctx, dist, n, k, perplexity)
	if err != nil {
		return nil, err
	}
	return jointP(idx, cond, n, k)
}
