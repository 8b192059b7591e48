package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
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

// TestTSNESeparatesBlobs: two well-separated clusters stay separated, and
// the embedding is deterministic.
func TestTSNESeparatesBlobs(t *testing.T) {
	x, y := blobs(60, 10, 2, 1)
	o := DefaultTSNE(len(x))
	if o.Perplexity != 30 || DefaultTSNE(20).Perplexity != 6 || DefaultTSNE(5).Perplexity != 2 {
		t.Errorf("perplexity rule min(30, max(2, (n−1)//3)) broken: %v %v %v", o.Perplexity, DefaultTSNE(20).Perplexity, DefaultTSNE(5).Perplexity)
	}
	o.Iterations = 400
	e1, err := TSNE(x, o)
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
	e2, _ := TSNE(x, o)
	for i := range e1 {
		if e1[i] != e2[i] {
			t.Fatalf("not deterministic at point %d: %v vs %v", i, e1[i], e2[i])
		}
	}
	if _, err := TSNE(x[:3], o); err == nil {
		t.Error("3 points accepted")
	}
}

// BenchmarkTSNEIteration measures one iteration at the authors' size (2 ×
// 1280 points of 64 units): go test -bench TSNE -benchtime 3x ./analysis/
func BenchmarkTSNEIteration(b *testing.B) {
	x, _ := blobs(1280, 64, 3, 2)
	o := DefaultTSNE(len(x))
	o.Iterations = 1
	for b.Loop() {
		if _, err := TSNE(x, o); err != nil {
			b.Fatal(err)
		}
	}
}
