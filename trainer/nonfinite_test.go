package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// scaled returns the paper's initial weights of c's model multiplied by f,
// with one value replaced by v if v is not zero.
func scaled(c Config, f float32, v float32) gm.Weights {
	w := gm.InitWeights(c.Model, rand.New(rand.NewPCG(c.Seed, 1)))
	for _, p := range c.Model.Params() {
		for i := range w[p.Name] {
			w[p.Name][i] *= f
		}
	}
	if v != 0 {
		p := c.Model.Params()[0]
		w[p.Name][0] = v
	}
	return w
}

// A run whose every step is non-finite records its epoch (the
// loss as "NaN" in stats.jsonl), and resumes; before, json.Marshal refused
// the stats line and the run could never continue.
func TestNonFiniteLossIsRecordedAndResumes(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal()
	c := tiny("dms", 3)
	c.Epochs = 2
	r := newRun(t, c, filepath.Join(t.TempDir(), "huge"))
	r.Init = scaled(c, 1e30, 0) // finite, but every forward pass overflows
	if err := Train(context.Background(), []Run{r}, Options{Backend: be, Source: src}); err != nil {
		t.Fatalf("a run with non-finite losses: %v", err)
	}
	st := stats(t, r.Dir)
	if len(st) != 2 {
		t.Fatalf("%d epochs recorded, want 2", len(st))
	}
	for _, s := range st {
		if s.Skipped != c.Steps || !math.IsNaN(s.TrainLoss) {
			t.Errorf("epoch %d: skipped %d of %d, loss %v; want every step skipped and loss NaN", s.Epoch, s.Skipped, c.Steps, s.TrainLoss)
		}
	}
	// Resuming a finished run with NaN stats works too.
	if err := Train(context.Background(), []Run{newRun(t, c, r.Dir.Path)}, Options{Backend: be, Source: src}); err != nil {
		t.Fatalf("resuming: %v", err)
	}
}

// Weights that become non-finite stop the run with a message
// naming the epoch; what was committed before stays, and the other members
// of the ensemble finish. The optimiser never makes finite weights
// non-finite by itself (a non-finite loss skips the step, an infinite
// gradient norm scales the step to zero), so the test corrupts the saved
// momentum of a run after its first epoch.
func TestNonFiniteWeightsStopTheRun(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal()
	root := t.TempDir()
	bc := tiny("dms", 3)
	bc.Epochs = 1
	first := newRun(t, bc, filepath.Join(root, "bad"))
	if err := Train(context.Background(), []Run{first}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	// Give it more epochs (a new config in the same folder is refused, so
	// rewrite the folder's config) and poison its momentum.
	bc.Epochs = 3
	if err := os.Remove(filepath.Join(first.Dir.Path, rundir.ConfigFile)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(first.Dir.Path, rundir.DoneFile))
	bad := newRun(t, bc, first.Dir.Path)
	// A saved state is never non-finite (LoadState refuses one as
	// damage), so the momentum is poisoned in memory, as it is loaded.
	resumeHook = func(dir string, w, mom gm.Weights) {
		if dir != bad.Dir.Path {
			return
		}
		for _, v := range mom {
			for j := range v {
				v[j] = float32(math.NaN())
			}
		}
	}
	defer func() { resumeHook = nil }()
	var st State
	ts, _, err := bad.Dir.LoadState(&st)
	if err != nil {
		t.Fatal(err)
	}
	st.Done = false
	if err := bad.Dir.SaveState(st, ts); err != nil {
		t.Fatal(err)
	}
	gc := tiny("dms", 4)
	gc.Epochs = 3
	good := newRun(t, gc, filepath.Join(root, "good"))

	err = Train(context.Background(), []Run{bad, good}, Options{Backend: be, Source: src})
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("Train returned %v, want a *NonFiniteError", err)
	}
	t.Log(err)
	for _, want := range []string{bad.Dir.Path, "non-finite in epoch 2", "as they were after epoch 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if n := len(stats(t, bad.Dir)); n != 1 {
		t.Errorf("the failed run holds %d epochs, want the 1 it had", n)
	}
	var after State
	if _, found, err := bad.Dir.LoadState(&after); !found || err != nil || after.Epoch != 1 {
		t.Errorf("the failed run's state: epoch %d (found=%v, err=%v), want epoch 1 kept", after.Epoch, found, err)
	}
	if done, _ := bad.Dir.Done(); done {
		t.Error("the failed run was marked done")
	}
	if done, _ := good.Dir.Done(); !done || len(stats(t, good.Dir)) != 3 {
		t.Errorf("the healthy member did not finish its 3 epochs")
	}
}

// Imported weights holding NaN are refused before training.
func TestNonFiniteStartingWeightsAreRefused(t *testing.T) {
	c := tiny("dms", 3)
	r := newRun(t, c, filepath.Join(t.TempDir(), "nan"))
	r.Init = scaled(c, 1, float32(math.NaN()))
	err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: tasks.NewLocal()})
	if err == nil || !strings.Contains(err.Error(), "starting weights hold a non-finite value") {
		t.Fatalf("Train returned %v, want a refusal of the non-finite starting weights", err)
	}
	t.Log(err)
}

// EpochStats round-trips through stats.jsonl whatever its floats hold.
func TestEpochStatsJSONRoundTrip(t *testing.T) {
	d, err := rundir.Create(t.TempDir(), map[string]int{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	in := []EpochStats{
		{Epoch: 1, N: 2, Phase: PhaseAll, TrainLoss: math.NaN(), TestAcc: 50, GradNorm: math.Inf(1), Skipped: 3, WallS: 0.5},
		{Epoch: 2, N: 2, Phase: PhaseAll, TrainLoss: 0.25, TestAcc: 99, HeadAcc: []float64{math.Inf(-1), 99}, GradNorm: 1.5, Solved: true, TestLoss: ptr(0.125)},
		{Epoch: 3, N: 3, Phase: PhaseAll, TrainLoss: 0.25, TestAcc: 60, TestLoss: ptr(math.NaN())},
	}
	for _, s := range in {
		if err := d.AppendStats(s); err != nil {
			t.Fatal(err)
		}
	}
	out := stats(t, d)
	if len(out) != len(in) {
		t.Fatalf("read %d records", len(out))
	}
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	for i := range in {
		a, b := in[i], out[i]
		if a.Epoch != b.Epoch || a.N != b.N || a.Phase != b.Phase || a.Skipped != b.Skipped || a.Solved != b.Solved || a.WallS != b.WallS ||
			!same(a.TrainLoss, b.TrainLoss) || !same(a.TestAcc, b.TestAcc) || !same(a.GradNorm, b.GradNorm) || len(a.HeadAcc) != len(b.HeadAcc) {
			t.Fatalf("record %d: wrote %+v, read %+v", i, a, b)
		}
		if (a.TestLoss == nil) != (b.TestLoss == nil) || (a.TestLoss != nil && !same(*a.TestLoss, *b.TestLoss)) {
			t.Fatalf("record %d: wrote test loss %v, read %v", i, a.TestLoss, b.TestLoss)
		}
		for h := range a.HeadAcc {
			if !same(a.HeadAcc[h], b.HeadAcc[h]) {
				t.Fatalf("record %d head %d: wrote %v, read %v", i, h, a.HeadAcc[h], b.HeadAcc[h])
			}
		}
	}
}

// A line written before the test loss was recorded reads with no test loss
// (nil), not a loss of zero.
func TestEpochStatsWithoutTestLoss(t *testing.T) {
	var s EpochStats
	if err := json.Unmarshal([]byte(`{"epoch":1,"n":2,"phase":"all","train_loss":0.5,"test_acc":55,"grad_norm":1,"solved":false,"wall_s":1}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.TestLoss != nil || s.TrainLoss != 0.5 {
		t.Fatalf("old line read as %+v (test loss %v), want no test loss", s, s.TestLoss)
	}
	b, err := json.Marshal(s)
	if err != nil || strings.Contains(string(b), "test_loss") {
		t.Fatalf("a record without test loss writes %s (%v)", b, err)
	}
}

// A stop mid-epoch saves its partial sums even when a step's gradient norm
// was infinite (the loss finite, so the step counted).
func TestPartialJSONRoundTrip(t *testing.T) {
	in := resumeMeta{State: State{Epoch: 3, N: 4, Phase: PhaseAll},
		Partial: &Partial{Step: 7, LossSum: 1.5, NormSum: math.Inf(1), Finite: 6, Skipped: 1, Correct: []float64{math.NaN(), 2}, TestLoss: 0.75, TestLossN: 2}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out resumeMeta
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	p := out.Partial
	if out.State != in.State || p == nil || p.Step != 7 || p.LossSum != 1.5 || !math.IsInf(p.NormSum, 1) || p.Finite != 6 || p.Skipped != 1 ||
		len(p.Correct) != 2 || !math.IsNaN(p.Correct[0]) || p.Correct[1] != 2 || p.TestLoss != 0.75 || p.TestLossN != 2 {
		t.Fatalf("wrote %+v %+v, read %+v %+v (%s)", in.State, *in.Partial, out.State, p, b)
	}
}
