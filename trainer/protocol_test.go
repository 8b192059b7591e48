package trainer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// TestH0Distribution checks METHODS §1's h_0 = 0.1·U(0,1): every value in
// [0, 0.1), mean 0.05 and variance 0.01/12 within 5 standard errors, and no
// lag-1 correlation between neighbouring units.
func TestH0Distribution(t *testing.T) {
	const b, h, batches = 64, 64, 50
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: h})
	var xs []float64
	for _, split := range []task.Split{task.Train, task.Test} {
		for idx := range uint64(batches) {
			for _, v := range h0(m, 7, split, idx, b) {
				xs = append(xs, float64(v))
			}
		}
	}
	n := float64(len(xs))
	mean, m2 := 0.0, 0.0
	for _, v := range xs {
		if !(v >= 0 && v < 0.1) {
			t.Fatalf("h0 value %v outside [0, 0.1)", v)
		}
		mean += v
	}
	mean /= n
	for _, v := range xs {
		m2 += (v - mean) * (v - mean)
	}
	variance := m2 / (n - 1)
	// For a·U(0,1): SD = a/√12, and the variance of (X−μ)² is a⁴(1/80 − 1/144)
	// = a⁴/180, which gives the standard error of the sample variance.
	const a = 0.1
	if se := a / math.Sqrt(12) / math.Sqrt(n); math.Abs(mean-0.05) > 5*se {
		t.Errorf("mean of h0 %.6f, want 0.05 ± %.6f (5 SE, %.0f draws)", mean, 5*se, n)
	}
	if se := math.Sqrt(a * a * a * a / 180 / n); math.Abs(variance-a*a/12) > 5*se {
		t.Errorf("variance of h0 %.3e, want %.3e ± %.1e (5 SE)", variance, a*a/12, 5*se)
	}
	cov := 0.0
	for i := 1; i < len(xs); i++ {
		cov += (xs[i] - mean) * (xs[i-1] - mean)
	}
	if r := cov / m2; math.Abs(r) > 5/math.Sqrt(n) {
		t.Errorf("lag-1 correlation of h0 values %.4f, want 0 ± %.4f", r, 5/math.Sqrt(n))
	}
}

// TestH0Identity: h_0 is a pure function of (seed, split, index), so that
// resume and ensembles see the same draw, and a fresh draw for every batch.
func TestH0Identity(t *testing.T) {
	const b, h = 4, 8
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: h})
	base := h0(m, 3, task.Train, 10, b)
	if len(base) != b*h {
		t.Fatalf("h0 has %d values, want b·h = %d", len(base), b*h)
	}
	if again := h0(m, 3, task.Train, 10, b); !slices.Equal(base, again) {
		t.Error("h0 differs between two calls with the same (seed, split, index)")
	}
	for _, tc := range []struct {
		name        string
		seed        uint64
		split       task.Split
		index       uint64
		wantSameAs0 bool
	}{
		{"next index", 3, task.Train, 11, false},
		{"index 0", 3, task.Train, 0, false},
		{"test split, same index", 3, task.Test, 10, false},
		{"other seed", 4, task.Train, 10, false},
		{"same identity", 3, task.Train, 10, true},
	} {
		got := h0(m, tc.seed, tc.split, tc.index, b)
		if slices.Equal(got, base) != tc.wantSameAs0 {
			t.Errorf("%s: h0(%d, %s, %d) equal to h0(3, train, 10) = %v, want %v",
				tc.name, tc.seed, tc.split, tc.index, !tc.wantSameAs0, tc.wantSameAs0)
		}
	}
	// Trials of one batch get their own draws.
	if slices.Equal(base[:h], base[h:2*h]) {
		t.Error("two trials of one batch share h0")
	}
}

// TestPaperConfig checks the protocol constants of METHODS §3 that Paper sets.
// (The periodic-core period k is chosen by PeriodFor, not here.)
func TestPaperConfig(t *testing.T) {
	for _, tc := range []struct {
		name       string
		model      gm.Config
		wantEpochs int
	}{
		{"rnn", gm.MustBuild("rnn", gm.Options{}), 1000},
		{"cb-rnn", gm.MustBuild("cb-rnn", gm.Options{}), 1000},
		{"aux-rnn-cb", gm.MustBuild("aux-rnn-cb", gm.Options{}), 1000},
		{"seed-sketch", gm.MustBuild("seed-sketch", gm.Options{}), 1000},
		{"gru", gm.MustBuild("gru", gm.Options{}), 500},
		{"cb-gru", gm.MustBuild("cb-gru", gm.Options{}), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Paper("dms", tc.model, 9)
			want := Config{
				Task: "dms", Model: tc.model, Regime: Standard,
				Epochs: tc.wantEpochs, Steps: 100, TestSteps: 50, Batch: 64,
				StartN: 2, MaxN: 150, Threshold: 98,
				Optim:       gm.Optim{LR: 0.01, Momentum: 0.1, ClipNorm: 7.5, Nesterov: true},
				SwitchEvery: 5, Seed: 9,
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("Paper config\n %+v\nwant\n %+v", c, want)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Paper config invalid: %v", err)
			}
			if s := initialState(c); s != (State{N: 2, Phase: PhaseAll}) {
				t.Errorf("Paper config starts at %+v, want N=2 phase all", s)
			}
		})
	}
}

// fakeSource serves one task whose labels come from a function of the
// request, so a test decides exactly what is learnable. It records the N of
// every batch it served, by split and index.
type fakeSource struct {
	desc  task.Description
	label func(r task.Request, head, trial int, rng *rand.Rand) int32

	mu     sync.Mutex
	seen   map[[2]uint64]int
	params map[[2]uint64]map[string]string
}

func newFake(heads int, label func(r task.Request, head, trial int, rng *rand.Rand) int32) *fakeSource {
	d := task.Description{Name: "fake", Inputs: 1, MinN: 1, MaxN: 1000,
		MinTMul: 1, MinTAdd: 2, MaxTMul: 4, MaxTAdd: 1}
	for range heads {
		d.Heads = append(d.Heads, 2)
		d.HeadNames = append(d.HeadNames, fmt.Sprint("h", len(d.Heads)-1))
	}
	return &fakeSource{desc: d, label: label, seen: map[[2]uint64]int{}, params: map[[2]uint64]map[string]string{}}
}

func (f *fakeSource) Describe(_ context.Context, name string) (task.Description, error) {
	if name != f.desc.Name {
		return task.Description{}, fmt.Errorf("no task %q", name)
	}
	return f.desc, nil
}

// Batch draws random bits (T = N+2) and labels each trial (or, for a
// per-step task, each step t and trial b: f.label's trial is t·B + b) with
// f.label.
func (f *fakeSource) Batch(ctx context.Context, r task.Request) (*task.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.seen[[2]uint64{uint64(r.Split), r.Index}] = r.N
	f.params[[2]uint64{uint64(r.Split), r.Index}] = r.Params
	f.mu.Unlock()
	rng := rand.New(rand.NewPCG(r.Seed, uint64(r.Split)<<56^r.Index))
	T := r.N + 2
	b := &task.Batch{T: T, B: r.B, I: f.desc.Inputs, X: make([]float32, T*r.B*f.desc.Inputs)}
	for i := range b.X {
		b.X[i] = float32(rng.IntN(2))
	}
	for h := range f.desc.Heads {
		n := r.B
		if f.desc.Labels == task.PerStep {
			n = T * r.B
		}
		ls := make([]int32, n)
		for bi := range ls {
			ls[bi] = f.label(r, h, bi, rng)
		}
		b.Labels = append(b.Labels, ls)
	}
	return b, b.Validate(f.desc, r)
}

// paramsOf returns the parameters of the request the source served for
// (split, index).
func (f *fakeSource) paramsOf(split task.Split, index int) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.params[[2]uint64{uint64(split), uint64(index)}]
}

// nOf returns the N the source served for (split, index), or -1.
func (f *fakeSource) nOf(split task.Split, index int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.seen[[2]uint64{uint64(split), uint64(index)}]; ok {
		return n
	}
	return -1
}

// fakeConfig is a small network on the fake task, with a learning rate high
// enough that a constant label is learnt within the first epoch.
func fakeConfig(heads int, epochs int) Config {
	var hs []int
	for range heads {
		hs = append(hs, 2)
	}
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Heads: hs})
	c := Paper("fake", m, 5)
	c.Epochs, c.Steps, c.TestSteps, c.Batch = epochs, 10, 4, 8
	c.Optim.LR = 0.2
	return c
}

func trainFake(t *testing.T, c Config, src task.Source, dir string) Run {
	t.Helper()
	r := newRun(t, c, dir)
	if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src}); err != nil {
		t.Fatal(err)
	}
	return r
}

// stateWeights reads the model weights of a run's resume state.
func stateWeights(t *testing.T, r Run) gm.Weights {
	t.Helper()
	w, _, _, _, found, err := loadState(r.Dir, r.Config.Model)
	if err != nil || !found {
		t.Fatalf("no resume state in %s: found=%v err=%v", r.Dir.Path, found, err)
	}
	return w
}

// TestPerStepLabels: a task that labels every step trains a per-step model
// (the seed sketch) on the mean cross-entropy of every output, and its test
// accuracy is over every step and trial: training labels are all 0; from
// N = 4, test batch i labels 1 the first i trials of step 0, so a network
// that answers 0 scores (48+47+46+45)/4/48 = 96.875 % with T = N+2 = 6 and
// B = 8, and N stays at 4. A model with a last-step readout is refused.
// The same model on a last-step task learns from its last output.
func TestPerStepLabels(t *testing.T) {
	const lockN = 4
	src := newFake(1, func(r task.Request, _, j int, _ *rand.Rand) int32 {
		if r.Split == task.Test && r.N >= lockN && j < r.B && uint64(j) < r.Index%4 {
			return 1
		}
		return 0
	})
	src.desc.Labels = task.PerStep
	c := fakeConfig(1, 4)
	c.Model = gm.MustBuild("seed-sketch", gm.Options{Hidden: 8})
	c.ModelName = "seed-sketch"
	r := trainFake(t, c, src, filepath.Join(t.TempDir(), "sketch"))
	st := stats(t, r.Dir)
	var gotN []int
	for _, s := range st {
		gotN = append(gotN, s.N)
		want := 100.0
		if s.N >= lockN {
			want = 96.875
		}
		if math.Abs(s.TestAcc-want) > 1e-9 {
			t.Errorf("epoch %d (N=%d): accuracy %.6f over every step, want %.6f", s.Epoch, s.N, s.TestAcc, want)
		}
	}
	if !slices.Equal(gotN, []int{2, 3, 4, 4}) {
		t.Errorf("N per epoch %v, want [2 3 4 4]", gotN)
	}

	last := fakeConfig(1, 4)
	last.ModelName = "cb-rnn"
	run := newRun(t, last, t.TempDir())
	err := Train(context.Background(), []Run{run}, Options{Backend: backend(t), Source: src})
	if err == nil || !strings.Contains(err.Error(), "reads out on the last step only") {
		t.Errorf("a last-step model on a per-step task: error %v", err)
	}

	// The sketch on a last-step task: trained on its last output.
	lastTask := newFake(1, func(task.Request, int, int, *rand.Rand) int32 { return 1 })
	r2 := trainFake(t, c, lastTask, filepath.Join(t.TempDir(), "sketch-last"))
	if st := stats(t, r2.Dir); st[0].TestAcc != 100 || !st[0].Solved {
		t.Errorf("sketch on a last-step task: first epoch %+v, want solved at 100 %%", st[0])
	}
}

// TestProtocolMechanics runs METHODS §3's epoch loop on a fake task: training
// labels are always 0 (learnt in one epoch); test labels are 0 while N < 4,
// and from N = 4 test batch i of the epoch has its first i trials labelled 1.
// A network that answers 0 then scores (8+7+6+5)/4/8 = 81.25 % exactly when
// test accuracy is the mean over the TestSteps = 4 batches of 8, so N must go
// 2 ✓, 3 ✓, 4, 4, 4.
func TestProtocolMechanics(t *testing.T) {
	const lockN = 4
	src := newFake(1, func(r task.Request, _, trial int, _ *rand.Rand) int32 {
		if r.Split == task.Test && r.N >= lockN && uint64(trial) < r.Index%4 {
			return 1
		}
		return 0
	})
	const epochs = 5
	c := fakeConfig(1, epochs)
	root := t.TempDir()
	full := trainFake(t, c, src, filepath.Join(root, "full"))
	st := stats(t, full.Dir)

	wantN := []int{2, 3, 4, 4, 4}
	var gotN []int
	for _, s := range st {
		gotN = append(gotN, s.N)
	}
	if !slices.Equal(gotN, wantN) {
		t.Fatalf("N per epoch %v, want %v (stats %+v)", gotN, wantN, st)
	}
	var solvedNs []int
	for i, s := range st {
		// (a) The recorded N is the N of every batch of that epoch, trained
		// and tested, i.e. the N before the advance.
		for k := range c.Steps {
			if n := src.nOf(task.Train, i*c.Steps+k); n != s.N {
				t.Errorf("epoch %d: training batch %d had N=%d, stats say N=%d", s.Epoch, k, n, s.N)
			}
		}
		for k := range c.TestSteps {
			if n := src.nOf(task.Test, i*c.TestSteps+k); n != s.N {
				t.Errorf("epoch %d: test batch %d had N=%d, stats say N=%d", s.Epoch, k, n, s.N)
			}
		}
		if s.Solved != (s.TestAcc >= c.Threshold) {
			t.Errorf("epoch %d: solved=%v with accuracy %.2f", s.Epoch, s.Solved, s.TestAcc)
		}
		if i+1 < len(st) {
			want := s.N
			if s.Solved {
				want++
			}
			if st[i+1].N != want {
				t.Errorf("epoch %d solved=%v at N=%d, next epoch trains N=%d, want %d", s.Epoch, s.Solved, s.N, st[i+1].N, want)
			}
		}
		// (c) Test accuracy is the mean of the per-batch accuracies.
		wantAcc := 100.0
		if s.N >= lockN {
			wantAcc = 81.25
		}
		if s.TestAcc != wantAcc {
			t.Errorf("epoch %d (N=%d): test accuracy %v, want exactly %v", s.Epoch, s.N, s.TestAcc, wantAcc)
		}
		if s.Solved {
			solvedNs = append(solvedNs, s.N)
		}
	}

	// (b) One checkpoint per solved N, holding the weights at the end of the
	// epoch that solved it: the same as the resume state of a run whose
	// budget ends with that epoch.
	ns, err := full.Dir.CheckpointNs()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ns, solvedNs) || !slices.Equal(ns, []int{2, 3}) {
		t.Fatalf("checkpoints for N %v, want the solved Ns %v = [2 3]", ns, solvedNs)
	}
	shape := c.Model
	for i, s := range st {
		if !s.Solved {
			continue
		}
		ts, meta, err := full.Dir.LoadCheckpoint(s.N)
		if err != nil {
			t.Fatal(err)
		}
		if meta["n"] != fmt.Sprint(s.N) || meta["epoch"] != fmt.Sprint(s.Epoch) {
			t.Errorf("checkpoint N=%d metadata %v, want n=%d epoch=%d", s.N, meta, s.N, s.Epoch)
		}
		got, err := FromTensors(shape, ts, "")
		if err != nil {
			t.Fatal(err)
		}
		pc := c
		pc.Epochs = i + 1
		prefix := trainFake(t, pc, src, filepath.Join(root, fmt.Sprint("prefix", i+1)))
		want := stateWeights(t, prefix)
		for name, w := range want {
			if !slices.Equal(got[name], w) {
				t.Errorf("checkpoint N=%d: %s differs from the weights at the end of epoch %d", s.N, name, s.Epoch)
			}
		}
		// and not the weights of a later epoch.
		final := stateWeights(t, full)
		if reflect.DeepEqual(got, final) {
			t.Errorf("checkpoint N=%d equals the final weights, not those of epoch %d", s.N, s.Epoch)
		}
	}
}

// TestMultitaskAdvance checks the multitask rule of METHODS §2: one N for both
// heads, advanced only when every head reaches the threshold, with per-head
// accuracies recorded.
func TestMultitaskAdvance(t *testing.T) {
	for _, tc := range []struct {
		name        string
		head1       func(rng *rand.Rand) int32
		wantN       []int
		head1Solved bool
	}{
		{"head 1 random: N stays", func(rng *rand.Rand) int32 { return int32(rng.IntN(2)) }, []int{2, 2, 2}, false},
		{"both learnable: N advances", func(*rand.Rand) int32 { return 1 }, []int{2, 3, 4}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newFake(2, func(r task.Request, head, _ int, rng *rand.Rand) int32 {
				if head == 0 {
					return 0
				}
				return tc.head1(rng)
			})
			c := fakeConfig(2, 3)
			c.TestSteps = 8 // 64 test trials: a random head cannot reach 98 %
			r := trainFake(t, c, src, t.TempDir())
			if cu, _ := newCurriculum(c, src.desc); cu.kind != Multitask {
				t.Fatalf("fake 2-head task is %s, want multitask", cu.kind)
			}
			st := stats(t, r.Dir)
			var gotN []int
			for _, s := range st {
				gotN = append(gotN, s.N)
				if len(s.HeadAcc) != 2 {
					t.Fatalf("epoch %d: head accuracies %v, want one per head", s.Epoch, s.HeadAcc)
				}
				if s.HeadAcc[0] < c.Threshold {
					t.Errorf("epoch %d: the constant head scored %.2f%%", s.Epoch, s.HeadAcc[0])
				}
				if (s.HeadAcc[1] >= c.Threshold) != tc.head1Solved {
					t.Errorf("epoch %d: head 1 scored %.2f%%, want solved=%v", s.Epoch, s.HeadAcc[1], tc.head1Solved)
				}
				if s.TestAcc != min(s.HeadAcc[0], s.HeadAcc[1]) {
					t.Errorf("epoch %d: test accuracy %.2f, want the worst head's %v", s.Epoch, s.TestAcc, s.HeadAcc)
				}
			}
			if !slices.Equal(gotN, tc.wantN) {
				t.Errorf("N per epoch %v, want %v (stats %+v)", gotN, tc.wantN, st)
			}
			ns, err := r.Dir.CheckpointNs()
			if err != nil {
				t.Fatal(err)
			}
			// Every epoch solved both heads or none did.
			wantCk := []int{}
			if tc.head1Solved {
				wantCk = tc.wantN
			}
			if !slices.Equal(ns, wantCk) {
				t.Errorf("checkpoints for N %v, want %v", ns, wantCk)
			}
		})
	}
}
