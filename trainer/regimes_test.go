package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// The regimes of METHODS §3.7–3.9 run end to end on fake tasks whose right
// answers are known. Training labels are 0 (learnt in the first epoch at
// the fake learning rate); where a test below needs a head to fail, test
// batch i of an epoch labels its first i trials 1, so a head that answers 0
// scores (8+7+6+5)/4/8 = 81.25 % exactly (TestProtocolMechanics).
func lockedTest(r task.Request, trial int) int32 {
	if r.Split == task.Test && uint64(trial) < r.Index%4 {
		return 1
	}
	return 0
}

func nsOf(st []EpochStats) []int {
	var out []int
	for _, s := range st {
		out = append(out, s.N)
	}
	return out
}

// TestFixedScheduleProtocol: N advances every 2 epochs whether or not it is
// solved, and the model is checkpointed at every advance.
func TestFixedScheduleProtocol(t *testing.T) {
	for _, tc := range []struct {
		name      string
		learnable bool
	}{{"solved every epoch", true}, {"never solved", false}} {
		t.Run(tc.name, func(t *testing.T) {
			src := newFake(1, func(r task.Request, _, trial int, _ *rand.Rand) int32 {
				if tc.learnable {
					return 0
				}
				return lockedTest(r, trial)
			})
			c := fakeConfig(1, 6)
			c.AdvanceEvery = 2
			r := trainFake(t, c, src, t.TempDir())
			st := stats(t, r.Dir)
			if got := nsOf(st); !slices.Equal(got, []int{2, 2, 3, 3, 4, 4}) {
				t.Errorf("N per epoch %v, want [2 2 3 3 4 4]", got)
			}
			for _, s := range st {
				if s.Solved != tc.learnable || s.Solved != (s.TestAcc >= 98) {
					t.Errorf("epoch %d: solved=%v at %.2f%%", s.Epoch, s.Solved, s.TestAcc)
				}
			}
			ns, err := r.Dir.CheckpointNs()
			if err != nil || !slices.Equal(ns, []int{2, 3, 4}) {
				t.Fatalf("checkpoints at N %v (%v), want one per advance: [2 3 4]", ns, err)
			}
			for i, n := range ns {
				_, meta, err := r.Dir.LoadCheckpoint(n)
				if err != nil || meta["epoch"] != fmt.Sprint(2*(i+1)) || meta["solved"] != fmt.Sprint(tc.learnable) {
					t.Errorf("checkpoint N=%d: meta %v (%v), want epoch %d solved=%v", n, meta, err, 2*(i+1), tc.learnable)
				}
			}
		})
	}
}

// multiNFake is a fake multi-N task with 5 heads: head j labels N = first + j.
// Test labels fail (81.25 %) for the head whose N is bad.
func multiNFake(bad int) *fakeSource {
	src := newFake(5, func(r task.Request, head, trial int, _ *rand.Rand) int32 {
		var first int
		fmt.Sscan(r.Params[firstParam], &first)
		if first+head == bad {
			return lockedTest(r, trial)
		}
		return 0
	})
	src.desc.Params = []task.Param{{Key: firstParam, Default: "2"}}
	return src
}

// TestMultiHeadProtocol: the cumulative and sliding curricula ask for the
// right run of Ns (first N as a parameter, the largest as the request's N),
// score the mean over the Ns' heads, and advance by their rules.
func TestMultiHeadProtocol(t *testing.T) {
	for _, tc := range []struct {
		name    string
		k       Curricula
		bad     int
		wantN   []int
		wantLow []int
		wantAcc [][]float64 // HeadAcc per epoch
	}{
		// Ns [2] ✓ → [2 3]: head 1 (N=3) fails → mean 90.625, stays.
		{"cumulative", Curricula{Curriculum: Cumulative}, 3, []int{2, 3, 3}, []int{2, 2, 2}, [][]float64{{100}, {100, 81.25}, {100, 81.25}}},
		// Window 2: Ns [2 3] ✓ → [3 4]: head 1 (N=4) fails.
		{"sliding", Curricula{Curriculum: Sliding, InitHeads: 2, ForgetHeads: 1}, 4, []int{3, 4, 4}, []int{2, 3, 3}, [][]float64{{100, 100}, {100, 81.25}, {100, 81.25}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := multiNFake(tc.bad)
			c := fakeConfig(5, 3)
			c.MaxN, c.Curricula = 6, tc.k
			c.Model = gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Heads: tc.k.ModelHeads(src.desc.Heads)})
			r := trainFake(t, c, src, t.TempDir())
			st := stats(t, r.Dir)
			for i, s := range st {
				if s.N != tc.wantN[i] || s.Low != tc.wantLow[i] || s.Heads != s.N-s.Low+1 || !slices.Equal(s.HeadAcc, tc.wantAcc[i]) {
					t.Fatalf("epoch %d: N=%d low=%d heads=%d acc %v; want N=%d low=%d acc %v", s.Epoch, s.N, s.Low, s.Heads, s.HeadAcc, tc.wantN[i], tc.wantLow[i], tc.wantAcc[i])
				}
				mean := 0.0
				for _, a := range tc.wantAcc[i] {
					mean += a / float64(len(tc.wantAcc[i]))
				}
				if math.Abs(s.TestAcc-mean) > 1e-12 || s.Solved != (mean >= 98) {
					t.Errorf("epoch %d: test accuracy %v solved=%v, want the mean over heads %v", s.Epoch, s.TestAcc, s.Solved, mean)
				}
				for _, split := range []task.Split{task.Train, task.Test} {
					steps := map[task.Split]int{task.Train: c.Steps, task.Test: c.TestSteps}[split]
					for k := range steps {
						idx := i*steps + k
						if n, p := src.nOf(split, idx), src.paramsOf(split, idx); n != s.N || p[firstParam] != fmt.Sprint(s.Low) {
							t.Errorf("epoch %d %s batch %d: N=%d first=%s, want N=%d first=%d", s.Epoch, split, k, n, p[firstParam], s.N, s.Low)
						}
					}
				}
			}
			if ns, _ := r.Dir.CheckpointNs(); !slices.Equal(ns, tc.wantN[:1]) {
				t.Errorf("checkpoints %v, want the solved largest N %v", ns, tc.wantN[:1])
			}
		})
	}
}

// switchFake is a fake switching task (two input channels, heads dms and
// parity, parameter active) where parity fails from N = 3 on.
func switchFake() *fakeSource {
	src := newFake(2, func(r task.Request, head, trial int, _ *rand.Rand) int32 {
		if head == 1 && r.N >= 3 {
			return lockedTest(r, trial)
		}
		return 0
	})
	src.desc.Name, src.desc.Inputs = "fakeswitch", 2
	src.desc.HeadNames = []string{"dms", "parity"}
	src.desc.Params = []task.Param{{Key: "active", Default: "dms"}}
	return src
}

// TestContinualProtocol runs plan dms, parity, dms in 3-epoch phases.
// Phase 0: dms solves 2, 3, 4. Phase 1: parity restarts at 2, solves it,
// then stays at 3 (81.25 %). Phase 2: dms restarts at its last solved N − 1
// = 3. Every epoch tests each task on its own stream at its own N; the
// inactive head does not change; savings come out of the stats.
func TestContinualProtocol(t *testing.T) {
	src := switchFake()
	c := fakeConfig(2, 9)
	c.Model = gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: 2, Heads: []int{2, 2}})
	c.Task = "fakeswitch"
	c.Curricula = Curricula{Curriculum: Continual, Plan: "dms,parity,dms", EpochsPerPhase: 3}
	r := trainFake(t, c, src, t.TempDir())
	st := stats(t, r.Dir)
	if len(st) != 9 {
		t.Fatalf("%d epochs, want 9", len(st))
	}
	wantActive := []string{"dms", "dms", "dms", "parity", "parity", "parity", "dms", "dms", "dms"}
	wantN := []int{2, 3, 4, 2, 3, 3, 3}
	wantHeadN := [][]int{{2, 2}, {3, 2}, {4, 2}, {5, 2}, {5, 3}, {5, 3}, {3, 3}}
	for i, s := range st {
		if s.Active != wantActive[i] || s.PlanPhase != i/3 {
			t.Fatalf("epoch %d: task %s phase %d, want %s, phase %d", s.Epoch, s.Active, s.PlanPhase, wantActive[i], i/3)
		}
		if i < len(wantN) && (s.N != wantN[i] || !slices.Equal(s.HeadN, wantHeadN[i])) {
			t.Errorf("epoch %d: N=%d, task Ns %v; want %d, %v", s.Epoch, s.N, s.HeadN, wantN[i], wantHeadN[i])
		}
		a := slices.Index([]string{"dms", "parity"}, s.Active)
		if s.TestAcc != s.HeadAcc[a] || s.Solved != (s.TestAcc >= 98) || s.N != s.HeadN[a] {
			t.Errorf("epoch %d: test accuracy %v solved=%v, want the active task's %v", s.Epoch, s.TestAcc, s.Solved, s.HeadAcc)
		}
		// Training batches: the active task at its N.
		for k := range c.Steps {
			if n, p := src.nOf(task.Train, i*c.Steps+k), src.paramsOf(task.Train, i*c.Steps+k); n != s.N || p["active"] != s.Active {
				t.Errorf("epoch %d training batch %d: N=%d active=%s, want %d %s", s.Epoch, k, n, p["active"], s.N, s.Active)
			}
		}
		// Test batches: pass p tests task p at its own N.
		for p, name := range []string{"dms", "parity"} {
			for k := range c.TestSteps {
				idx := int(batchIndex(i, p, 2, c.TestSteps, k))
				if n, ps := src.nOf(task.Test, idx), src.paramsOf(task.Test, idx); n != s.HeadN[p] || ps["active"] != name {
					t.Errorf("epoch %d test pass %s batch %d: N=%d active=%s, want N=%d", s.Epoch, name, k, n, ps["active"], s.HeadN[p])
				}
			}
		}
	}
	for i := 3; i < 6; i++ { // parity from 3 on answers 0 to every trial
		if s := st[i]; s.N >= 3 && s.HeadAcc[1] != 81.25 {
			t.Errorf("epoch %d: parity at N=%d scored %v, want exactly 81.25", s.Epoch, s.N, s.HeadAcc[1])
		}
	}
	// Checkpoints: one per advance, named by task, global epoch and N.
	names, err := r.Dir.NamedCheckpoints()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range st {
		if s.Solved {
			want = append(want, fmt.Sprintf("%s-ep%04d-N%03d", s.Active, s.Epoch, s.N))
		}
	}
	slices.Sort(want)
	if !slices.Equal(names, want) || !slices.Contains(names, "dms-ep0003-N004") || !slices.Contains(names, "parity-ep0004-N002") {
		t.Fatalf("checkpoints %v, want %v", names, want)
	}
	// Phase 1 trains parity only: the dms head at its end (parity's
	// checkpoint, epoch 4) equals the one at the end of phase 0 (epoch 3).
	load := func(name string) gm.Weights {
		ts, _, err := r.Dir.LoadNamedCheckpoint(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := FromTensors(c.Model, ts, "")
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	end0, in1 := load("dms-ep0003-N004"), load("parity-ep0004-N002")
	for name := range end0 {
		same := slices.Equal(end0[name], in1[name])
		if head0 := name == "heads.0.weight" || name == "heads.0.bias"; head0 != same {
			t.Errorf("%s: unchanged across a parity epoch = %v, want %v (only the inactive head is frozen)", name, same, head0)
		}
	}
	// Savings: dms met twice; phase 2's first epoch at ≥ 98 % (restart at 3).
	phases, err := ContinualPhases(st, []string{"dms", "parity"})
	if err != nil || len(phases) != 3 {
		t.Fatalf("phases %+v: %v", phases, err)
	}
	s := savingsOf(t, phases, 98)
	if s.EpochsToCriterion[0] != 1 || s.BudgetEpochs != 3 {
		t.Errorf("dms savings %+v: phase 0 solves at epoch 1, budget 3 epochs", s)
	}
}

// TestRegimesResume interrupts each new regime mid-epoch (on the real
// tasks, in process), resumes it, and requires the record of an
// uninterrupted run, including the fields the regimes add.
func TestRegimesResume(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal()
	for _, tc := range []struct {
		name string
		make func() Config
		cut  int // batches before the interruption
	}{
		{"continual frozen-core", func() Config {
			c := tinyOn("switch", 2, 2, []int{2, 2}, 7)
			c.Regime, c.Curricula = FrozenCore, Curricula{Curriculum: Continual, Plan: "dms,parity,dms", EpochsPerPhase: 2}
			return c
		}, 3*5 + 7 + 2},
		{"continual periodic", func() Config {
			c := tinyOn("switch", 2, 2, []int{2, 2}, 8)
			c.Regime, c.Period, c.Curricula = PeriodicCore, 2, Curricula{Curriculum: Continual, Plan: "parity,dms", EpochsPerPhase: 2, Patience: 2}
			return c
		}, 2*7 + 5},
		{"cumulative", func() Config {
			c := tinyOn("dms_multin", 1, 149, nil, 9)
			c.Curricula = Curricula{Curriculum: Cumulative, InitHeads: 2}
			return c
		}, 2*5 + 4},
		{"sliding", func() Config {
			c := tinyOn("parity_multin", 1, 3, nil, 10)
			c.Curricula = Curricula{Curriculum: Sliding, InitHeads: 3, ForgetHeads: 2}
			return c
		}, 2*5 + 1},
		{"fixed schedule", func() Config {
			c := tinyOn("dms", 1, 1, nil, 11)
			c.AdvanceEvery = 1
			return c
		}, 2*5 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.make()
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			full := newRun(t, c, filepath.Join(t.TempDir(), "full"))
			if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "cut")
			ctx, cancel := context.WithCancel(context.Background())
			err := Train(ctx, []Run{newRun(t, c, dir)}, Options{Backend: be, Source: &cancelAfter{Source: src, n: tc.cut, cancel: cancel}, Prefetch: 1})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run returned %v", err)
			}
			d, _ := rundir.Open(dir)
			if n := len(stats(t, d)); n < 1 || n >= c.Epochs {
				t.Fatalf("interrupted run kept %d epochs, want between 1 and %d", n, c.Epochs-1)
			}
			resumed := newRun(t, c, dir)
			if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
				t.Fatal(err)
			}
			a, b := stats(t, full.Dir), stats(t, resumed.Dir)
			sameStats(t, tc.name, a, b, 1e-6)
			for i := range a {
				x, y := a[i], b[i]
				if x.Active != y.Active || x.PlanPhase != y.PlanPhase || !slices.Equal(x.HeadN, y.HeadN) || x.Low != y.Low || x.Heads != y.Heads ||
					len(x.HeadAcc) != len(y.HeadAcc) {
					t.Fatalf("epoch %d differs:\n %+v\n %+v", i+1, x, y)
				}
				for h := range x.HeadAcc {
					if math.Abs(x.HeadAcc[h]-y.HeadAcc[h]) > 1e-6 {
						t.Fatalf("epoch %d head %d accuracy %v vs %v", i+1, h, x.HeadAcc[h], y.HeadAcc[h])
					}
				}
			}
			ca, _ := full.Dir.NamedCheckpoints()
			cb, _ := resumed.Dir.NamedCheckpoints()
			na, _ := full.Dir.CheckpointNs()
			nb, _ := resumed.Dir.CheckpointNs()
			if !reflect.DeepEqual(ca, cb) || !reflect.DeepEqual(na, nb) {
				t.Errorf("checkpoints differ: %v %v vs %v %v", ca, na, cb, nb)
			}
		})
	}
}

// tinyOn is tiny() on a task of the given shape (a sliding model reads the
// first `heads` heads of a multi-N task).
func tinyOn(taskName string, inputs, heads int, classes []int, seed uint64) Config {
	if classes == nil {
		classes = make([]int, heads)
		for i := range classes {
			classes[i] = 2
		}
	}
	c := tiny(taskName, seed)
	c.Model = gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: inputs, Heads: classes})
	c.Epochs = 5
	return c
}
