package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func backend(t testing.TB) compute.Backend {
	t.Helper()
	b, _, err := gm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tiny is a small CB-RNN protocol that runs in seconds.
func tiny(taskName string, seed uint64) Config {
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	c := Paper(taskName, m, seed)
	c.ModelName = "cb-rnn"
	c.Epochs, c.Steps, c.TestSteps, c.Batch, c.MaxN = 4, 3, 2, 8, 150
	return c
}

func newRun(t *testing.T, c Config, dir string) Run {
	t.Helper()
	d, err := rundir.Create(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	return Run{Config: c, Dir: d}
}

func stats(t *testing.T, d *rundir.Dir) []EpochStats {
	t.Helper()
	st, err := rundir.ReadStats[EpochStats](d)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sameStats compares two runs' per-epoch records, ignoring wall time.
func sameStats(t *testing.T, name string, a, b []EpochStats, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d epochs vs %d", name, len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Epoch != y.Epoch || x.N != y.N || x.Phase != y.Phase || x.Solved != y.Solved || x.Skipped != y.Skipped ||
			math.Abs(x.TrainLoss-y.TrainLoss) > tol || math.Abs(x.TestAcc-y.TestAcc) > tol || math.Abs(x.GradNorm-y.GradNorm) > tol {
			t.Fatalf("%s: epoch %d differs:\n %+v\n %+v", name, i+1, x, y)
		}
	}
}

func TestTrainWritesStatsAndState(t *testing.T) {
	src := tasks.NewLocal(tasks.All...)
	r := newRun(t, tiny("dms", 1), t.TempDir())
	if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src}); err != nil {
		t.Fatal(err)
	}
	st := stats(t, r.Dir)
	if len(st) != 4 {
		t.Fatalf("%d stats lines, want 4 (the epoch budget)", len(st))
	}
	for i, s := range st {
		if s.Epoch != i+1 || s.N < 2 || s.TestAcc < 0 || s.TestAcc > 100 || math.IsNaN(s.TrainLoss) || s.GradNorm <= 0 {
			t.Errorf("implausible record %+v", s)
		}
		// The test loss is recorded, positive and finite (a cross-entropy).
		if s.TestLoss == nil || !(*s.TestLoss > 0) || math.IsInf(*s.TestLoss, 0) {
			t.Errorf("epoch %d: test loss %v, want a positive finite cross-entropy", s.Epoch, s.TestLoss)
		}
	}
	if done, _ := r.Dir.Done(); !done {
		t.Error("finished run not marked done")
	}
	var prov []Provenance
	if b, err := os.ReadFile(filepath.Join(r.Dir.Path, ProvenanceFile)); err != nil || json.Unmarshal(b, &prov) != nil ||
		len(prov) != 1 || prov[0].Backend == "" || prov[0].Go == "" {
		t.Errorf("provenance %+v (%v): want one session naming backend and Go version", prov, err)
	}
	var s State
	if _, found, err := r.Dir.LoadState(&s); err != nil || !found || s.Epoch != 4 || !s.Done {
		t.Errorf("state after the run: %+v found=%v err=%v", s, found, err)
	}
}

// cancelAfter is a Source that cancels its context after a number of
// batches: a run interrupted mid-epoch.
type cancelAfter struct {
	task.Source
	n      int
	cancel func()
}

func (c *cancelAfter) Batch(ctx context.Context, r task.Request) (*task.Batch, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.Source.Batch(ctx, r)
}

// TestResumeMatchesUninterrupted interrupts a run mid-epoch, resumes it, and
// requires the same stats as an uninterrupted run.
func TestResumeMatchesUninterrupted(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	c := tiny("parity", 3)
	full := newRun(t, c, filepath.Join(t.TempDir(), "full"))
	if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cut")
	ctx, cancel := context.WithCancel(context.Background())
	// 2 epochs × 5 batches, then 2 into the third.
	cut := &cancelAfter{Source: src, n: 12, cancel: cancel}
	err := Train(ctx, []Run{newRun(t, c, dir)}, Options{Backend: be, Source: cut, Prefetch: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	d, _ := rundir.Open(dir)
	if n := len(stats(t, d)); n < 1 || n >= 4 {
		t.Fatalf("interrupted run kept %d epochs, want between 1 and 3", n)
	}
	resumed := newRun(t, c, dir)
	if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	sameStats(t, "resumed vs uninterrupted", stats(t, full.Dir), stats(t, resumed.Dir), 1e-6)
}

// TestEnsembleMatchesSingleRuns trains three runs (two tasks, different
// seeds, so different lengths in every batch) in one graph and each alone.
func TestEnsembleMatchesSingleRuns(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	cs := []Config{tiny("dms", 1), tiny("parity", 2), tiny("dms", 5)}
	cs[2].Regime = FrozenCore
	root := t.TempDir()
	var together []Run
	for i, c := range cs {
		together = append(together, newRun(t, c, filepath.Join(root, "ens", string(rune('a'+i)))))
	}
	if err := Train(context.Background(), together, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		alone := newRun(t, c, filepath.Join(root, "alone", string(rune('a'+i))))
		if err := Train(context.Background(), []Run{alone}, Options{Backend: be, Source: src}); err != nil {
			t.Fatal(err)
		}
		sameStats(t, c.Task, stats(t, alone.Dir), stats(t, together[i].Dir), 0)
	}
}

// TestMembersFinishingApart: three paper-size runs with
// different epoch budgets train together, spread over two executors; each
// leaves the graph when it is done, and each ends bit for bit where it ends
// trained alone: the same stats, the same weights and momentum. Batch 32
// and N = 6 (sequences of 8…25 steps) cross the Go backend's kernel switch
// between one member and three, which made the epochs run after the others
// finished differ in the 4th significant digit.
func TestMembersFinishingApart(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size networks")
	}
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	m := gm.MustBuild("cb-rnn", gm.Options{Inputs: 1, Heads: []int{2}})
	var cs []Config
	for i, epochs := range []int{2, 4, 3} {
		c := Paper("dms", m, uint64(i+1))
		c.ModelName, c.Regime, c.FixedN = "cb-rnn", FixedN, 6
		c.Epochs, c.Steps, c.TestSteps, c.Batch = epochs, 3, 1, 32
		cs = append(cs, c)
	}
	root := t.TempDir()
	executors, err := gm.NewExecutors(be, 2)
	if err != nil {
		t.Fatal(err)
	}
	layouts := 0
	layout := func(K int) []compute.Backend {
		layouts++
		return executors
	}
	var together []Run
	for i, c := range cs {
		together = append(together, newRun(t, c, filepath.Join(root, "together", fmt.Sprint(i))))
	}
	if err := Train(context.Background(), together, Options{Backend: be, Source: src, Layout: layout}); err != nil {
		t.Fatal(err)
	}
	if layouts == 0 {
		t.Error("Options.Layout was never asked")
	}
	for i, c := range cs {
		alone := newRun(t, c, filepath.Join(root, "alone", fmt.Sprint(i)))
		if err := Train(context.Background(), []Run{alone}, Options{Backend: be, Source: src}); err != nil {
			t.Fatal(err)
		}
		a, b := stats(t, alone.Dir), stats(t, together[i].Dir)
		if len(a) != c.Epochs {
			t.Fatalf("run %d: %d epochs, want its budget %d", i, len(a), c.Epochs)
		}
		sameStats(t, fmt.Sprintf("run %d", i), a, b, 0)
		wa, ma, _, _, _, err := loadState(alone.Dir, m)
		if err != nil {
			t.Fatal(err)
		}
		wb, mb, _, _, _, err := loadState(together[i].Dir, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			if !slices.Equal(wa[p.Name], wb[p.Name]) || !slices.Equal(ma[p.Name], mb[p.Name]) {
				t.Errorf("run %d: %s (or its momentum) differs from the run trained alone", i, p.Name)
			}
		}
	}
	var prov []Provenance
	if b, err := os.ReadFile(filepath.Join(together[1].Dir.Path, ProvenanceFile)); err != nil || json.Unmarshal(b, &prov) != nil ||
		len(prov) != 1 || len(prov[0].Layout) < 2 || !strings.Contains(prov[0].Layout[0], "2 executor(s) × members [2 1]") {
		t.Errorf("provenance layouts %+v (%v): want the 3-member layout on 2 executors, then the smaller ones", prov, err)
	}
}

func TestTrainRejectsMismatchedRuns(t *testing.T) {
	src := tasks.NewLocal(tasks.All...)
	a := tiny("dms", 1)
	b := tiny("dms", 2)
	b.Model.Core.Hidden = 9
	err := Train(context.Background(), []Run{newRun(t, a, t.TempDir()), newRun(t, b, t.TempDir())}, Options{Backend: backend(t), Source: src})
	if err == nil {
		t.Fatal("runs of different shapes were trained together")
	}
}

func TestTrainUnknownTask(t *testing.T) {
	src := tasks.NewLocal(tasks.All...)
	err := Train(context.Background(), []Run{newRun(t, tiny("no-such-task", 1), t.TempDir())}, Options{Backend: backend(t), Source: src})
	if err == nil {
		t.Fatal("unknown task accepted")
	}
}

// TestStartDropsUncommittedStats: a kill between the first stats line and
// the first saved state leaves a stats line with no state; a restart must
// drop it rather than keep a duplicate epoch.
func TestStartDropsUncommittedStats(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal()
	c := tiny("dms", 4)
	ref := newRun(t, c, filepath.Join(t.TempDir(), "ref"))
	if err := Train(context.Background(), []Run{ref}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	r := newRun(t, c, filepath.Join(t.TempDir(), "torn"))
	if err := r.Dir.AppendStats(EpochStats{Epoch: 1, N: 2}); err != nil {
		t.Fatal(err)
	}
	if err := Train(context.Background(), []Run{r}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	sameStats(t, "restart over an uncommitted epoch", stats(t, ref.Dir), stats(t, r.Dir), 1e-6)
}
