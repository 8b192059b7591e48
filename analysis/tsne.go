package analysis

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// t-SNE of hidden states (paper/METHODS §4.4). The authors call sklearn's
// TSNE(n_components=2, perplexity=min(30, max(2, (n−1)//3)),
// random_state=0, init="pca", learning_rate="auto") on standardised states
// (analysis/cb_ablation.py: project_full_vs_ablated_final_points_tsne),
// whose default method is Barnes–Hut.
//
// This is a Barnes–Hut t-SNE written here (van der Maaten 2014, "Accelerating
// t-SNE using tree-based algorithms", JMLR 15) because no well-kept Go t-SNE
// exists: gonum has none, and the only module the Go proxy serves
// (github.com/danaugrs/go-tsne, unmaintained since 2020) is exact O(N²) —
// about an hour for the paper's embeddings — accumulates its gradient
// across steps, draws its start from an unseedable global source and cannot
// be cancelled; using it needed a run-time patch of its unexported fields.
// The method and its defaults follow sklearn's (sklearn.manifold.TSNE,
// version 1.2, method="barnes_hut"), against which the tests compare it:
// affinities on the ⌊3·perplexity + 1⌋ nearest neighbours
// (tsne_affinity.go), repulsion by a quadtree with θ = 0.5
// (tsne_quadtree.go), a PCA start scaled to SD 1e-4, early exaggeration ×12
// for 250 iterations, momentum 0.5 then 0.8, per-coordinate gains (+0.2 /
// ×0.8, floor 0.01), learning rate "auto" = max(n/12/4, 50), and sklearn's
// stopping rules (gradient norm below 1e-7, or no fall of the KL divergence
// for 300 iterations, checked every 50).

// TSNEOptions configure TSNE. DefaultTSNE gives the authors' settings.
type TSNEOptions struct {
	Perplexity   float64
	Iterations   int
	LearningRate float64 // ≤ 0: sklearn's "auto", max(n/Exaggeration/4, 50)
	// Exaggeration multiplies P for the first ExaggerationIters iterations.
	Exaggeration      float64
	ExaggerationIters int
	// Momentum before and after the exaggeration phase.
	MomentumEarly, MomentumLate float64
	// Standardise z-scores every column first (StandardScaler).
	Standardise bool
	// Theta is the Barnes–Hut angle: a quadtree cell whose width is below
	// Theta times its distance counts as one point. 0 gives the exact
	// O(N²) gradient.
	Theta float64
	// Progress, if set, receives a line when the affinities are done, at
	// least every 10 s of the optimisation (iteration, KL divergence, time
	// left) and at the end.
	Progress io.Writer
}

// DefaultTSNE returns the authors' settings for n points: perplexity
// min(30, max(2, ⌊(n−1)/3⌋)), sklearn's 1000 iterations, automatic learning
// rate, exaggeration 12 for 250 iterations, momentum 0.5/0.8, θ = 0.5,
// standardised input.
func DefaultTSNE(n int) TSNEOptions {
	return TSNEOptions{
		Perplexity: math.Min(30, math.Max(2, float64((n-1)/3))),
		Iterations: 1000, Exaggeration: 12, ExaggerationIters: 250,
		MomentumEarly: 0.5, MomentumLate: 0.8, Standardise: true, Theta: 0.5,
	}
}

// TSNE embeds the rows of x in two dimensions. It is deterministic (the
// start is the PCA projection, and no sum depends on the number of cores),
// and returns ctx.Err() soon after ctx is done.
func TSNE(ctx context.Context, x [][]float64, o TSNEOptions) ([][2]float64, error) {
	r, err := embedTSNE(ctx, x, o)
	return r.y, err
}

// tsneResult is an embedding with its final KL divergence (the Barnes–Hut
// estimate over the non-zero P, as sklearn's kl_divergence_) and the
// iterations run.
type tsneResult struct {
	y          [][2]float64
	kl         float64
	iterations int
}

// Stopping rules and progress cadence (sklearn's _N_ITER_CHECK,
// n_iter_without_progress, min_grad_norm).
const (
	tsneCheckEvery  = 50
	tsneNoProgress  = 300
	tsneMinGradNorm = 1e-7
)

// tsneProgressEvery is the least time between progress lines (a variable
// for the tests).
var tsneProgressEvery = 10 * time.Second

func embedTSNE(ctx context.Context, x [][]float64, o TSNEOptions) (tsneResult, error) {
	n := len(x)
	if n < 4 {
		return tsneResult{}, fmt.Errorf("t-SNE needs at least 4 points, got %d", n)
	}
	d := len(x[0])
	if d == 0 {
		return tsneResult{}, fmt.Errorf("t-SNE: the points have no coordinates")
	}
	data := mat.NewDense(n, d, nil)
	for i, row := range x {
		if len(row) != d {
			return tsneResult{}, fmt.Errorf("t-SNE: row %d has %d values, want %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return tsneResult{}, fmt.Errorf("t-SNE: row %d, column %d is %v", i, j, v)
			}
		}
		data.SetRow(i, row)
	}
	switch {
	case !(o.Perplexity > 0) || o.Perplexity >= float64(n):
		return tsneResult{}, fmt.Errorf("t-SNE: perplexity %g must be positive and below the %d points", o.Perplexity, n)
	case o.Iterations < 1:
		return tsneResult{}, fmt.Errorf("t-SNE: %d iterations", o.Iterations)
	case o.Theta < 0 || math.IsNaN(o.Theta):
		return tsneResult{}, fmt.Errorf("t-SNE: Barnes–Hut angle θ = %g is negative", o.Theta)
	}
	if o.Standardise {
		standardise(data)
	}
	ex := o.Exaggeration
	if ex <= 0 {
		ex = 1
	}
	lr := o.LearningRate
	if lr <= 0 {
		lr = math.Max(float64(n)/ex/4, 50)
	}
	start := time.Now()
	p, err := affinities(ctx, data.RawMatrix().Data, n, d, o.Perplexity)
	if err != nil {
		return tsneResult{}, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "t-SNE: %d points × %d: affinities (perplexity %g, %d neighbours) in %s\n",
			n, d, o.Perplexity, tsneNeighbours(o.Perplexity, n), time.Since(start).Round(time.Millisecond))
	}
	init := pcaStart(data)
	y := make([]float64, 2*n)
	for i := range n {
		y[2*i], y[2*i+1] = init.At(i, 0), init.At(i, 1)
	}
	g := newTSNEGradient(p, o.Theta)
	vel, gains, grad := make([]float64, 2*n), make([]float64, 2*n), make([]float64, 2*n)
	for i := range gains {
		gains[i] = 1
	}
	phase1 := min(o.ExaggerationIters, o.Iterations) // sklearn's exploration phase
	var (
		kl, best     = math.Inf(1), math.Inf(1)
		bestIter, it int
		lastReport   = time.Now()
		optStart     = time.Now()
		exaggeration = ex
		mu           = o.MomentumEarly
	)
	for it = 0; it < o.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return tsneResult{}, err
		}
		if it == phase1 {
			// sklearn runs the two phases as two calls of its gradient
			// descent: the update and gains carry over, the best error
			// does not.
			exaggeration, mu = 1, o.MomentumLate
			best, bestIter = math.Inf(1), it
		}
		check := (it+1)%tsneCheckEvery == 0
		report := o.Progress != nil && time.Since(lastReport) >= tsneProgressEvery
		// The KL divergence costs a logarithm per non-zero P, half the
		// time of an iteration: it is computed only where it is used.
		g.wantKL = check || report || it == o.Iterations-1
		if err := g.compute(ctx, y, exaggeration, grad); err != nil {
			return tsneResult{}, err
		}
		if g.wantKL {
			kl = g.kl
		}
		norm := 0.0
		for m := range y {
			gm := grad[m]
			if gm*vel[m] < 0 {
				gains[m] += 0.2
			} else {
				gains[m] *= 0.8
			}
			gains[m] = math.Max(gains[m], 0.01)
			gm *= gains[m]
			norm += gm * gm
			vel[m] = mu*vel[m] - lr*gm
			y[m] += vel[m]
		}
		if check {
			// sklearn compares the error of the P in use (exaggerated in
			// the first phase); its limit there is the phase's length.
			limit := tsneNoProgress
			if it < phase1 {
				limit = phase1
			}
			if e := g.klInUse; e < best {
				best, bestIter = e, it
			} else if it-bestIter > limit {
				it++
				break
			}
			if math.Sqrt(norm) <= tsneMinGradNorm {
				it++
				break
			}
		}
		if report {
			lastReport = time.Now()
			done := it + 1
			el := time.Since(optStart)
			left := time.Duration(float64(el) / float64(done) * float64(o.Iterations-done))
			fmt.Fprintf(o.Progress, "t-SNE: iteration %d/%d, KL %.4f, %s elapsed, about %s left\n",
				done, o.Iterations, kl, el.Round(time.Second), left.Round(time.Second))
		}
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "t-SNE: %d iterations, KL %.4f, in %s\n", it, kl, time.Since(start).Round(time.Millisecond))
	}
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{y[2*i], y[2*i+1]}
	}
	return tsneResult{y: out, kl: kl, iterations: it}, nil
}

// tsneGradient computes the KL gradient of an embedding under fixed P.
type tsneGradient struct {
	p     *sparseP
	theta float64
	tree  quadtree
	rep   []float64 // per point: Σ q̃²(y_i − y_j), two values
	z     []float64 // per point: Σ_j q̃_ij
	// wantKL asks compute for the KL divergences: kl is KL(P‖Q) over the
	// non-zero P, klInUse the same with P times the exaggeration (what
	// sklearn reports and tests for progress).
	wantKL      bool
	kl, klInUse float64
	pLogP       float64 // Σ p log p, fixed
}

func newTSNEGradient(p *sparseP, theta float64) *tsneGradient {
	n := len(p.rowStart) - 1
	g := &tsneGradient{p: p, theta: theta, rep: make([]float64, 2*n), z: make([]float64, n)}
	for _, v := range p.val {
		g.pLogP += v * math.Log(v)
	}
	return g
}

// compute writes into grad the gradient of KL(exaggeration·P ‖ Q) at y
// (n×2, row-major): 4·Σ_j (p_ij − q_ij)·q̃_ij·(y_i − y_j), the attractive
// part over P's non-zeros, the repulsive part by the quadtree.
func (g *tsneGradient) compute(ctx context.Context, y []float64, exaggeration float64, grad []float64) error {
	n := len(y) / 2
	g.tree.build(y)
	err := parallelRows(ctx, n, func(lo, hi int) error {
		var stack []int32
		for i := lo; i < hi; i++ {
			var fx, fy float64
			g.z[i], fx, fy, stack = g.tree.repulsion(i, g.theta, stack)
			g.rep[2*i], g.rep[2*i+1] = fx, fy
		}
		return nil
	})
	if err != nil {
		return err
	}
	z := 0.0
	for _, zi := range g.z {
		z += zi
	}
	pLogQ, pSum := 0.0, 0.0 // Σ p log q̃ and Σ p (1 but for rounding)
	for i := range n {
		var ax, ay float64
		for m := g.p.rowStart[i]; m < g.p.rowStart[i+1]; m++ {
			j := g.p.col[m]
			dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
			d2 := dx*dx + dy*dy
			pq := g.p.val[m] / (1 + d2)
			ax += pq * dx
			ay += pq * dy
			if g.wantKL {
				pLogQ -= g.p.val[m] * math.Log1p(d2)
				pSum += g.p.val[m]
			}
		}
		grad[2*i] = 4 * (exaggeration*ax - g.rep[2*i]/z)
		grad[2*i+1] = 4 * (exaggeration*ay - g.rep[2*i+1]/z)
	}
	if g.wantKL {
		// KL = Σ p log(p / (q̃/Z)); with P scaled by e it is e·(KL + log e).
		g.kl = g.pLogP - pLogQ + pSum*math.Log(z)
		g.klInUse = exaggeration * (g.kl + pSum*math.Log(exaggeration))
	}
	return nil
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
