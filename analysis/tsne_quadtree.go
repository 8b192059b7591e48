package analysis

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// The repulsive half of the t-SNE gradient by Barnes–Hut (van der Maaten
// 2014, §4.2): the embedding's points go into a quadtree, and for each point
// a cell far enough away — its width over its distance below θ — counts as
// one point of its cell's size at its centre of mass. θ = 0 never
// summarises, which gives the exact O(N²) sums (the tests compare the two).

// qtNode is a square cell of the quadtree.
type qtNode struct {
	cx, cy, half float64 // the cell's centre and half-width
	mx, my       float64 // centre of mass of its points
	count        int
	child        [4]int32 // -1: no points in that quadrant
	leaf         bool
	lo, hi       int32 // a leaf's points: quadtree.idx[lo:hi]
}

// quadtree holds the cells (node 0 is the root) and the point indices,
// ordered so that each leaf's points are contiguous.
type quadtree struct {
	nodes   []qtNode
	idx     []int32
	scratch []int32
	y       []float64
}

// qtMaxDepth stops the splitting of (nearly) coincident points; a deeper
// leaf holds several points, which the traversal visits one by one.
const qtMaxDepth = 48

// build (re)builds the tree over y (n×2, row-major), reusing its storage.
func (t *quadtree) build(y []float64) {
	n := len(y) / 2
	t.y, t.nodes = y, t.nodes[:0]
	if cap(t.idx) < n {
		t.idx, t.scratch = make([]int32, n), make([]int32, n)
	}
	t.idx, t.scratch = t.idx[:n], t.scratch[:n]
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range n {
		t.idx[i] = int32(i)
		x0, x1 = min(x0, y[2*i]), max(x1, y[2*i])
		y0, y1 = min(y0, y[2*i+1]), max(y1, y[2*i+1])
	}
	half := max(x1-x0, y1-y0)/2*(1+1e-6) + 1e-12
	t.split((x0+x1)/2, (y0+y1)/2, half, 0, int32(n), 0)
}

// split makes the cell holding idx[lo:hi] and, unless it is a leaf, its
// children; it returns the cell's index.
func (t *quadtree) split(cx, cy, half float64, lo, hi int32, depth int) int32 {
	id := int32(len(t.nodes))
	nd := qtNode{cx: cx, cy: cy, half: half, count: int(hi - lo), child: [4]int32{-1, -1, -1, -1}, lo: lo, hi: hi}
	same := true
	first := t.idx[lo]
	for _, i := range t.idx[lo:hi] {
		nd.mx += t.y[2*i]
		nd.my += t.y[2*i+1]
		same = same && t.y[2*i] == t.y[2*first] && t.y[2*i+1] == t.y[2*first+1]
	}
	nd.mx /= float64(nd.count)
	nd.my /= float64(nd.count)
	nd.leaf = same || depth >= qtMaxDepth
	t.nodes = append(t.nodes, nd)
	if nd.leaf {
		return id
	}
	// Partition idx[lo:hi] by quadrant (bit 0: right, bit 1: top), keeping
	// the points' order within a quadrant.
	quad := func(i int32) int {
		q := 0
		if t.y[2*i] >= cx {
			q |= 1
		}
		if t.y[2*i+1] >= cy {
			q |= 2
		}
		return q
	}
	var start [5]int32
	for _, i := range t.idx[lo:hi] {
		start[quad(i)+1]++
	}
	for q := range 4 {
		start[q+1] += start[q]
	}
	fill := start
	for _, i := range t.idx[lo:hi] {
		q := quad(i)
		t.scratch[lo+fill[q]] = i
		fill[q]++
	}
	copy(t.idx[lo:hi], t.scratch[lo:hi])
	h := half / 2
	for q := range 4 {
		if start[q] == start[q+1] {
			continue
		}
		ccx, ccy := cx-h, cy-h
		if q&1 != 0 {
			ccx = cx + h
		}
		if q&2 != 0 {
			ccy = cy + h
		}
		c := t.split(ccx, ccy, h, lo+start[q], lo+start[q+1], depth+1)
		t.nodes[id].child[q] = c
	}
	return id
}

// repulsion returns, for point i, Σ_j q̃_ij and Σ_j q̃_ij²·(y_i − y_j) over
// every other point j, where q̃ = 1/(1 + ‖y_i − y_j‖²), with cells whose
// width is below θ times their distance summarised. stack is scratch.
func (t *quadtree) repulsion(i int, theta float64, stack []int32) (z, fx, fy float64, _ []int32) {
	yx, yy := t.y[2*i], t.y[2*i+1]
	th2 := theta * theta
	stack = append(stack[:0], 0)
	for len(stack) > 0 {
		nd := &t.nodes[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if nd.leaf {
			for _, j := range t.idx[nd.lo:nd.hi] {
				if int(j) == i {
					continue
				}
				dx, dy := yx-t.y[2*j], yy-t.y[2*j+1]
				q := 1 / (1 + dx*dx + dy*dy)
				z += q
				fx += q * q * dx
				fy += q * q * dy
			}
			continue
		}
		dx, dy := yx-nd.mx, yy-nd.my
		d2 := dx*dx + dy*dy
		w := 2 * nd.half
		inside := math.Abs(yx-nd.cx) <= nd.half && math.Abs(yy-nd.cy) <= nd.half
		if !inside && w*w < th2*d2 {
			q := 1 / (1 + d2)
			c := float64(nd.count)
			z += c * q
			fx += c * q * q * dx
			fy += c * q * q * dy
			continue
		}
		for q := 3; q >= 0; q-- {
			if c := nd.child[q]; c >= 0 {
				stack = append(stack, c)
			}
		}
	}
	return z, fx, fy, stack
}

// parallelRows calls f on consecutive blocks of [0, n) from as many
// goroutines as there are cores. Each row's result must depend on that row
// only, so that the output does not depend on the number of cores; the
// first error (or the context's) is returned.
func parallelRows(ctx context.Context, n int, f func(lo, hi int) error) error {
	const block = 32
	workers := min(runtime.GOMAXPROCS(0), (n+block-1)/block)
	if workers <= 1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		return f(0, n)
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(block)) - block
				if lo >= n {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = f(lo, min(lo+block, n))
				}
				if err != nil {
					errOnce.Do(func() { first = err })
					next.Store(int64(n)) // stop handing out blocks
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
