package costmodel

import (
	"fmt"
	"math"
	"sort"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// StepCost is the measured wall time of one ensemble step at one bucket
// length: a training step, a test (forward-only) step, and compiling both.
type StepCost struct {
	Train, Eval, Compile time.Duration
}

// Costs holds the measured StepCost per bucket length.
type Costs map[int]StepCost

// Protocol is the shape of an epoch (METHODS §3: 100 training and 50 test
// batches) for an ensemble of Members networks trained in one graph.
type Protocol struct {
	Epochs, Steps, TestSteps, Members int
}

// Lengths is a task's length rule: every member draws its batch's length
// uniformly from {lo(N), …, hi(N)}, independently of the others.
type Lengths func(n int) (lo, hi int)

// A task's declaration gives its rule: task.Description.TBounds is a
// Lengths.

// PaperCeilingN is where the paper's N curves are priced to level off:
// Table 4's largest mean max N (Periodic-core on DMS, 35.63). Both the
// estimate of `cbrnn bench` and a Slurm plan price at it; a run that learns
// further takes longer than priced (on a cluster it reaches its time limit,
// saves, is requeued and resumes).
const PaperCeilingN = 36

// BucketDist returns the probability of each bucket length for one ensemble
// step: members draw their lengths independently and the step runs at the
// bucket of the longest, P(max ≤ t) = ((t−lo+1)/(hi−lo+1))^K.
func BucketDist(lo, hi, members int) (map[int]float64, error) {
	if lo < 1 || hi < lo || members < 1 {
		return nil, fmt.Errorf("costmodel: bad length range {%d..%d} for %d members", lo, hi, members)
	}
	cdf := func(t int) float64 {
		if t < lo {
			return 0
		}
		return math.Pow(float64(min(t, hi)-lo+1)/float64(hi-lo+1), float64(members))
	}
	dist := map[int]float64{}
	prev := 0 // largest length already accounted for
	for prev < hi {
		b := gm.BucketFor(max(prev+1, lo))
		dist[b] = cdf(b) - cdf(prev)
		prev = b
	}
	return dist, nil
}

// Epoch returns the expected wall time of one epoch at N.
func (c Costs) Epoch(p Protocol, lengths Lengths, n int) (time.Duration, error) {
	d, _, err := c.epoch(p, lengths, n)
	return d, err
}

// epoch is Epoch, also returning the law of the step's bucket it priced.
func (c Costs) epoch(p Protocol, lengths Lengths, n int) (time.Duration, map[int]float64, error) {
	lo, hi := lengths(n)
	dist, err := BucketDist(lo, hi, p.Members)
	if err != nil {
		return 0, nil, err
	}
	var ms float64
	for b, prob := range dist {
		sc, ok := c[b]
		if !ok {
			return 0, nil, fmt.Errorf("costmodel: N=%d needs bucket %d, which was not measured (have %v)", n, b, c.Buckets())
		}
		ms += prob * (float64(p.Steps)*ms64(sc.Train) + float64(p.TestSteps)*ms64(sc.Eval))
	}
	return time.Duration(ms * float64(time.Millisecond)), dist, nil
}

// Estimate is the priced protocol.
type Estimate struct {
	Training time.Duration // expected, over the epochs
	Compile  time.Duration // once per bucket the curve reaches
	Buckets  []int         // the buckets the curve reaches
}

// Total is training plus compilation.
func (e Estimate) Total() time.Duration { return e.Training + e.Compile }

// Run prices p.Epochs epochs that train at curve(epoch) (epoch from 0),
// plus one compilation of every bucket the curve reaches.
func (c Costs) Run(p Protocol, lengths Lengths, curve func(epoch int) int) (Estimate, error) {
	var est Estimate
	perN := map[int]time.Duration{}
	used := map[int]bool{}
	for e := range p.Epochs {
		n := curve(e)
		d, ok := perN[n]
		if !ok {
			var dist map[int]float64
			var err error
			if d, dist, err = c.epoch(p, lengths, n); err != nil {
				return Estimate{}, err
			}
			perN[n] = d
			for b := range dist {
				used[b] = true
			}
		}
		est.Training += d
	}
	for b := range used {
		est.Buckets = append(est.Buckets, b)
		est.Compile += c[b].Compile
	}
	sort.Ints(est.Buckets)
	return est, nil
}

// Buckets lists the measured bucket lengths in order.
func (c Costs) Buckets() []int {
	out := make([]int, 0, len(c))
	for b := range c {
		out = append(out, b)
	}
	sort.Ints(out)
	return out
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
