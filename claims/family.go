package claims

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// Method is the paragraph that states how every verdict is reached, with
// the default Options; the report and paper/METHODS.md print it as it
// stands.
const Method = "Each claim compares two groups of independently trained networks (between groups) or the same networks under two conditions (paired: ablation, readout retraining). " +
	"Between groups we run Welch's t test (Welch–Satterthwaite df) and a two-sided permutation test of the difference in means, exhaustive over all relabellings up to C(20, 10) of them (both groups ≤ 10) and otherwise 100,000 seeded random relabellings with p = (1 + #)/(1 + resamples); " +
	"paired, the paired t test and the exact Wilcoxon signed-rank test (zero differences dropped, tied differences given mid-ranks, the exact distribution conditional on those ranks). " +
	"All p's are two-sided. A claim's p is the LARGER of its parametric and its exact test's p, so a verdict holds under both; where zero spread leaves the t test undefined, the exact test alone decides. " +
	"Holm's step-down correction is applied over the family of all directed, testable claims of the report. " +
	"**supported**: the paper's sign and Holm-adjusted p < 0.05; **contradicted**: the opposite sign and adjusted p < 0.05; **inconclusive**: neither; **not testable**: fewer than 2 networks in a group, a value that is not finite, or no direction stated by the paper. " +
	"Observed statistics are compared with their relabelled values in exact integer arithmetic (each value read as the decimal it prints as), so ties count as ties and no verdict turns on round-off. " +
	"Each result gives the difference in means with a 95 % percentile bootstrap interval (10,000 seeded resamples; paired: the mean difference with its t interval) and Hedges' g (paired: g_z) with a normal-theory 95 % interval (variance J²(1/n1 + 1/n2 + d²/(2(n1 + n2))), Borenstein et al. 2009). " +
	"For a claim that is inconclusive we give the networks per group (or pairs) that 80 % power would take, from the noncentral t, at the observed effect and at the paper's, and never fewer than the exact test needs to reach p < α at all (3 vs 3 networks: smallest p 2/20 = 0.1)."

// Design says how a comparison's values relate.
type Design int

const (
	Between Design = iota // independent groups A and B
	Paired                // A[i] and B[i] are one network's two conditions
)

func (d Design) String() string {
	switch d {
	case Between:
		return "between groups"
	case Paired:
		return "paired"
	}
	return "invalid design"
}

// PaperEffect is the paper's own difference and spread, where it gives
// them, for the sample size at the paper's effect.
type PaperEffect struct {
	Diff float64 // the paper's mean difference A − B (or mean paired difference)
	SD   float64 // its pooled SD (between groups) or SD of the differences (paired)
}

// A Comparison is one claim's data.
type Comparison struct {
	Name   string
	Design Design
	// A and B are the two groups. Paired: A[i] and B[i] belong to one
	// network, and B == nil means A already holds the differences.
	A, B      []float64
	Direction Direction    // the paper's sign of A − B
	Paper     *PaperEffect // optional
}

// Options set the level and the resampling; zero values take the defaults.
type Options struct {
	Alpha float64 // family-wise level; 0 means 0.05
	// Seed is the base seed of every resampling; each comparison mixes in
	// a hash of its name, so a row's numbers do not depend on its position.
	Seed       uint64
	ExactLimit int // most relabellings enumerated; 0 means C(20, 10)
	Resamples  int // Monte Carlo permutation resamples; 0 means 100000
	Bootstrap  int // bootstrap resamples; 0 means 10000
	Power      float64
	// NeedAlpha is the level for the sample-size estimate: 0 means Alpha;
	// pass the Holm worst case (Alpha over the family size) to be safe.
	NeedAlpha float64
}

func (o Options) withDefaults() (Options, error) {
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.Bootstrap == 0 {
		o.Bootstrap = 10000
	}
	if o.Power == 0 {
		o.Power = 0.8
	}
	if o.NeedAlpha == 0 {
		o.NeedAlpha = o.Alpha
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"alpha", o.Alpha}, {"power", o.Power}, {"need alpha", o.NeedAlpha}} {
		if !(f.v > 0 && f.v < 1) {
			return o, fmt.Errorf("options: %s %v must lie in (0, 1)", f.name, f.v)
		}
	}
	if o.Bootstrap < 0 || o.Resamples < 0 || o.ExactLimit < 0 {
		return o, errors.New("options: resample counts must not be negative")
	}
	return o, nil
}

// Need is what an inconclusive claim would take: networks per group (pairs
// for a paired claim) for the stated power of the two-sided t test at
// level Alpha, never fewer than Floor, the size at which the exact test can
// reach p < Alpha at all. 0 means out of reach (no effect, or none given).
type Need struct {
	Alpha, Power float64
	Observed     float64 // |Hedges' g| (or |g_z|) observed; NaN when there is none
	AtObserved   int
	Paper        float64 // |the paper's standardised difference|; NaN when not given
	AtPaper      int
	Floor        int
}

// Result is one claim's outcome.
type Result struct {
	Name      string
	Design    Design
	Direction Direction
	NA, NB    int // values per group (paired: pairs in both)
	// Parametric is Welch's t or the paired t; Exact the permutation or
	// the signed-rank test.
	Parametric, Exact Test
	DecidedBy         string  // the name of the test whose p decides (DecidingTest)
	P                 float64 // the deciding raw p
	AdjustedP         float64 // Holm-adjusted over the family; NaN when the row is not in it
	Effect            Effect  // Diff alone (intervals NaN) when a group is too small for more
	Verdict           Verdict
	Reason            string // the verdict in words: why not testable, why inconclusive
	Need              *Need  // for an inconclusive or too-small claim with a direction
}

// Evaluate tests every comparison and applies Holm over the family of
// directed, testable ones. A malformed comparison (unknown design or
// direction, paired groups of unequal length, a between-group claim without
// B) is an error; too few or non-finite values make a NotTestable row.
func Evaluate(family []Comparison, opt Options) ([]Result, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(family))
	var members []int
	var ps []*big.Rat
	signs := make([]int, len(family))
	for i, c := range family {
		r, sign, err := evaluate(c, opt)
		if err != nil {
			return nil, fmt.Errorf("comparison %d (%q): %w", i+1, c.Name, err)
		}
		out[i], signs[i] = r, sign
		if r.Verdict == Inconclusive { // provisional: testable and directed
			d := DecidingTest(r.Parametric, r.Exact)
			members = append(members, i)
			ps = append(ps, d.p)
		}
	}
	alpha := decimalRat(opt.Alpha)
	for k, adj := range holm(ps) {
		i := members[k]
		r := &out[i]
		r.AdjustedP = ratFloat(adj)
		r.Verdict = decide(r.Direction, signs[i], adj, alpha)
		r.Reason = reason(*r, signs[i], len(ps), opt.Alpha)
		if r.Verdict == Inconclusive {
			r.Need = need(family[i], *r, opt)
		}
	}
	return out, nil
}

// evaluate runs one comparison's tests; a testable, directed row comes back
// Inconclusive until Holm has run, with the exact sign of its effect.
func evaluate(c Comparison, opt Options) (Result, int, error) {
	r := Result{Name: c.Name, Design: c.Design, Direction: c.Direction, AdjustedP: math.NaN(), P: math.NaN()}
	r.Effect = Effect{Diff: math.NaN(), G: math.NaN(), DiffCI: Interval{math.NaN(), math.NaN()}, GCI: Interval{math.NaN(), math.NaN()}}
	switch c.Direction {
	case Greater, Less, NoDirection:
	default:
		return r, 0, fmt.Errorf("direction %d is not Greater, Less or NoDirection", c.Direction)
	}
	seed := opt.Seed ^ nameHash(c.Name)
	r.NA, r.NB = len(c.A), len(c.B)
	var sign int
	switch c.Design {
	case Between:
		if c.B == nil {
			return r, 0, errors.New("a between-group comparison needs group B")
		}
		z, err := scaleGroups(groupNames, c.A, c.B)
		if err != nil {
			return notTestable(r, c, opt, err.Error()), 0, nil
		}
		if len(c.A) > 0 && len(c.B) > 0 {
			r.Effect.Diff = stat.Mean(c.A, nil) - stat.Mean(c.B, nil)
		}
		if len(c.A) < 2 || len(c.B) < 2 {
			return notTestable(r, c, opt, fmt.Sprintf("n = %d and %d: Welch's t needs at least 2 networks in each group", len(c.A), len(c.B))), 0, nil
		}
		sign = meanDiffSign(z[0], z[1])
		if r.Parametric, err = Welch(c.A, c.B); err != nil {
			return r, 0, err
		}
		if r.Exact, err = Permutation(c.A, c.B, PermutationOptions{ExactLimit: opt.ExactLimit, Resamples: opt.Resamples, Seed: seed}); err != nil {
			return r, 0, err
		}
		r.Effect = betweenEffect(c.A, c.B, z, opt.Bootstrap, seed)
	case Paired:
		if c.B != nil && len(c.A) != len(c.B) {
			return r, 0, fmt.Errorf("paired groups differ in length: %d and %d", len(c.A), len(c.B))
		}
		r.NB = r.NA
		d, dz, err := differences(c.A, c.B)
		if err != nil {
			return notTestable(r, c, opt, err.Error()), 0, nil
		}
		if len(d) > 0 {
			r.Effect.Diff = stat.Mean(d, nil)
		}
		if len(d) < 2 {
			return notTestable(r, c, opt, fmt.Sprintf("%d pair(s): the paired t test needs at least 2", len(d))), 0, nil
		}
		sign = meanDiffSign(dz, []*big.Int{new(big.Int)})
		if r.Parametric, err = PairedT(c.A, c.B); err != nil {
			return r, 0, err
		}
		if r.Exact, err = SignedRank(c.A, c.B); err != nil {
			return r, 0, err
		}
		r.Effect = pairedEffect(d, dz)
	default:
		return r, 0, fmt.Errorf("design %d is not Between or Paired", c.Design)
	}
	d := DecidingTest(r.Parametric, r.Exact)
	r.DecidedBy, r.P = d.Name, d.P
	if c.Direction == NoDirection {
		r.Verdict = NotTestable
		r.Reason = "the paper states no direction for this comparison: reported, not judged, and not in the Holm family"
		return r, sign, nil
	}
	r.Verdict = Inconclusive
	return r, sign, nil
}

func notTestable(r Result, c Comparison, opt Options, why string) Result {
	r.Verdict, r.Reason = NotTestable, why
	if c.Direction != NoDirection {
		r.Need = need(c, r, opt)
	}
	return r
}

func betweenEffect(a, b []float64, z [][]*big.Int, resamples int, seed uint64) Effect {
	ma, va := meanVar(a, z[0])
	mb, vb := meanVar(b, z[1])
	e := Effect{Diff: ma - mb}
	e.DiffCI, _ = BootstrapMeanDiff(a, b, resamples, seed)
	e.DiffCIMethod = fmt.Sprintf("percentile bootstrap, %d resamples, seed %d", resamples, seed)
	e.G, e.GCI = HedgesG(ma, math.Sqrt(va), len(a), mb, math.Sqrt(vb), len(b))
	return e
}

func pairedEffect(d []float64, dz []*big.Int) Effect {
	e := Effect{DiffCIMethod: "t interval of the mean difference"}
	e.Diff, e.DiffCI, _ = MeanCI(d)
	sd := stat.StdDev(d, nil)
	if allEqual(dz) {
		sd = 0
		e.Diff, e.DiffCI = d[0], Interval{d[0], d[0]}
	}
	e.G, e.GCI = PairedG(e.Diff, sd, len(d))
	return e
}

// need is the sample size an inconclusive (or too small) claim would take.
func need(c Comparison, r Result, opt Options) *Need {
	n := &Need{Alpha: opt.NeedAlpha, Power: opt.Power, Observed: math.Abs(r.Effect.G), Paper: math.NaN()}
	size, floor := TwoSampleN, PermutationFloorN
	if c.Design == Paired {
		size, floor = PairedN, SignedRankFloorN
	}
	n.Floor, _ = floor(opt.NeedAlpha)
	at := func(d float64) int {
		k, err := size(d, opt.NeedAlpha, opt.Power)
		if err != nil {
			return 0
		}
		return max(k, n.Floor)
	}
	n.AtObserved = at(n.Observed)
	if c.Paper != nil && c.Paper.SD > 0 {
		n.Paper = math.Abs(c.Paper.Diff / c.Paper.SD)
		n.AtPaper = at(n.Paper)
	}
	return n
}

// reason says a judged verdict in words.
func reason(r Result, sign, m int, alpha float64) string {
	a := strconv.FormatFloat(alpha, 'g', -1, 64)
	p := fmt.Sprintf("p = %.3g (%s), Holm-adjusted over %d claims %.3g", r.P, r.DecidedBy, m, r.AdjustedP)
	var s string
	switch r.Verdict {
	case Supported:
		s = fmt.Sprintf("the paper's sign (%s), %s < %s", r.Direction, p, a)
	case Contradicted:
		s = fmt.Sprintf("the opposite of the paper's sign (%s), %s < %s", r.Direction, p, a)
	default:
		switch {
		case sign == 0:
			s = "no difference between the groups"
		default:
			s = fmt.Sprintf("%s ≥ %s", p, a)
		}
		if r.Exact.MinP >= alpha {
			s += fmt.Sprintf("; with these values the %s test cannot give p below %.3g, so no sample of this size can decide", r.Exact.Name, r.Exact.MinP)
		}
	}
	if !r.Parametric.Defined() {
		s += "; " + r.Parametric.Note + ", so the " + r.Exact.Name + " test decides alone"
	}
	return s
}

func nameHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
