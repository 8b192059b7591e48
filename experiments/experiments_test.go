package experiments

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/env"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
	"github.com/cbrnn/cbrnn/trainer"
)

// testEnv is an Env on the in-process task generators (byte-identical to
// the plugins) writing into a temporary folder.
func testEnv(t *testing.T) *Env {
	t.Helper()
	b, _, err := gm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Env: &env.Env{Root: t.TempDir(), Backend: b, Source: tasks.NewLocal()}}
}

// tinyProfile trains for seconds.
var tinyProfile = Profile{
	Name: "test", Epochs: 3, EpochsGRU: 2, EpochsSwitch: 2, Steps: 3, TestSteps: 2, Batch: 8, MaxN: 150,
	Seeds: 2, SeedsSide: 1, SeedsExtra: 1, EpochsExtra: 2, EpochsPerPhase: 2, AdvanceEvery: 1, EvalBatches: 2, PCABatches: 1, MaxCheckpoints: 2,
	TimescaleT: 200, TimescaleTrials: 2, TimescaleDrop: 20, RecoverySteps: 3, RecoveryEval: 1,
	SeedsFixedN: 2, EpochsFixedN: 3, SeedsSweep: 2, EpochsSweep: 2, SweepTasks: []string{"dms"}, SeedsOddball: 2, EpochsOddball: 3,
	PerTaskSeeds: 1, PerTaskEpochsPerPhase: 1, PerTaskEpochs: 2,
}

// TestMatchedBaselines pins appendix B through the experiment groups: the
// baselines of the paper's figures get the paper's hidden sizes.
func TestMatchedBaselines(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	dms, _ := e.Source.Describe(ctx, "dms")
	for _, tc := range []struct {
		g      Group
		hidden int
		total  int
	}{
		{CBRNN, 64, 41922},
		{RNNMatched, 202, 41816},
		{GRUCB, 64, 50498},
		{GRUMatched, 128, 50562},
	} {
		m, err := ModelConfig(tc.g, dms)
		if err != nil {
			t.Fatal(err)
		}
		if m.Core.Hidden != tc.hidden || m.Count().Total != tc.total {
			t.Errorf("%s: H=%d with %d parameters, want H=%d with %d", tc.g.Label, m.Core.Hidden, m.Count().Total, tc.hidden, tc.total)
		}
	}
	for gc, want := range map[int]int{64: 128, 128: 160, 256: 202, 512: 272} {
		_, rnn := ScalingGroups(gc)
		m, _ := ModelConfig(rnn, dms)
		if m.Core.Hidden != want {
			t.Errorf("Fig 2b's RNN paired with G=%d has H=%d, want the paper's %d", gc, m.Core.Hidden, want)
		}
		// The matching rule agrees with the paper except at G=128 (see
		// PaperScalingRNN).
		matched, _ := ModelConfig(Group{Model: "rnn", Options: gm.Options{GC: gc}}, dms)
		rule := matched.Core.Hidden
		if wantRule := map[int]int{64: 128, 128: 157, 256: 202, 512: 272}[gc]; rule != wantRule {
			t.Errorf("closest match to G=%d is H=%d, want %d", gc, rule, wantRule)
		}
	}
	// A switching task has 2 inputs and 2 heads: its baseline is matched to
	// the CB model of that shape, not reused from the single tasks.
	sw, _ := e.Source.Describe(ctx, "switch")
	cb, _ := ModelConfig(CBRNN, sw)
	rnn, _ := ModelConfig(RNNMatched, sw)
	got := gm.MatchHidden(cb.Count().Total, func(h int) gm.Config {
		return gm.PaperNetwork(gm.Options{Inputs: 2, Heads: []int{2, 2}}, gm.ElmanCore(h), nil)
	})
	if rnn.Core.Hidden != got || cb.Inputs != 2 || len(rnn.Readout.Heads) != 2 {
		t.Errorf("switching baseline H=%d inputs=%d heads=%v, want H=%d, 2 inputs, 2 heads", rnn.Core.Hidden, cb.Inputs, rnn.Readout.Heads, got)
	}
}

func TestConfigsSeedsAndProtocol(t *testing.T) {
	e := testEnv(t)
	parity, _ := e.Source.Describe(context.Background(), "parity")
	cs, err := Configs(PeriodicCoreGroup, parity, Profiles["paper"], 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 8 {
		t.Fatalf("%d paper runs per group, want 8", len(cs))
	}
	for i, c := range cs {
		if c.Seed != uint64(i+1) || c.Period != 5 || c.Regime != trainer.PeriodicCore || c.Steps != 100 || c.TestSteps != 50 ||
			c.Batch != 64 || c.Epochs != 1000 || c.StartN != 2 || c.MaxN != 150 || c.Threshold != 98 || c.Optim != gm.PaperOptim() {
			t.Errorf("run %d does not follow METHODS §3: %+v", i, c)
		}
	}
	side, _ := Configs(GRUCB, parity, Profiles["paper"], 500)
	if len(side) != 3 {
		t.Errorf("%d GRU runs, want the paper's n = 3", len(side))
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		ns   []int
		max  int
		want []int
	}{
		{[]int{2, 3, 4}, 0, []int{2, 3, 4}},
		{[]int{2, 3, 4}, 5, []int{2, 3, 4}},
		{[]int{2, 3, 4, 5, 6, 7, 8}, 3, []int{2, 5, 8}},
		{[]int{2, 3, 4, 5}, 1, []int{5}},
	} {
		if got := spread(tc.ns, tc.max); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("spread(%v, %d) = %v, want %v", tc.ns, tc.max, got, tc.want)
		}
	}
}

func TestLookupProfile(t *testing.T) {
	if p, err := LookupProfile(""); err != nil || p.Name != "quick" {
		t.Errorf("default profile %q, %v; want quick", p.Name, err)
	}
	if _, err := LookupProfile("huge"); err == nil || !strings.Contains(err.Error(), "quick") {
		t.Errorf("unknown profile error %v does not list the known ones", err)
	}
	if p := Profiles["paper"]; p.Epochs != 1000 || p.EpochsGRU != 500 || p.EpochsSwitch != 650 || p.Steps != 100 || p.TestSteps != 50 || p.Batch != 64 || p.Seeds != 8 ||
		p.EvalBatches != 20 || p.PCABatches != 10 || p.TimescaleT != 20000 || p.TimescaleTrials != 8 || p.TimescaleDrop != 500 || p.RecoverySteps != 100 || p.RecoveryEval != 50 {
		t.Errorf("paper profile departs from METHODS §3–4: %+v", p)
	}
}

// TestFigureEndToEnd trains the runs of fig2a and table4 at a tiny budget,
// draws them, and checks that a second call reuses the cached runs.
func TestFigureEndToEnd(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	rs, err := e.All(ctx, tinyProfile, []string{"fig2a", "appB", "table4", "appH"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for _, p := range r.PNGs {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil || img.Bounds().Dx() < 300 {
				t.Errorf("%s: not a real PNG (%v)", p, err)
			}
		}
	}
	if md := rs[1].Markdown; !strings.Contains(md, "41922") || !strings.Contains(md, "RNN-202") || !strings.Contains(md, "41816") {
		t.Errorf("appB table lacks the paper's counts:\n%s", md)
	}
	// METHODS §4: readout recovery is judged on RecoveryEval batches, not on the
	// ablation's EvalBatches.
	if want := fmt.Sprintf("%d fixed evaluation batches of %d", tinyProfile.RecoveryEval, tinyProfile.Batch); !strings.Contains(rs[3].Markdown, want) {
		t.Errorf("appH does not say %q:\n%s", want, rs[3].Markdown)
	}
	report, err := os.ReadFile(e.ResultsPath())
	if err != nil || !strings.Contains(string(report), "## table4") {
		t.Fatalf("results.md missing or incomplete: %v", err)
	}
	// Every run is finished and cached: a second plan trains nothing.
	entries, _ := os.ReadDir(e.RunsDir())
	if len(entries) != 2*2*4 { // 2 tasks × 4 groups × 2 seeds (fig2a's groups are among table4's)
		t.Errorf("%d cached runs, want 16", len(entries))
	}
	for _, en := range entries {
		d, err := rundir.Open(e.RunsDir() + "/" + en.Name())
		if err != nil {
			t.Fatal(err)
		}
		if done, _ := d.Done(); !done {
			t.Errorf("run %s not finished", en.Name())
		}
	}
	before := snapshotStats(t, e)
	if _, err := e.All(ctx, tinyProfile, []string{"fig2a"}); err != nil {
		t.Fatal(err)
	}
	if after := snapshotStats(t, e); !reflect.DeepEqual(before, after) {
		t.Error("a second reproduction retrained cached runs")
	}
}

func snapshotStats(t *testing.T, e *Env) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(e.RunsDir())
	for _, en := range entries {
		b, err := os.ReadFile(e.RunsDir() + "/" + en.Name() + "/" + rundir.StatsFile)
		if err != nil {
			t.Fatal(err)
		}
		out[en.Name()] = string(b)
	}
	return out
}

// TestProbes runs the analyses that re-run a network: the CB ablation must
// equal evaluating weights whose CB output is zero, and the other probes
// must return one result per population.
func TestProbes(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	dms, _ := e.Source.Describe(ctx, "dms")
	cs, err := Configs(CBRNN, dms, tinyProfile, 2)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := e.Ensure(ctx, cs[:1])
	if err != nil {
		t.Fatal(err)
	}
	cps, err := Checkpoints(dirs[0], 0)
	if err != nil || len(cps) == 0 {
		t.Fatalf("no checkpoint or final state to analyse: %v", err)
	}
	c := cps[0]
	a, err := e.Ablate(ctx, c, 2)
	if err != nil {
		t.Fatal(err)
	}
	zeroed := c
	zeroed.Weights = c.Config.Model.WithoutCB(c.Weights)
	z, err := e.Ablate(ctx, zeroed, 2)
	if err != nil {
		t.Fatal(err)
	}
	if a.NoCB != z.WithCB || z.NoCB != z.WithCB {
		t.Errorf("ablation %.2f%% differs from zeroed-DCN weights %.2f%% (and %.2f%%)", a.NoCB, z.WithCB, z.NoCB)
	}
	r, err := e.Recover(ctx, c, 2, 1)
	if err != nil || r.RecoveredSteps != 2 || r.Recovered < 0 || r.Recovered > 100 {
		t.Errorf("recovery %+v, %v", r, err)
	}
	// Recovery evaluates on its own count of the fixed trials, the same
	// ones as an ablation of that size, and 0 steps of retraining leave
	// exactly the CB-removed network.
	one, err := e.Ablate(ctx, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Trials != c.Config.Batch || r.WithCB != one.WithCB || r.NoCB != one.NoCB {
		t.Errorf("recovery on %d trials (%.2f%%, %.2f%%), want %d trials as Ablate(1) (%.2f%%, %.2f%%)",
			r.Trials, r.WithCB, r.NoCB, c.Config.Batch, one.WithCB, one.NoCB)
	}
	if r0, err := e.Recover(ctx, c, 0, 1); err != nil || r0.Recovered != r0.NoCB {
		t.Errorf("recovery without steps: %+v, %v; want Recovered == NoCB", r0, err)
	}
	d, err := e.Dimensionality(ctx, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	widths := map[string]int{"hidden": 64, "gc": 256, "pc": 64, "cb_bias": 64}
	for pop, w := range widths {
		dm, ok := d.Dims[pop]
		if !ok || dm.Units != w || dm.D95 < 1 || dm.D95 > w {
			t.Errorf("%s: dimensionality %+v, want %d units", pop, dm, w)
		}
	}
	// Sparseness only for the ReLU rate populations, as a fraction.
	if len(d.Sparsity) != 2 {
		t.Errorf("sparseness of %v, want gc and pc", d.Sparsity)
	}
	for _, pop := range []string{"gc", "pc"} {
		sp, ok := d.Sparsity[pop]
		if !ok || !(sp.Population >= 0 && sp.Population <= 1) || !(sp.Lifetime >= 0 && sp.Lifetime <= 1) {
			t.Errorf("%s sparseness %+v, want both in [0, 1]", pop, sp)
		}
	}
	ts, err := e.Timescales(c, 300, 2, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 4 {
		t.Errorf("timescales for %d populations, want 4", len(ts))
	}
}

// ar1Checkpoint is an Elman network without CB whose units are AR(1)
// processes: W_h = self·I, W_x = inW, b_x = 1, b_h = 0. While the
// pre-activation stays positive, LeakyReLU is the identity and unit i is
// h_t = a·h_{t−1} + α(inW_i·x_t + 1) with a = (1−α) + α·self.
func ar1Checkpoint(self float32, inW []float32) Checkpoint {
	m := gm.MustBuild("rnn", gm.Options{Hidden: len(inW)})
	w := gm.InitWeights(m, rand.New(rand.NewPCG(1, 1)))
	H := m.Core.Hidden
	for i := range w["hh.weight"] {
		w["hh.weight"][i] = 0
	}
	for i := range H {
		w["hh.weight"][i*H+i] = self
		w["hh.bias"][i] = 0
		w["inp.weight"][i] = inW[i] // I = 1
		w["inp.bias"][i] = 1
	}
	return Checkpoint{Config: trainer.Paper("dms", m, 3), N: 3, Weights: w}
}

// TestProbesKnownDynamics runs the timescale and PCA probes on networks
// whose dynamics are known in closed form (ar1Checkpoint).
func TestProbesKnownDynamics(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()

	// self = 0.9 (pre-activation > 0 since inW, x, h ≥ 0): a = 14/15, driven
	// by i.i.d. bits, so the autocorrelation is a^k: τ = −1/ln a ≈ 14.49
	// steps, and the first lag with a^k ≤ 1/e is 15.
	ts, err := e.Timescales(ar1Checkpoint(0.9, []float32{1, 2, 3}), 20000, 8, 500)
	if err != nil {
		t.Fatal(err)
	}
	hid, ok := ts["hidden"]
	if !ok || len(ts) != 1 {
		t.Fatalf("timescales of %v, want the hidden population only", ts)
	}
	tau := -1 / math.Log(14.0/15)
	if hid.Units != 3 || math.Abs(hid.UnitMedian-tau) > 0.05*tau {
		t.Errorf("unit τ median %.2f over %d units, want %.2f (AR(1), a = 14/15)", hid.UnitMedian, hid.Units, tau)
	}
	if math.Abs(hid.Population-15) > 1 {
		t.Errorf("population τ %v, want 15 ± 1 (first k with (14/15)^k ≤ 1/e)", hid.Population)
	}

	// self = −0.5: a = 0, so h_t = α(inW_i·x_t + 1) from the first step on
	// (the pre-activation stays > 1 − (inW_i+1)/3 > 0 for inW_i < 2): every
	// unit is a multiple of one scalar process, and the centred hidden
	// activity has rank one.
	d, err := e.Dimensionality(ctx, ar1Checkpoint(-0.5, []float32{0.5, 1, 1.5}), 2)
	if err != nil {
		t.Fatal(err)
	}
	dim := d.Dims["hidden"]
	if dim.Units != 3 || dim.D90 != 1 || dim.D95 != 1 || math.Abs(dim.PR-1) > 1e-4 {
		t.Errorf("hidden dimensionality %+v, want rank one (d90 = d95 = 1, PR = 1)", dim)
	}
}

// shaSource is tasks.Local posing as a plugin host whose binaries have the
// given SHA-256.
type shaSource struct {
	*tasks.Local
	sha string
}

func (s shaSource) Binary(name string) (string, string, bool) { return "/plugins/" + name, s.sha, true }

// A cache hit applies the same plugin check as a resume.
func TestEnsureChecksThePluginOfCachedRuns(t *testing.T) {
	e := testEnv(t)
	e.Source = shaSource{tasks.NewLocal(), "aaaa"}
	ctx := context.Background()
	dms, _ := e.Source.Describe(ctx, "dms")
	cs, err := Configs(CBRNN, dms, tinyProfile, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ensure(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ensure(ctx, cs); err != nil {
		t.Fatalf("cache hit with the same plugin: %v", err)
	}
	e.Source = shaSource{tasks.NewLocal(), "bbbb"}
	_, err = e.Ensure(ctx, cs)
	var ce *trainer.ChangedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cannot reuse the finished run") {
		t.Fatalf("cache hit with a rebuilt plugin: %v", err)
	}
	e.Accept.PluginChange = true
	if _, err := e.Ensure(ctx, cs); err != nil {
		t.Fatalf("accepted: %v", err)
	}
}

// A report drawn for some figures says at its top that it is partial and
// names what it leaves out; one drawn for all of them does not.
func TestReportSaysWhenPartial(t *testing.T) {
	p := Profiles["quick"]
	all := IDs()
	reversed := make([]string, len(all))
	for i, id := range all {
		reversed[len(all)-1-i] = id
	}
	cases := []struct {
		name     string
		ids      []string
		want     []string
		wantNone []string
	}{
		{"every figure", all, []string{"Generated by `./reproduce.sh --profile quick`"}, []string{"Partial"}},
		{"every figure, another order", reversed, []string{"Generated by"}, []string{"Partial"}},
		{"one figure", []string{"fig5"}, []string{
			"**Partial report**: written by `cbrnn figures --profile quick fig5`",
			fmt.Sprintf("covers 1 of the %d figures", len(all)),
			"not in it: " + strings.Join(all[:slices.Index(all, "fig5")], ", "),
		}, []string{"Generated by"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			md := Report(p, nil, 0, 0, c.ids)
			for _, w := range c.want {
				if !strings.Contains(md, w) {
					t.Errorf("report lacks %q:\n%s", w, md)
				}
			}
			for _, w := range c.wantNone {
				if strings.Contains(md, w) {
					t.Errorf("report holds %q:\n%s", w, md)
				}
			}
		})
	}
}
