package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// stopAtBatch cancels training when it reaches batch `step` of epoch `ep`
// (counted from 1), through the trainer's batch-boundary hook.
func stopAtBatch(t *testing.T, ep, step int) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stepHook = func(e, s int) {
		if e == ep && s == step {
			cancel()
		}
	}
	t.Cleanup(func() { stepHook = nil; cancel() })
	return ctx
}

// exactStats renders a run's stats with the wall time zeroed: two runs are
// identical when these strings are.
func exactStats(t *testing.T, d *rundir.Dir) []string {
	t.Helper()
	var out []string
	for _, s := range stats(t, d) {
		s.WallS = 0
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func sameExactly(t *testing.T, name string, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d epochs, uninterrupted run has %d", name, len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("%s: epoch %d differs from the uninterrupted run:\n want %s\n got  %s", name, i+1, want[i], got[i])
		}
	}
}

func finalWeights(t *testing.T, r Run) gm.Weights {
	t.Helper()
	w, mom, _, _, found, err := loadState(r.Dir, r.Config.Model)
	if err != nil || !found {
		t.Fatalf("no state in %s: %v", r.Dir.Path, err)
	}
	for k, v := range mom {
		w["momentum/"+k] = v
	}
	return w
}

func sameWeights(t *testing.T, name string, a, b gm.Weights) {
	t.Helper()
	for k, av := range a {
		bv := b[k]
		if len(av) != len(bv) {
			t.Fatalf("%s: %s has %d values vs %d", name, k, len(av), len(bv))
		}
		for i := range av {
			if av[i] != bv[i] {
				t.Fatalf("%s: %s[%d] = %g, uninterrupted run has %g", name, k, i, bv[i], av[i])
			}
		}
	}
}

// TestStopMidEpochResumesExactly stops a run at batch boundaries inside an
// epoch — in the training batches, between training and test, in the test
// batches — and resumes it: the saved point is that batch, and the resumed
// run ends with the stats and weights of an uninterrupted run, bit for bit
// (wall time apart).
func TestStopMidEpochResumesExactly(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	c := tiny("parity", 7)
	c.Epochs, c.Steps, c.TestSteps = 4, 4, 3
	full := newRun(t, c, filepath.Join(t.TempDir(), "full"))
	if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	want := exactStats(t, full.Dir)
	for _, tc := range []struct {
		name        string
		epoch, step int
		saved       bool // a mid-epoch point is saved (false: stopped where the last state already is)
	}{
		{"training batch", 2, 1, true},
		{"last training batch", 3, 3, true},
		{"between training and test", 2, 4, true},
		{"test batch", 3, 5, true},
		{"epoch start", 2, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cut")
			ctx := stopAtBatch(t, tc.epoch, tc.step)
			err := Train(ctx, []Run{newRun(t, c, dir)}, Options{Backend: be, Source: src})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("stopped run returned %v, want context.Canceled", err)
			}
			stepHook = nil
			d, _ := rundir.Open(dir)
			if n := len(stats(t, d)); n != tc.epoch-1 {
				t.Fatalf("stopped in epoch %d with %d stats lines, want %d", tc.epoch, n, tc.epoch-1)
			}
			p, err := ReadPartial(d)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.saved && (p == nil || p.Step != tc.step):
				t.Fatalf("saved partial epoch %+v, want step %d", p, tc.step)
			case !tc.saved && p != nil:
				t.Fatalf("stop at an epoch boundary saved a partial epoch %+v", p)
			}
			resumed := newRun(t, c, dir)
			if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
				t.Fatal(err)
			}
			sameExactly(t, "resumed", want, exactStats(t, resumed.Dir))
			sameWeights(t, "resumed", finalWeights(t, full), finalWeights(t, resumed))
			if p, err := ReadPartial(resumed.Dir); err != nil || p != nil {
				t.Fatalf("finished run still holds a partial epoch %+v (%v)", p, err)
			}
		})
	}
}

// TestStopTwiceInOneEpoch stops a multitask run (two test heads) twice in
// the same epoch: the second stop saves sums that already include the
// first session's.
func TestStopTwiceInOneEpoch(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	c := tiny("multitask", 9)
	c.Model = gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: 1, Heads: []int{2, 2}})
	c.Epochs, c.Steps, c.TestSteps = 3, 4, 3
	full := newRun(t, c, filepath.Join(t.TempDir(), "full"))
	if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cut")
	for _, step := range []int{2, 5} {
		ctx := stopAtBatch(t, 2, step)
		if err := Train(ctx, []Run{newRun(t, c, dir)}, Options{Backend: be, Source: src}); !errors.Is(err, context.Canceled) {
			t.Fatalf("stop at batch %d returned %v", step, err)
		}
		stepHook = nil
		d, _ := rundir.Open(dir)
		if p, err := ReadPartial(d); err != nil || p == nil || p.Step != step || len(p.Correct) != 2 {
			t.Fatalf("after the stop at batch %d the saved epoch is %+v (%v)", step, p, err)
		}
	}
	resumed := newRun(t, c, dir)
	if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	sameExactly(t, "stopped twice", exactStats(t, full.Dir), exactStats(t, resumed.Dir))
}

// TestEnsembleResumesMembersStoppedApart resumes, in one ensemble, runs
// that stopped at different batches (and one that never started): each
// first finishes its own epoch, then they train together. Training in an
// ensemble matches training alone to 1e-4 (TestEnsembleMatchesSingleRuns),
// so that is the tolerance.
func TestEnsembleResumesMembersStoppedApart(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	cs := []Config{tiny("dms", 21), tiny("dms", 22), tiny("parity", 23)}
	stops := []struct{ epoch, step int }{{2, 1}, {3, 4}, {0, 0}}
	root := t.TempDir()
	var runs []Run
	for i, c := range cs {
		dir := filepath.Join(root, fmt.Sprint("cut", i))
		if s := stops[i]; s.epoch > 0 {
			ctx := stopAtBatch(t, s.epoch, s.step)
			if err := Train(ctx, []Run{newRun(t, c, dir)}, Options{Backend: be, Source: src}); !errors.Is(err, context.Canceled) {
				t.Fatalf("run %d: %v", i, err)
			}
			stepHook = nil
		}
		runs = append(runs, newRun(t, c, dir))
	}
	if err := Train(context.Background(), runs, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		alone := newRun(t, c, filepath.Join(root, fmt.Sprint("alone", i)))
		if err := Train(context.Background(), []Run{alone}, Options{Backend: be, Source: src}); err != nil {
			t.Fatal(err)
		}
		sameStats(t, fmt.Sprint("run ", i), stats(t, alone.Dir), stats(t, runs[i].Dir), 1e-4)
	}
}

// failThenCancel is a Source whose stream fails at one training batch, as a
// task plugin killed along with the job does, while the cancellation of
// the kill arrives a moment later.
type failThenCancel struct {
	task.Source
	at     uint64
	cancel func()
}

func (f *failThenCancel) Batch(ctx context.Context, r task.Request) (*task.Batch, error) {
	if r.Split == task.Train && r.Index == f.at {
		// Half the trainer's grace: late enough for the trainer, one step
		// behind, to reach this batch even on a loaded machine, and early
		// enough to count as the signal that killed the plugin.
		go func() { time.Sleep(stopGrace / 2); f.cancel() }()
		return nil, errors.New("plugin process exited: signal: terminated")
	}
	return f.Source.Batch(ctx, r)
}

// TestStopWhenPluginsDieFirst: the batch's fetch fails just before the
// signal cancels training; the run still saves at that batch and resumes
// exactly.
func TestStopWhenPluginsDieFirst(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	c := tiny("dms", 31)
	c.Epochs, c.Steps, c.TestSteps = 3, 4, 2
	full := newRun(t, c, filepath.Join(t.TempDir(), "full"))
	if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Epoch 2, training batch 2: index 1·4 + 2. One batch fetched ahead, so
	// that the failing fetch happens one step before the trainer needs it,
	// not a whole prefetch window earlier.
	err := Train(ctx, []Run{newRun(t, c, dir)}, Options{Backend: be, Source: &failThenCancel{Source: src, at: 6, cancel: cancel}, Prefetch: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("returned %v, want context.Canceled", err)
	}
	d, _ := rundir.Open(dir)
	if p, err := ReadPartial(d); err != nil || p == nil || p.Step != 2 {
		t.Fatalf("saved %+v (%v), want batch 2 of epoch 2", p, err)
	}
	resumed := newRun(t, c, dir)
	if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	sameExactly(t, "resumed", exactStats(t, full.Dir), exactStats(t, resumed.Dir))
}

// TestStopInSecondTestPass stops a continual run inside the second of its
// epoch's test passes (each task of the plan is tested on its own batches):
// the saved point counts the training batches, then the passes one after
// another, and the resumed run ends bit for bit where an uninterrupted one
// does.
func TestStopInSecondTestPass(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal(tasks.All...)
	c := tinyOn("switch", 2, 2, []int{2, 2}, 12)
	c.Curricula = Curricula{Curriculum: Continual, Plan: "dms,parity", EpochsPerPhase: 2}
	c.Epochs, c.Steps, c.TestSteps = 4, 4, 3
	full := newRun(t, c, filepath.Join(t.TempDir(), "full"))
	if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	const step = 4 + 3 + 1 // the second batch of the second test pass
	dir := filepath.Join(t.TempDir(), "cut")
	if err := Train(stopAtBatch(t, 3, step), []Run{newRun(t, c, dir)}, Options{Backend: be, Source: src}); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run returned %v, want context.Canceled", err)
	}
	stepHook = nil
	d, _ := rundir.Open(dir)
	if p, err := ReadPartial(d); err != nil || p == nil || p.Step != step {
		t.Fatalf("saved partial epoch %+v (%v), want step %d", p, err, step)
	}
	resumed := newRun(t, c, dir)
	if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	sameExactly(t, "resumed", exactStats(t, full.Dir), exactStats(t, resumed.Dir))
	sameWeights(t, "resumed", finalWeights(t, full), finalWeights(t, resumed))
}
