package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// blobs returns n points per class around ±sep·(1, …, 1) in d dimensions
// (unit noise).
func blobs(n, d int, sep float64, seed uint64) ([][]float64, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	var x [][]float64
	var y []int
	for c := range 2 {
		for range n {
			row := make([]float64, d)
			for j := range row {
				row[j] = r.NormFloat64()
			}
			for j := range row {
				row[j] += sep * float64(2*c-1)
			}
			x = append(x, row)
			y = append(y, c)
		}
	}
	return x, y
}

// nnAgreement is the fraction of points whose nearest other point in the
// embedding has the same class.
func nnAgreement(e [][2]float64, y []int) float64 {
	ok := 0
	for i := range e {
		best, bd := -1, math.Inf(1)
		for j := range e {
			if j == i {
				continue
			}
			dx, dy := e[i][0]-e[j][0], e[i][1]-e[j][1]
			if d := dx*dx + dy*dy; d < bd {
				best, bd = j, d
			}
		}
		if y[best] == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(e))
}

// TestTSNESeparatesBlobs: two well-separated clusters stay separated, the
// embedding is deterministic and does not depend on the number of cores,
// and bad input is refused.
func TestTSNESeparatesBlobs(t *testing.T) {
	ctx := context.Background()
	x, y := blobs(60, 10, 2, 1)
	o := DefaultTSNE(len(x))
	if o.Perplexity != 30 || DefaultTSNE(20).Perplexity != 6 || DefaultTSNE(5).Perplexity != 2 {
		t.Errorf("perplexity rule min(30, max(2, (n−1)//3)) broken: %v %v %v", o.Perplexity, DefaultTSNE(20).Perplexity, DefaultTSNE(5).Perplexity)
	}
	o.Iterations = 400
	var progress bytes.Buffer
	o.Progress = &progress
	e1, err := TSNE(ctx, x, o)
	if err != nil {
		t.Fatal(err)
	}
	if a := nnAgreement(e1, y); a < 0.98 {
		t.Errorf("nearest-neighbour class agreement %.3f, want ≥ 0.98", a)
	}
	// Centroids far apart relative to the spread within a class.
	var c [2][2]float64
	for i, p := range e1 {
		c[y[i]][0] += p[0] / 60
		c[y[i]][1] += p[1] / 60
	}
	within := 0.0
	for i, p := range e1 {
		within += math.Hypot(p[0]-c[y[i]][0], p[1]-c[y[i]][1]) / float64(len(e1))
	}
	if between := math.Hypot(c[0][0]-c[1][0], c[0][1]-c[1][1]); between < 2*within {
		t.Errorf("centroid distance %.2f vs mean within-class radius %.2f: not separated", between, within)
	}
	if s := progress.String(); !strings.Contains(s, "affinities (perplexity 30, 91 neighbours)") || !strings.Contains(s, "400 iterations, KL ") {
		t.Errorf("progress lines missing:\n%s", s)
	}
	o.Progress = nil
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	e2, _ := TSNE(ctx, x, o)
	for i := range e1 {
		if e1[i] != e2[i] {
			t.Fatalf("not deterministic (or depends on GOMAXPROCS) at point %d: %v vs %v", i, e1[i], e2[i])
		}
	}
	bad := map[string]func() ([][]float64, TSNEOptions){
		"3 points":   func() ([][]float64, TSNEOptions) { return x[:3], o },
		"ragged":     func() ([][]float64, TSNEOptions) { return append(x[:10:10], []float64{1}), o },
		"NaN":        func() ([][]float64, TSNEOptions) { return append(x[:10:10], make([]float64, 10)), o },
		"perplexity": func() ([][]float64, TSNEOptions) { q := o; q.Perplexity = 200; return x, q },
		"theta":      func() ([][]float64, TSNEOptions) { q := o; q.Theta = -1; return x, q },
	}
	for name, f := range bad {
		xb, ob := f()
		if name == "NaN" {
			xb[10][3] = math.NaN()
		}
		if _, err := TSNE(ctx, xb, ob); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTSNEPerplexityCalibration: every conditional distribution has the
// target entropy log(perplexity) and sums to 1, and the joint P is
// symmetric and sums to 1.
func TestTSNEPerplexityCalibration(t *testing.T) {
	ctx := context.Background()
	for _, perp := range []float64{5, 30} {
		t.Run(fmt.Sprint("perplexity ", perp), func(t *testing.T) {
			x, _ := blobs(100, 8, 1, 3)
			n, d := len(x), len(x[0])
			flat := make([]float64, 0, n*d)
			for _, r := range x {
				flat = append(flat, r...)
			}
			k := tsneNeighbours(perp, n)
			idx, dist, err := kNearest(ctx, flat, n, d, k)
			if err != nil {
				t.Fatal(err)
			}
			// The neighbours are the k nearest by brute force.
			for _, i := range []int{0, 57, n - 1} {
				var all []float64
				for j := range n {
					if j != i {
						s := 0.0
						for u := range d {
							s += (x[i][u] - x[j][u]) * (x[i][u] - x[j][u])
						}
						all = append(all, s)
					}
				}
				sortFloats(all)
				for m := range k {
					if math.Abs(dist[i*k+m]-all[m]) > 1e-9 {
						t.Fatalf("point %d: neighbour %d at %g, want %g", i, m, dist[i*k+m], all[m])
					}
				}
			}
			cond, _, err := conditionalP(ctx, dist, n, k, perp)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				h, s := 0.0, 0.0
				for _, p := range cond[i*k : (i+1)*k] {
					s += p
					if p > 0 {
						h -= p * math.Log(p)
					}
				}
				if math.Abs(h-math.Log(perp)) > 1e-4 || math.Abs(s-1) > 1e-12 {
					t.Fatalf("row %d: entropy %.6f (want log %g = %.6f), sum %g", i, h, perp, math.Log(perp), s)
				}
			}
			p, err := jointP(idx, cond, n, k)
			if err != nil {
				t.Fatal(err)
			}
			sum, get := 0.0, func(i, j int) float64 {
				for m := p.rowStart[i]; m < p.rowStart[i+1]; m++ {
					if int(p.col[m]) == j {
						return p.val[m]
					}
				}
				return 0
			}
			for i := range n {
				for m := p.rowStart[i]; m < p.rowStart[i+1]; m++ {
					j := int(p.col[m])
					sum += p.val[m]
					if j == i || p.val[m] != get(j, i) {
						t.Fatalf("P[%d,%d] = %g but P[%d,%d] = %g", i, j, p.val[m], j, i, get(j, i))
					}
				}
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("P sums to %g", sum)
			}
		})
	}
}

func sortFloats(a []float64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// exactGradient is the O(N²) t-SNE gradient and KL(P‖Q) over P's non-zeros,
// straight from the definitions (van der Maaten & Hinton 2008, eq. 5).
func exactGradient(p *sparseP, y []float64, exaggeration float64) (grad []float64, kl float64) {
	n := len(y) / 2
	dense := make([]float64, n*n)
	for i := range n {
		for m := p.rowStart[i]; m < p.rowStart[i+1]; m++ {
			dense[i*n+int(p.col[m])] = p.val[m]
		}
	}
	qt := make([]float64, n*n)
	z := 0.0
	for i := range n {
		for j := range n {
			if i != j {
				dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
				qt[i*n+j] = 1 / (1 + dx*dx + dy*dy)
				z += qt[i*n+j]
			}
		}
	}
	grad = make([]float64, 2*n)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			pij, q := dense[i*n+j], qt[i*n+j]
			f := 4 * (exaggeration*pij - q/z) * q
			grad[2*i] += f * (y[2*i] - y[2*j])
			grad[2*i+1] += f * (y[2*i+1] - y[2*j+1])
			if pij > 0 {
				kl += pij * math.Log(pij/(q/z))
			}
		}
	}
	return grad, kl
}

// TestTSNEBarnesHutGradient: at θ = 0 the quadtree gradient is the exact
// one, including with coincident points; at θ = 0.5 it is close.
func TestTSNEBarnesHutGradient(t *testing.T) {
	ctx := context.Background()
	x, _ := blobs(40, 5, 1, 4)
	n, d := len(x), len(x[0])
	flat := make([]float64, 0, n*d)
	for _, r := range x {
		flat = append(flat, r...)
	}
	p, err := affinities(ctx, flat, n, d, 10)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = 3 * r.NormFloat64()
	}
	y[2*7], y[2*7+1] = y[2*3], y[2*3+1] // a duplicate point
	for _, ex := range []float64{1, 12} {
		want, wantKL := exactGradient(p, y, ex)
		for _, tc := range []struct {
			theta, tol float64
		}{{0, 1e-12}, {0.5, 0.05}} {
			g := newTSNEGradient(p, tc.theta)
			g.wantKL = true
			got := make([]float64, 2*n)
			if err := g.compute(ctx, y, ex, got); err != nil {
				t.Fatal(err)
			}
			num, den := 0.0, 0.0
			for i := range got {
				num += (got[i] - want[i]) * (got[i] - want[i])
				den += want[i] * want[i]
			}
			if rel := math.Sqrt(num / den); rel > tc.tol {
				t.Errorf("θ = %g, exaggeration %g: gradient relative error %.3g, want ≤ %g", tc.theta, ex, rel, tc.tol)
			}
			if tc.theta == 0 && math.Abs(g.kl-wantKL) > 1e-12*math.Abs(wantKL)+1e-12 {
				t.Errorf("θ = 0: KL %.15g, want %.15g", g.kl, wantKL)
			}
			if wantX := ex * (wantKL + math.Log(ex)); tc.theta == 0 && math.Abs(g.klInUse-wantX) > 1e-12*math.Abs(wantX) {
				t.Errorf("θ = 0, exaggeration %g: KL %.15g, want %.15g", ex, g.klInUse, wantX)
			}
		}
	}
}

// TestTSNECancel: a cancelled context stops the embedding promptly, in the
// affinities (cancelled 1 ms in) and in the optimisation (cancelled 200 ms
// after the affinities are reported).
func TestTSNECancel(t *testing.T) {
	x, _ := blobs(1000, 30, 1, 7)
	for _, inOptimisation := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		o := DefaultTSNE(len(x))
		start, after := time.Now(), time.Millisecond
		if inOptimisation {
			after = 200 * time.Millisecond
			o.Progress = &onFirstWrite{f: func() {
				start = time.Now()
				time.AfterFunc(after, cancel)
			}}
		} else {
			time.AfterFunc(after, cancel)
		}
		_, err := TSNE(ctx, x, o)
		late := time.Since(start) - after
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("in optimisation %v: error %v, want context.Canceled", inOptimisation, err)
		}
		if late > time.Second {
			t.Errorf("in optimisation %v: returned %s after the cancel, want < 1 s", inOptimisation, late)
		}
	}
}

// TestTSNEProgress: with no minimum interval every iteration reports its
// number, the KL divergence and the time left.
func TestTSNEProgress(t *testing.T) {
	defer func(d time.Duration) { tsneProgressEvery = d }(tsneProgressEvery)
	tsneProgressEvery = 0
	x, _ := blobs(30, 5, 2, 8)
	o := DefaultTSNE(len(x))
	o.Iterations = 20
	var b bytes.Buffer
	o.Progress = &b
	if _, err := TSNE(context.Background(), x, o); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 22 {
		t.Fatalf("%d progress lines, want 22 (affinities, 20 iterations, the end):\n%s", len(lines), b.String())
	}
	for k, l := range lines[1:21] {
		if !strings.HasPrefix(l, fmt.Sprintf("t-SNE: iteration %d/20, KL ", k+1)) || !strings.Contains(l, " left") {
			t.Errorf("line %q", l)
		}
	}
}

// onFirstWrite calls f when it is first written to.
type onFirstWrite struct {
	f    func()
	done bool
}

func (w *onFirstWrite) Write(b []byte) (int, error) {
	if !w.done {
		w.done = true
		w.f()
	}
	return len(b), nil
}

// BenchmarkTSNE times a whole embedding (1000 iterations) at 500 points and
// at the paper profile's size, 2 × 1280 final hidden states of 64 units:
// go test -run XXX -bench TSNE -benchtime 1x ./analysis/
func BenchmarkTSNE(b *testing.B) {
	for _, n := range []int{250, 1280} {
		x, _ := blobs(n, 64, 3, 2)
		b.Run(fmt.Sprintf("n=%d", len(x)), func(b *testing.B) {
			o := DefaultTSNE(len(x))
			for b.Loop() {
				if _, err := TSNE(context.Background(), x, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
