package analysis

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"

	"github.com/danaugrs/go-tsne/tsne"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// t-SNE of hidden states (paper/METHODS §4.4). The authors call sklearn's
// TSNE(n_components=2, perplexity=min(30, max(2, (n−1)//3)),
// random_state=0, init="pca", learning_rate="auto") on standardised states
// (analysis/cb_ablation.py: project_full_vs_ablated_final_points_tsne).
//
// The embedding uses github.com/danaugrs/go-tsne (exact t-SNE on gonum),
// the only t-SNE module the Go module proxy serves (checked with `go list -m
// -versions`; the forks e-gun/go-tsne and sacado/tsne4go are not served).
// It is unmaintained since 2020 and has two defects that this wrapper works
// around rather than copying its code: its gradient buffer is never
// cleared, so each of its steps uses the sum of every gradient so far, and
// its random start draws from math/rand's global source, which cannot be
// seeded since Go 1.24. The library supplies the perplexity-calibrated
// affinities P and the exact KL gradient; from its step hook this wrapper
// reads and clears the gradient buffer (gradientBuffer) and takes sklearn's
// step instead of the library's: a PCA start scaled to SD 1e-4, early
// exaggeration ×12 for 250 iterations, momentum 0.5 then 0.8 and
// per-coordinate gains (+0.2 / ×0.8, floor 0.01), so that the embedding is
// comparable to the authors' and deterministic.

// TSNEOptions configure TSNE. DefaultTSNE gives the authors' settings.
type TSNEOptions struct {
	Perplexity   float64
	Iterations   int
	LearningRate float64 // ≤ 0: sklearn's "auto", max(n/12/4, 50)
	// Exaggeration multiplies P for the first ExaggerationIters iterations.
	Exaggeration      float64
	ExaggerationIters int
	// Momentum before and after the exaggeration phase.
	MomentumEarly, MomentumLate float64
	// Standardise z-scores every column first (StandardScaler).
	Standardise bool
}

// DefaultTSNE returns the authors' settings for n points: perplexity
// min(30, max(2, ⌊(n−1)/3⌋)), sklearn's 1000 iterations, automatic learning
// rate, exaggeration 12 for 250 iterations, momentum 0.5/0.8, standardised
// input.
func DefaultTSNE(n int) TSNEOptions {
	return TSNEOptions{
		Perplexity: math.Min(30, math.Max(2, float64((n-1)/3))),
		Iterations: 1000, Exaggeration: 12, ExaggerationIters: 250,
		MomentumEarly: 0.5, MomentumLate: 0.8, Standardise: true,
	}
}

// TSNE embeds the rows of x in two dimensions. It is deterministic: the
// same input and options give the same embedding.
func TSNE(x [][]float64, o TSNEOptions) ([][2]float64, error) {
	n := len(x)
	if n < 4 {
		return nil, fmt.Errorf("t-SNE needs at least 4 points, got %d", n)
	}
	d := len(x[0])
	data := mat.NewDense(n, d, nil)
	for i, row := range x {
		if len(row) != d {
			return nil, fmt.Errorf("t-SNE: row %d has %d values, want %d", i, len(row), d)
		}
		data.SetRow(i, row)
	}
	if o.Standardise {
		standardise(data)
	}
	if o.Perplexity >= float64(n) {
		return nil, fmt.Errorf("t-SNE: perplexity %.0f must be below the %d points", o.Perplexity, n)
	}
	lr := o.LearningRate
	if lr <= 0 {
		ex := o.Exaggeration
		if ex <= 0 {
			ex = 1
		}
		lr = math.Max(float64(n)/ex/4, 50)
	}
	init := pcaStart(data)
	t := tsne.NewTSNE(2, o.Perplexity, lr, o.Iterations+1, false)
	gradOf, err := gradientBuffer(t)
	if err != nil {
		return nil, err
	}
	var yIn, vel, gains *mat.Dense
	exaggerated := false
	t.EmbedData(data, func(iter int, _ float64, emb mat.Matrix) bool {
		y := emb.(*mat.Dense)
		grad := gradOf() // the gradient at yIn (the buffer is cleared below)
		if iter == 0 {
			// Replace the library's random start by the PCA start, discard
			// its first step, and exaggerate P.
			if o.Exaggeration > 1 && o.ExaggerationIters > 0 {
				t.P.Scale(o.Exaggeration, t.P)
				exaggerated = true
			}
			y.Copy(init)
			yIn = mat.DenseCopyOf(init)
			vel, gains = mat.NewDense(n, 2, nil), mat.NewDense(n, 2, nil)
			for i := range n {
				gains.SetRow(i, []float64{1, 1})
			}
			grad.Zero()
			return false
		}
		it := iter - 1 // sklearn's iteration count
		mu := o.MomentumLate
		if it < o.ExaggerationIters {
			mu = o.MomentumEarly
		}
		// sklearn's _gradient_descent: where the gradient and the last
		// update have opposite signs the gain grows by 0.2, else it shrinks
		// ×0.8 (floor 0.01); v = μv − lr·gain·g; y += v.
		for i := range n {
			for j := range 2 {
				g := grad.At(i, j)
				gain := gains.At(i, j)
				if g*vel.At(i, j) < 0 {
					gain += 0.2
				} else {
					gain *= 0.8
				}
				gain = math.Max(gain, 0.01)
				gains.Set(i, j, gain)
				vel.Set(i, j, mu*vel.At(i, j)-lr*gain*g)
			}
		}
		y.Add(yIn, vel) // replaces the library's own step
		yIn.Copy(y)
		grad.Zero()
		if exaggerated && it+1 >= o.ExaggerationIters {
			t.P.Scale(1/o.Exaggeration, t.P)
			exaggerated = false
		}
		return false
	})
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{t.Y.At(i, 0), t.Y.At(i, 1)}
	}
	return out, nil
}

// standardise z-scores every column in place (population SD; a constant
// column is only centred), as sklearn's StandardScaler.
func standardise(x *mat.Dense) {
	n, d := x.Dims()
	col := make([]float64, n)
	for j := range d {
		mat.Col(col, j, x)
		mean, sd := stat.PopMeanStdDev(col, nil)
		if sd == 0 {
			sd = 1
		}
		for i := range n {
			x.Set(i, j, (col[i]-mean)/sd)
		}
	}
}

// pcaStart projects x onto its first two principal components, scaled so
// that the first has SD 1e-4 (sklearn's init="pca"); signs are fixed so
// that each component's largest loading is positive.
func pcaStart(x *mat.Dense) *mat.Dense {
	n, d := x.Dims()
	var pc stat.PC
	out := mat.NewDense(n, 2, nil)
	if d < 2 || !pc.PrincipalComponents(x, nil) {
		return out
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	const k = 2
	for j := range k {
		big := 0
		for i := range d {
			if math.Abs(vecs.At(i, j)) > math.Abs(vecs.At(big, j)) {
				big = i
			}
		}
		if vecs.At(big, j) < 0 {
			for i := range d {
				vecs.Set(i, j, -vecs.At(i, j))
			}
		}
	}
	// Centre, then project.
	c := mat.DenseCopyOf(x)
	col := make([]float64, n)
	for j := range d {
		mat.Col(col, j, c)
		m := stat.Mean(col, nil)
		for i := range n {
			c.Set(i, j, col[i]-m)
		}
	}
	out.Mul(c, vecs.Slice(0, d, 0, k))
	mat.Col(col, 0, out)
	sd := stat.StdDev(col, nil)
	if sd > 0 {
		out.Scale(1e-4/sd, out)
	}
	return out
}

// gradientBuffer returns a getter for go-tsne's gradient buffer, an
// unexported field (dCdY) that its costGradient adds each iteration's
// gradient to without ever clearing it. Reading and clearing it from the
// step hook gives the exact gradient of every iteration. The module version
// is pinned in go.mod; a version whose field differs is refused here.
func gradientBuffer(t *tsne.TSNE) (func() *mat.Dense, error) {
	f := reflect.ValueOf(t).Elem().FieldByName("dCdY")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*mat.Dense]() {
		return nil, fmt.Errorf("t-SNE: github.com/danaugrs/go-tsne has no dCdY *mat.Dense field (an unexpected version)")
	}
	ptr := (**mat.Dense)(unsafe.Pointer(f.UnsafeAddr()))
	return func() *mat.Dense { return *ptr }, nil
}
