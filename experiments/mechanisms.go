package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/figdata"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// The mechanism analyses of Fig 6 (paper/METHODS §4.9–4.10): DMS memory
// propagation through the one-step Jacobian (the authors'
// analysis/dms_memory_propagation.py, run_dms_memory_propagation.py,
// dms_memory_dynamics_stats.py, jacobian.py, model_stepping.py) and the
// parity CB-encoding swaps (parity_cb_encoding.py, parity_dynamics.py,
// parity_trials.py, run_parity_cb_encoding.py). Trajectories come from the
// package's forward pass (Ensemble.Dynamics) from h_0 = 0; single steps
// with the CB term replaced, and their Jacobian-vector products, from
// analysis.ElmanCell in float64, which is checked against Dynamics.
//
// Why exact JVPs rather than autodiff or finite differences: the "CB
// detached" Jacobian (the CB term held at its value, METHODS §4.9) cannot be
// expressed through the package's forward pass at all, and the analytic
// product is exact in float64 given the activation masks, costs O(H·G) per
// trial, and needs no step size; central finite differences of Dynamics
// (float32) confirm it in the tests.

// The authors' fixed trial seeds (make_fixed_dms_trials seed 12345,
// make_fixed_parity_trials seed 24680), used here as the task streams'
// seeds; the streams differ from theirs, the role is the same.
const (
	dmsMechanismSeed    uint64 = 12345
	parityMechanismSeed uint64 = 24680
)

// CellOf turns a checkpoint of an Elman network (with a feed-forward CB
// added to the pre-activation, or none) into an analysis.ElmanCell.
func CellOf(c Checkpoint) (*analysis.ElmanCell, error) {
	m := c.Config.Model
	if m.Core.Kind != gm.CoreElman || m.Core.Act != gm.ActLeakyReLU || m.Core.InputProj {
		return nil, fmt.Errorf("the mechanism analyses step the paper's leaky Elman core; %s has a %s core (act %s)", m.Describe(), m.Core.Kind, m.Core.Act)
	}
	f64 := func(name string) ([]float64, error) {
		v, ok := c.Weights[name]
		if !ok {
			return nil, fmt.Errorf("checkpoint has no parameter %q", name)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, nil
	}
	cell := &analysis.ElmanCell{H: m.Core.Hidden, I: m.Inputs, Alpha: 1 / m.Core.Tau, Slope: m.Core.Slope}
	var err error
	if cell.Wx, err = f64("inp.weight"); err != nil {
		return nil, err
	}
	if cell.Bx, err = f64("inp.bias"); err != nil {
		return nil, err
	}
	if cell.Wh, err = f64("hh.weight"); err != nil {
		return nil, err
	}
	if cell.Bh, err = f64("hh.bias"); err != nil {
		return nil, err
	}
	if m.CB != nil {
		if m.CB.Kind != gm.CBFeedforward || m.CB.Target != gm.TargetPre {
			return nil, fmt.Errorf("the mechanism analyses need a feed-forward CB added to the pre-activation, not %s → %s", m.CB.Kind, m.CB.Target)
		}
		cb := &analysis.FeedforwardCB{SeesHidden: m.CB.Sees != gm.SeesInput, SeesInput: m.CB.Sees != gm.SeesHidden}
		in := 0
		if cb.SeesHidden {
			in += m.Core.Hidden
		}
		if cb.SeesInput {
			in += m.Inputs
		}
		for _, l := range m.CB.Layers {
			out := l.Width
			if out == 0 {
				out = m.Core.Hidden
			}
			dl := analysis.DenseLayer{In: in, Out: out, Act: l.Act}
			if dl.W, err = f64(m.CB.Name + "." + l.Name + ".weight"); err != nil {
				return nil, err
			}
			if dl.B, err = f64(m.CB.Name + "." + l.Name + ".bias"); err != nil {
				return nil, err
			}
			cb.Layers = append(cb.Layers, dl)
			in = out
		}
		cell.CB = cb
	}
	return cell, cell.Validate()
}

// mechTrial is one recorded trial: its bits (channel 0) and the hidden
// state and CB term after every step.
type mechTrial struct {
	bits    []int
	x       [][]float64 // [t][I]
	hidden  [][]float64 // [t][H], state after consuming x_t
	cb      [][]float64 // [t][H] (nil without a CB)
	label   int32
	batchIx int
}

// recordTrials runs a checkpoint from h_0 = 0 on batches (CB on) and splits
// the result into trials.
func (e *Env) recordTrials(c Checkpoint, bs []*task.Batch) ([]mechTrial, error) {
	m := c.Config.Model
	ens, err := gm.NewEnsemble(e.Backend, m, []gm.Weights{c.Weights})
	if err != nil {
		return nil, err
	}
	var out []mechTrial
	for bi, b := range bs {
		dyn, err := ens.Dynamics(0, b.X, b.T, b.B, make([]float32, b.B*m.StateWidth()), true)
		if err != nil {
			return nil, err
		}
		h := dyn["hidden"]
		H := h.Shape[2]
		cbA, hasCB := dyn["cb_bias"]
		I := m.Inputs
		for k := range b.B {
			tr := mechTrial{label: b.Labels[0][k], batchIx: bi}
			for t := range b.T {
				xt := make([]float64, I)
				for ch := range I {
					xt[ch] = float64(b.X[(t*b.B+k)*I+ch])
				}
				tr.x = append(tr.x, xt)
				tr.bits = append(tr.bits, int(math.Round(xt[0])))
				row := make([]float64, H)
				for u := range H {
					row[u] = float64(h.Data[(t*b.B+k)*H+u])
				}
				tr.hidden = append(tr.hidden, row)
				if hasCB && m.CB != nil {
					cr := make([]float64, H)
					for u := range H {
						cr[u] = float64(cbA.Data[(t*b.B+k)*H+u])
					}
					tr.cb = append(tr.cb, cr)
				}
			}
			out = append(out, tr)
		}
	}
	return out, nil
}

// DMSPropagationAt measures a DMS checkpoint on `batches` fixed batches
// (the first half give the memory directions, the second half are
// evaluated; the authors use 32 of 64 trials).
func (e *Env) DMSPropagationAt(ctx context.Context, c Checkpoint, batches int) (DMSPropagation, error) {
	cell, err := CellOf(c)
	if err != nil {
		return DMSPropagation{}, err
	}
	if batches < 2 {
		return DMSPropagation{}, fmt.Errorf("DMS propagation needs at least 2 batches (directions and evaluation), got %d", batches)
	}
	bs, err := e.trials(ctx, c, dmsMechanismSeed, batches)
	if err != nil {
		return DMSPropagation{}, err
	}
	trials, err := e.recordTrials(c, bs)
	if err != nil {
		return DMSPropagation{}, err
	}
	return DMSPropagationOf(cell, trials, c.N, batches/2), nil
}

// DMSPropagationOf computes the propagation from recorded trials; trials of
// batches < dirBatches give the directions.
func DMSPropagationOf(cell *analysis.ElmanCell, trials []mechTrial, n, dirBatches int) DMSPropagation {
	res := DMSPropagation{N: n}
	var dir, ev []mechTrial
	for _, tr := range trials {
		if tr.batchIx < dirBatches {
			dir = append(dir, tr)
		} else {
			ev = append(ev, tr)
		}
	}
	res.DirTrials, res.EvTrials = len(dir), len(ev)
	// Memory directions m_t for t_rel = 0…N−1 (t = T−N+t_rel).
	dirs := make([][]float64, n)
	for rel := range n {
		var states [][]float64
		var sample []int32
		for _, tr := range dir {
			ts := len(tr.bits) - n
			states = append(states, tr.hidden[ts+rel])
			sample = append(sample, int32(tr.bits[ts]))
		}
		dirs[rel] = analysis.MemoryDirection(states, sample)
	}
	for rel := 0; rel <= n-3; rel++ {
		mt, mn := dirs[rel], dirs[rel+1]
		if mt == nil || mn == nil {
			res.Full, res.Det, res.CB = append(res.Full, math.NaN()), append(res.Det, math.NaN()), append(res.CB, math.NaN())
			continue
		}
		var qf, qd float64
		for _, tr := range ev {
			t := len(tr.bits) - n + rel
			qf += analysis.Dot(mn, cell.JVP(tr.hidden[t], tr.x[t+1], mt, true))
			qd += analysis.Dot(mn, cell.JVP(tr.hidden[t], tr.x[t+1], mt, false))
		}
		qf, qd = qf/float64(len(ev)), qd/float64(len(ev))
		res.Full, res.Det, res.CB = append(res.Full, qf), append(res.Det, qd), append(res.CB, qf-qd)
	}
	res.QFull, res.QDet, res.QCB = analysis.MeanFinite(res.Full), analysis.MeanFinite(res.Det), analysis.MeanFinite(res.CB)
	return res
}

// ParitySwapAt measures a parity checkpoint with a CB on `batches` fixed
// batches (the authors use 8 of 64).
func (e *Env) ParitySwapAt(ctx context.Context, c Checkpoint, batches int) (ParitySwap, error) {
	if c.Config.Model.CB == nil {
		return ParitySwap{}, fmt.Errorf("parity CB swaps need a network with a CB")
	}
	cell, err := CellOf(c)
	if err != nil {
		return ParitySwap{}, err
	}
	bs, err := e.trials(ctx, c, parityMechanismSeed, batches)
	if err != nil {
		return ParitySwap{}, err
	}
	trials, err := e.recordTrials(c, bs)
	if err != nil {
		return ParitySwap{}, err
	}
	return ParitySwapOf(cell, trials, c.N, parityMechanismSeed)
}

// parityTransition is one step t ≥ N of a trial.
type parityTransition struct {
	hBefore, hAfter, x, cb []float64
	c, i, o, next, group   int
}

// ParitySwapOf computes the swaps from recorded trials.
func ParitySwapOf(cell *analysis.ElmanCell, trials []mechTrial, n int, seed uint64) (ParitySwap, error) {
	res := ParitySwap{N: n}
	var trs []parityTransition
	for _, tr := range trials {
		for t := n; t < len(tr.bits); t++ {
			p := parityTransition{hBefore: tr.hidden[t-1], hAfter: tr.hidden[t], x: tr.x[t], cb: tr.cb[t],
				c: analysis.WindowParity(tr.bits, t-1, n), i: tr.bits[t], o: tr.bits[t-n], next: analysis.WindowParity(tr.bits, t, n)}
			if p.next != p.c^p.i^p.o {
				return res, fmt.Errorf("parity bookkeeping broken at t=%d: next %d ≠ c⊕i⊕o", t, p.next)
			}
			p.group = analysis.ParityGroup(p.c, p.i, p.o)
			trs = append(trs, p)
		}
	}
	res.Transitions = len(trs)
	if len(trs) < 10 {
		return res, fmt.Errorf("only %d parity transitions at N=%d", len(trs), n)
	}
	// 70/30 split (parity_dynamics.py: build_reference_geometry).
	r := rand.New(rand.NewPCG(seed, 0))
	perm := r.Perm(len(trs))
	nTrain := int(0.7 * float64(len(trs)))
	var states [][]float64
	var next []int
	for _, k := range perm[:nTrain] {
		states, next = append(states, trs[k].hAfter), append(next, trs[k].next)
	}
	axis, ok := analysis.ParityReference(states, next)
	if !ok || axis.HalfSep == 0 {
		return res, fmt.Errorf("parity reference axis undefined at N=%d (one parity missing, or equal centroids)", n)
	}
	res.HalfSep = axis.HalfSep
	ev := make([]parityTransition, 0, len(trs)-nTrain)
	for _, k := range perm[nTrain:] {
		ev = append(ev, trs[k])
	}
	res.Evaluated = len(ev)
	group := make([]int, len(ev))
	for k, p := range ev {
		group[k] = p.group
	}
	score := func(b func(k int) []float64) float64 {
		s, cnt := 0.0, 0
		for k, p := range ev {
			bk := b(k)
			if bk == nil { // a recipient without donors keeps its own term
				bk = p.cb
			}
			s += axis.Score(cell.Step(p.hBefore, p.x, bk), p.next)
			cnt++
		}
		return s / float64(cnt) / axis.HalfSep
	}
	borrow := func(donors func(int) []int, off uint64) func(int) []float64 {
		d := analysis.BorrowDonors(group, donors, rand.New(rand.NewPCG(seed+off, 0)))
		return func(k int) []float64 {
			if d[k] < 0 {
				return nil
			}
			return ev[d[k]].cb
		}
	}
	flip := func(bit int) func(int) []int { return func(g int) []int { return []int{g ^ bit} } }
	res.Correct = score(func(k int) []float64 { return ev[k].cb })
	zero := make([]float64, cell.H)
	res.NoCB = score(func(int) []float64 { return zero })
	res.WrongOut = score(borrow(flip(1), 10))
	res.WrongIn = score(borrow(flip(2), 11))
	res.WrongParity = score(borrow(flip(4), 12))
	res.Same = score(borrow(analysis.SameNextParity, 13))
	res.Opposite = score(borrow(analysis.OtherNextParity, 14))
	return res, nil
}

// mechanismNs is the intersection of the runs' Ns within [lo, hi], spread to
// at most maxNs.
func mechanismNs(dirs []*rundir.Dir, lo, hi, maxNs int) ([]int, error) {
	ns, err := CommonNs(dirs)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, n := range ns {
		if n >= lo && n <= hi {
			out = append(out, n)
		}
	}
	return spread(out, maxNs), nil
}

// reachedNs is every N within [lo, hi] that at least minNets of one of the
// groups reached (RunNs), ascending, spread to at most maxNs, and which
// of those Ns each run has.
func reachedNs(groups [][]*rundir.Dir, lo, hi, minNets, maxNs int) ([]int, map[*rundir.Dir]map[int]bool, error) {
	has := map[*rundir.Dir]map[int]bool{}
	keep := map[int]bool{}
	for _, dirs := range groups {
		count := map[int]int{}
		for _, d := range dirs {
			ns, err := RunNs(d)
			if err != nil {
				return nil, nil, err
			}
			has[d] = map[int]bool{}
			for _, n := range ns {
				has[d][n] = true
				count[n]++
			}
		}
		for n, c := range count {
			if n >= lo && n <= hi && c >= min(minNets, len(dirs)) {
				keep[n] = true
			}
		}
	}
	out := make([]int, 0, len(keep))
	for n := range keep {
		out = append(out, n)
	}
	sort.Ints(out)
	return spread(out, maxNs), has, nil
}

// Fig 6's data types live in figdata, for the fig6 notebook to read
// without GoMLX.
type (
	// DMSPropagation is figdata.DMSPropagation.
	DMSPropagation = figdata.DMSPropagation
	// ParitySwap is figdata.ParitySwap.
	ParitySwap = figdata.ParitySwap
	// MechanismStudy is figdata.MechanismStudy.
	MechanismStudy = figdata.MechanismStudy
)

// MinMechanismN and MaxMechanismN bound the DMS Ns (figdata).
const (
	MinMechanismN = figdata.MinMechanismN
	MaxMechanismN = figdata.MaxMechanismN
)

// ParitySwapConditions names the drawn conditions in the authors' order.
var ParitySwapConditions = figdata.ParitySwapConditions

// MechanismStudyOf runs Fig 6's analyses: DMS propagation on the DMS CB
// runs and baseline runs, parity swaps on the parity CB runs (Ns shared
// with the parity baseline runs, as the authors' runs are analysed
// together). dmsBatches and parityBatches are the fixed trials (the
// authors: 32 and 8 batches of 64).
func (e *Env) MechanismStudyOf(ctx context.Context, dmsCB, dmsBase, parityCB, parityBase []*rundir.Dir, dmsBatches, parityBatches, maxNs int) (*MechanismStudy, error) {
	s := &MechanismStudy{DMSBatches: dmsBatches, ParityBatches: parityBatches}
	var err error
	var has map[*rundir.Dir]map[int]bool
	if s.DMSNs, has, err = reachedNs([][]*rundir.Dir{dmsCB, dmsBase}, MinMechanismN, MaxMechanismN, 2, maxNs); err != nil {
		return nil, err
	}
	run := func(dirs []*rundir.Dir) ([]string, [][]DMSPropagation, error) {
		var names []string
		var out [][]DMSPropagation
		for _, d := range dirs {
			names = append(names, filepath.Base(d.Path))
			var row []DMSPropagation
			for _, n := range s.DMSNs {
				if !has[d][n] {
					nan := math.NaN()
					row = append(row, DMSPropagation{N: n, QFull: nan, QDet: nan, QCB: nan})
					continue
				}
				cp, err := LoadCheckpointAt(d, n)
				if err != nil {
					return nil, nil, err
				}
				r, err := e.DMSPropagationAt(ctx, cp, dmsBatches)
				if err != nil {
					return nil, nil, err
				}
				row = append(row, r)
			}
			out = append(out, row)
		}
		return names, out, nil
	}
	if s.DMSNets, s.DMS, err = run(dmsCB); err != nil {
		return nil, err
	}
	if s.DMSBaseNets, s.DMSBase, err = run(dmsBase); err != nil {
		return nil, err
	}
	if s.ParityNs, err = mechanismNs(append(append([]*rundir.Dir{}, parityCB...), parityBase...), 2, math.MaxInt, maxNs); err != nil {
		return nil, err
	}
	for _, d := range parityCB {
		s.ParityNets = append(s.ParityNets, filepath.Base(d.Path))
		var row []ParitySwap
		for _, n := range s.ParityNs {
			cp, err := LoadCheckpointAt(d, n)
			if err != nil {
				return nil, err
			}
			r, err := e.ParitySwapAt(ctx, cp, parityBatches)
			if err != nil {
				return nil, err
			}
			row = append(row, r)
		}
		s.Parity = append(s.Parity, row)
	}
	return s, nil
}
