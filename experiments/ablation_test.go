package experiments

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestCommonNs: the Ns of a group are the checkpoints every run has (the
// authors' _resolve_shared_Ns), so the highest rows are not drawn from the
// one or two runs that got furthest.
func TestCommonNs(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, ns ...int) *rundir.Dir {
		d, err := rundir.Create(filepath.Join(root, name), map[string]string{"run": name})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if err := d.SaveCheckpoint(n, []safetensors.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	a, b, c := mk("a", 2, 3, 4, 5, 6), mk("b", 2, 3, 4), mk("c", 2, 3, 4, 5)
	ns, err := CommonNs([]*rundir.Dir{a, b, c})
	if err != nil || !reflect.DeepEqual(ns, []int{2, 3, 4}) {
		t.Errorf("common Ns %v (%v), want [2 3 4]", ns, err)
	}
	if _, err := CommonNs([]*rundir.Dir{a, mk("empty")}); err == nil || !strings.Contains(err.Error(), "neither a checkpoint nor a saved state") {
		t.Errorf("a run with nothing to analyse: %v", err)
	}
}

// TestSharedTrialsAcrossNetworks: the ablation's trials at N are the same
// for every network, whatever its seed or width, and both conditions and
// the baseline are evaluated on them.
func TestSharedTrialsAcrossNetworks(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	dms, _ := e.Source.Describe(ctx, "dms")
	var dirs [2][]*rundir.Dir
	for gi, g := range []Group{CBRNN, RNNMatched} {
		cs, err := Configs(g, dms, tinyProfile, 2)
		if err != nil {
			t.Fatal(err)
		}
		if dirs[gi], err = e.Ensure(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	s, err := e.AblationStudyOf(ctx, dirs[0], dirs[1], 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Ns) == 0 || len(s.WithCB) != 2 || len(s.Baseline) != 2 {
		t.Fatalf("study %+v", s)
	}
	n := s.Ns[0]
	again, err := e.SharedEvalTrials(ctx, "dms", nil, n, 2, tinyProfile.Batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range s.Trials[n].Batches {
		if !reflect.DeepEqual(b.X, again.Batches[i].X) || !reflect.DeepEqual(b.Labels, again.Batches[i].Labels) {
			t.Fatalf("shared batch %d differs when drawn again", i)
		}
	}
	// Each network's accuracy equals AblateOn on those trials.
	cp, err := LoadCheckpointAt(dirs[0][1], n)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.AblateOn(cp, s.Trials[n])
	if err != nil {
		t.Fatal(err)
	}
	if a.WithCB != s.WithCB[1][0] || a.NoCB != s.NoCB[1][0] || a.Trials != 2*tinyProfile.Batch {
		t.Errorf("network 2 at N=%d: %+v, study %v / %v", n, a, s.WithCB[1][0], s.NoCB[1][0])
	}
	var c trainer.Config
	if err := dirs[1][0].ReadConfig(&c); err != nil || c.Model.CB != nil {
		t.Fatalf("baseline config: %v", err)
	}
	if md := ablationMarkdown(s); !strings.Contains(md, "shared by every network") {
		t.Errorf("ablation table:\n%s", md)
	}
}

// TestAnalysisFiguresEndToEnd draws the figures of the authors' analyses
// from tiny runs: switching (fig3, fig4), ablation and t-SNE (fig5),
// mechanisms (fig6), PCA and timescales (appG).
func TestAnalysisFiguresEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny runs of every group")
	}
	e := testEnv(t)
	p := tinyProfile
	p.TSNEIters, p.MechDMSBatches, p.MechParityBatches = 50, 2, 1
	rs, err := e.All(context.Background(), p, []string{"fig3", "fig4", "fig5", "fig6", "appG"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"fig3": {"active line cut at 650 epochs", "adaptation"},
		"fig4": {"(c) Task switching", "adaptation"},
		"fig5": {"shared by every network", "t-SNE (DMS)", "t-SNE (Parity)"},
		"fig6": {"DMS memory propagation", "Parity CB encoding"},
		"appG": {"**DMS**", "**Parity**", "CB-RNN G=512", "Frozen-core"},
	}
	for _, r := range rs {
		for _, w := range want[r.ID] {
			if !strings.Contains(r.Markdown, w) {
				t.Errorf("%s markdown lacks %q:\n%s", r.ID, w, r.Markdown)
			}
		}
	}
}
