package experiments

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/claims"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestProfileNames: every list of profiles knows every profile, in one
// order, and quick stays the default.
func TestProfileNames(t *testing.T) {
	if len(ProfileNames) != len(Profiles) {
		t.Fatalf("ProfileNames %v, Profiles has %d", ProfileNames, len(Profiles))
	}
	for _, n := range ProfileNames {
		if p, ok := Profiles[n]; !ok || p.Name != n {
			t.Errorf("profile %q: listed but not defined (or misnamed %q)", n, p.Name)
		}
	}
	if p, err := LookupProfile(""); err != nil || p.Name != "quick" || DefaultProfile != "quick" {
		t.Errorf("default profile %q, %v; want quick", p.Name, err)
	}
	_, err := LookupProfile("huge")
	if err == nil || !strings.Contains(err.Error(), "smoke, quick, standard, paper") {
		t.Errorf("unknown profile: %v, want the known ones in order", err)
	}
	if got := ProfileList(); got != "smoke, quick, standard or paper" {
		t.Errorf("ProfileList() = %q", got)
	}
	sh, err := os.ReadFile(filepath.Join("..", "reproduce.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `case "$profile" in ` + strings.Join(ProfileNames, " | ") + ") ;;"; !strings.Contains(string(sh), want) {
		t.Errorf("reproduce.sh does not accept exactly the profiles: no %q", want)
	}
	for _, n := range ProfileNames {
		if d := Profiles[n].Dir; d != "" && !strings.Contains(string(sh), fmt.Sprintf("case \"$profile\" in %s) sub=%s ;; esac", n, d)) {
			t.Errorf("reproduce.sh does not put profile %s's outputs in its folder %s", n, d)
		}
	}
}

// runKeys are the distinct runs a profile's figures need, as
// "task-model-hash seed=s" (the lines of testdata/quick_runs_measured.txt).
func runKeys(t *testing.T, p Profile) []string {
	t.Helper()
	e := testEnv(t)
	cfgs, err := e.Needs(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cfgs {
		h, err := rundir.Hash(c)
		if err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%s-%s-%s seed=%d", c.Task, c.ModelName, h, c.Seed)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// measuredQuickRuns are the runs of quick's measured reproduction
// (testdata/quick_runs_measured.txt), as runKeys writes them.
func measuredQuickRuns(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "quick_runs_measured.txt"))
	if err != nil {
		t.Fatal(err)
	}
	measured := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		measured[line] = true
	}
	return measured
}

// TestQuickRunsUnchanged: of quick's runs, only those of the studies
// trained shorter since quick was measured (testdata/quick_runs_measured.txt,
// the run folders of that reproduction: the controls figure's aux-RNN and
// compression groups at EpochsControl, the sketch's model and its baseline
// at EpochsSketchModel) differ from the measured ones; every other run is
// still needed under the same hash, so a cache of that reproduction is
// reused as is. A different set means a study's quick size changed, which
// changes quick's hour (README).
func TestQuickRunsUnchanged(t *testing.T) {
	measured := measuredQuickRuns(t)
	changed := map[string]int{}
	got := runKeys(t, Profiles["quick"])
	for _, k := range got {
		if !measured[k] {
			model := strings.SplitN(k, " ", 2)[0]
			model = model[strings.Index(model, "-")+1 : strings.LastIndex(model, "-")]
			changed[model]++
		}
	}
	want := map[string]int{"aux-rnn-cb": 12, "cb-compress": 2, "seed-sketch": 8, "seed-rnn": 4}
	if len(got) != 167 || fmt.Sprint(changed) != fmt.Sprint(want) {
		t.Errorf("quick needs %d runs (want 167), of which not measured, by model: %v; want %v", len(got), changed, want)
	}
}

// TestStandardProfile pins the standard profile's invariants: n = 8 per
// Table 4 group on DMS and parity, n ≥ 3 for the side groups and the
// aux-RNN control, quick-sized analyses, its own folder, and a budget at
// which Periodic-core's first refresh (the trainer's rule: N = StartN + k)
// comes well before the end by the quick-measured learning speed
// (RefreshEpoch), where quick's never comes.
func TestStandardProfile(t *testing.T) {
	p := Profiles["standard"]
	e := testEnv(t)
	ctx := context.Background()
	for _, task := range []string{"dms", "parity"} {
		d, err := e.Source.Describe(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range fig4Groups {
			cs, err := Configs(g, d, p, p.Epochs)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 8 {
				t.Errorf("%s %s: n = %d, want 8 (Table 4's)", task, g.Label, len(cs))
			}
			for _, c := range cs {
				if c.Epochs != p.Epochs || c.Batch != p.Batch || c.Steps != p.Steps || c.TestSteps != p.TestSteps {
					t.Errorf("%s %s: budget %+v", task, g.Label, c)
				}
				if g.Regime == trainer.PeriodicCore && c.StartN+c.Period != map[string]int{"dms": 12, "parity": 7}[task] {
					t.Errorf("%s: first refresh at N = %d", task, c.StartN+c.Period)
				}
			}
		}
		cb, _ := ScalingGroups(64)
		for _, g := range []Group{GRUCB, GRUMatched, cb, AuxRNN, AuxRNNCoreLR} {
			cs, err := Configs(g, d, p, p.Epochs)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) < 3 {
				t.Errorf("%s %s: n = %d, want ≥ 3", task, g.Label, len(cs))
			}
		}
		// Well before the end: by 3/4 of the budget on DMS, half on parity;
		// quick's budget ends before it (Periodic-core = Frozen-core there).
		r := RefreshEpoch(p, task)
		limit := map[string]float64{"dms": 0.75, "parity": 0.5}[task]
		if r <= 0 || float64(r) > limit*float64(p.Epochs) {
			t.Errorf("%s: first refresh estimated at epoch %d of %d (want ≤ %.0f %%)", task, r, p.Epochs, 100*limit)
		}
		if q := Profiles["quick"]; RefreshEpoch(q, task) <= q.Epochs {
			t.Errorf("%s: the estimate puts quick's refresh at epoch %d of %d, but no quick run refreshed", task, RefreshEpoch(q, task), q.Epochs)
		}
	}
	// The scaling comparisons on DMS alone at standard (its hours,
	// METHODS §3.10), on both tasks at quick and paper.
	for _, id := range []string{"fig2b", "appG"} {
		f, _ := LookupFigure(id)
		for name, want := range map[string][]string{"standard": {"dms"}, "quick": {"dms", "parity"}, "paper": {"dms", "parity"}} {
			if got := f.NeedTasks(Profiles[name], 0); !slices.Equal(got, want) {
				t.Errorf("%s at %s: tasks %v, want %v", id, name, got, want)
			}
		}
	}
	multi, _ := e.Source.Describe(ctx, "multitask")
	if cs, _ := Configs(CBRNN, multi, p, p.Epochs); len(cs) != p.SeedsOther || p.SeedsOther < 3 {
		t.Errorf("multitask CB-RNN: n = %d, want SeedsOther = %d ≥ 3", len(cs), p.SeedsOther)
	}
	if p.Dir != "standard" || Profiles["quick"].Dir != "" || Profiles["paper"].Dir != "" || Profiles["smoke"].Dir != "" {
		t.Errorf("only standard writes into its own folder: %q", p.Dir)
	}
	root := t.TempDir()
	if got := ProfileSubdir(root, root, p); got != "standard" {
		t.Errorf("standard in the repository: %q", got)
	}
	if got := ProfileSubdir(filepath.Join(root, "out"), root, p); got != "" {
		t.Errorf("standard with --out: %q, want the flat layout", got)
	}
}

// TestAuxControl: the aux-RNN control has n ≥ 3 at both learning rates in
// every profile but smoke, and the core-lr set trains the core and readout
// at 0.001 and the auxiliary RNN at the shared 0.01 (the authors'
// RNNlr0.001_CBlr0.01 runs).
func TestAuxControl(t *testing.T) {
	e := testEnv(t)
	d, _ := e.Source.Describe(context.Background(), "dms")
	for _, name := range ProfileNames {
		p := Profiles[name]
		for _, g := range []Group{AuxRNN, AuxRNNCoreLR} {
			cs, err := Configs(g, d, p, p.EpochsExtra)
			if err != nil {
				t.Fatal(err)
			}
			if name != "smoke" && len(cs) < 3 {
				t.Errorf("%s: %s n = %d, want ≥ 3", name, g.Label, len(cs))
			}
			for _, c := range cs {
				lr, cb := 0.01, 0.0
				if g.CoreLR > 0 {
					lr, cb = 0.001, 0.01
				}
				if c.Optim.LR != lr || c.Optim.CBLR != cb {
					t.Errorf("%s %s: optimiser %+v, want core lr %g, CB lr %g", name, g.Label, c.Optim, lr, cb)
				}
				if err := c.Validate(); err != nil {
					t.Errorf("%s %s: %v", name, g.Label, err)
				}
			}
		}
	}
}

// TestFig6OverN: the DMS propagation claims read the paper's windows (N 5–9
// and 26–30) where the study reached them, and the trend as per-network
// slopes over the Ns each network reached.
func TestFig6OverN(t *testing.T) {
	nan := math.NaN()
	prop := func(n int, cb, full float64) DMSPropagation {
		return DMSPropagation{N: n, QCB: cb, QFull: full, QDet: full - cb}
	}
	// Network 0 reaches N = 5…8 with Q_CB = 0.5 − 0.1(N−5); network 1
	// reaches 5…6 only; network 2 all of them, Q_CB = 0.4 − 0.05(N−5).
	ns := []int{5, 6, 7, 8}
	s := &MechanismStudy{DMSNs: ns, BaseLabel: "RNN-202"}
	row := func(f func(n int) (float64, float64)) []DMSPropagation {
		var r []DMSPropagation
		for _, n := range ns {
			cb, full := f(n)
			r = append(r, prop(n, cb, full))
		}
		return r
	}
	s.DMS = [][]DMSPropagation{
		row(func(n int) (float64, float64) { return 0.5 - 0.1*float64(n-5), 1 }),
		row(func(n int) (float64, float64) {
			if n > 6 {
				return nan, nan
			}
			return 0.3 - 0.2*float64(n-5), 1
		}),
		row(func(n int) (float64, float64) { return 0.4 - 0.05*float64(n-5), 1 }),
	}
	s.DMSBase = [][]DMSPropagation{row(func(int) (float64, float64) { return 0, 1.2 }), row(func(int) (float64, float64) { return 0, 1.1 })}
	byID := map[string]Claim{}
	for _, c := range fig6Claims(s) {
		byID[c.ID] = c
	}
	slope := byID["fig6/dms/qcb-slope"]
	if slope.Direction != claims.Less || slope.NotTestable != "" {
		t.Fatalf("qcb-slope: %+v", slope)
	}
	want := []float64{-0.1, -0.2, -0.05}
	for i, w := range want {
		if math.Abs(slope.A[i]-w) > 1e-12 {
			t.Errorf("slope of network %d = %g, want %g", i, slope.A[i], w)
		}
	}
	early := byID["fig6/dms/qcb-early"]
	if wantMeans := []float64{0.35, 0.2, 0.325}; early.NotTestable != "" || !slices.EqualFunc(early.A, wantMeans, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
		t.Errorf("early window means %v (%q), want %v", early.A, early.NotTestable, wantMeans)
	}
	for _, id := range []string{"fig6/dms/qcb-falls", "fig6/dms/q-rnn-vs-cb-late"} {
		if c := byID[id]; !strings.Contains(c.NotTestable, "late") {
			t.Errorf("%s: %q, want not testable (the late window N 26–30 is not reached)", id, c.NotTestable)
		}
	}
	if c := byID["fig6/dms/qrnn-slope"]; c.Direction != claims.NoDirection || len(c.A) != 2 {
		t.Errorf("qrnn-slope: %+v", c)
	}
	// A study that reaches the late window tests it.
	s.DMSNs = []int{5, 26}
	for k := range s.DMS {
		s.DMS[k] = []DMSPropagation{prop(5, 0.4, 1), prop(26, 0.01*float64(k+1), 1)}
	}
	for k := range s.DMSBase {
		s.DMSBase[k] = []DMSPropagation{prop(5, 0, 1.2), prop(26, 0, 1.1)}
	}
	for _, c := range fig6Claims(s) {
		if c.ID == "fig6/dms/qcb-falls" && (c.NotTestable != "" || len(c.A) != 3 || c.B[2] != 0.03) {
			t.Errorf("qcb-falls with both windows: %+v", c)
		}
	}
}
