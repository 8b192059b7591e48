package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// figdata states the paper's protocol without importing trainer (which
// links GoMLX): the two must agree.
func TestFigdataPaperProfileIsTrainers(t *testing.T) {
	p := Profiles["paper"]
	got := []int{p.Epochs, p.EpochsGRU, p.Steps, p.TestSteps, p.Batch, p.MaxN}
	want := []int{trainer.PaperEpochs, trainer.PaperEpochsGRU, trainer.PaperSteps, trainer.PaperTestSteps, trainer.PaperBatch, trainer.PaperMaxN}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paper profile epochs, GRU epochs, steps, test steps, batch, max N = %v, trainer says %v", got, want)
	}
	for _, name := range []string{"smoke", "quick"} {
		if Profiles[name].MaxN != trainer.PaperMaxN {
			t.Errorf("%s: MaxN %d, trainer.PaperMaxN %d", name, Profiles[name].MaxN, trainer.PaperMaxN)
		}
	}
}

// What appG saves (SaveFigData of ModulesData) is what the notebook reads
// back (figdata.Load, which nb.FigData calls), and the panels drawn from it
// are the figure's; a figure drawn from runs outside the output folder's
// runs/ (imported runs) saves nothing.
func TestAppGFigDataRoundTrip(t *testing.T) {
	out := t.TempDir()
	var dirs []*rundir.Dir
	for _, name := range []string{"r1", "r2"} {
		d := filepath.Join(out, "runs", name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "stats.jsonl"), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, &rundir.Dir{Path: d})
	}
	studies := [][]*ModuleStudy{{
		{Label: CBRNN.Label, Group: CBRNN, Runs: 2, Checkpointed: 4,
			D95: map[string]map[int][]float64{"gc": {2: {0.3, 0.4}}, "hidden": {2: {0.1, 0.2}}},
			Tau: map[string]map[int][]float64{"gc": {2: {5, 6}}}},
		{Label: FrozenCoreGroup.Label, Group: FrozenCoreGroup, Runs: 1, Checkpointed: 2,
			D95: map[string]map[int][]float64{"pc": {3: {0.7}}}, Tau: map[string]map[int][]float64{}},
	}}
	all := [][][]*Cohort{{{{Group: CBRNN, Label: CBRNN.Label, Dirs: dirs}}}}
	e := &Env{Env: &env.Env{Root: out, Out: out}}
	want := ModulesData([]string{"dms"}, studies, "text")
	if err := e.SaveFigData("appG", Profiles["smoke"], all, want); err != nil {
		t.Fatal(err)
	}
	var got figdata.Modules
	if _, err := figdata.Load(out, "appG", "smoke", &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v\nwant %+v", got, want)
	}
	if got.Groups[0][0].Frozen || !got.Groups[0][1].Frozen {
		t.Errorf("frozen flags %v %v, want false true", got.Groups[0][0].Frozen, got.Groups[0][1].Frozen)
	}
	if rows := got.Rows(); len(rows) != 2 || len(rows[0]) != 2 {
		t.Errorf("panels: %d rows, want 2 rows of 2", len(rows))
	}
	// Imported runs (outside the output folder's runs/): nothing saved.
	other := t.TempDir()
	all[0][0][0].Dirs = []*rundir.Dir{{Path: filepath.Join(t.TempDir(), "x")}}
	e.Env = &env.Env{Root: other, Out: other}
	if err := e.SaveFigData("appG", Profiles["smoke"], all, want); err != nil {
		t.Fatal(err)
	}
	if _, err := figdata.Load(other, "appG", "smoke", &got); err == nil {
		t.Errorf("data of imported runs was saved")
	}
}

// fakeRuns makes n run folders with a stats.jsonl under out/runs, as
// SaveFigData records them.
func fakeRuns(t *testing.T, out string, n int) []*rundir.Dir {
	t.Helper()
	var dirs []*rundir.Dir
	for i := range n {
		d := filepath.Join(out, "runs", fmt.Sprintf("r%d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "stats.jsonl"), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, &rundir.Dir{Path: d})
	}
	return dirs
}

// What fig6 and appH save is what their notebooks read back: the study
// (with the NaN of a network that did not reach an N, which gob keeps),
// and the panels and tables drawn from the data read back are the
// figure's (same markdown, same number of panels).
func TestFig6AppHFigDataRoundTrip(t *testing.T) {
	out := t.TempDir()
	dirs := fakeRuns(t, out, 2)
	all := [][][]*Cohort{{{{Group: CBRNN, Label: CBRNN.Label, Dirs: dirs}}}}
	e := &Env{Env: &env.Env{Root: out, Out: out}}
	nan := math.NaN()
	mech := MechanismStudy{DMSNs: []int{5, 6}, DMSNets: []string{"a", "b"}, BaseLabel: "RNN (H=202)",
		DMS: [][]DMSPropagation{
			{{N: 5, QFull: 1.1, QDet: 0.9, QCB: 0.2, Full: []float64{1, 1.2}}, {N: 6, QFull: 1.0, QDet: 0.95, QCB: 0.05}},
			{{N: 5, QFull: 1.2, QDet: 1.0, QCB: 0.2}, {N: 6, QFull: nan, QDet: nan, QCB: nan}}},
		DMSBase:  [][]DMSPropagation{{{N: 5, QFull: 1.3}, {N: 6, QFull: 1.25}}},
		ParityNs: []int{2, 3}, Parity: [][]ParitySwap{{{N: 2, Correct: 0.9, NoCB: 0.1, Same: 0.8, Opposite: -0.7}, {N: 3, Correct: 1, Opposite: -1}}},
		DMSBatches: 4, ParityBatches: 2}
	if err := e.SaveFigData("fig6", Profiles["smoke"], all, mech); err != nil {
		t.Fatal(err)
	}
	var gotMech figdata.MechanismStudy
	if _, err := figdata.Load(out, "fig6", "smoke", &gotMech); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(gotMech.DMS[1][1].QFull) {
		t.Errorf("a network that did not reach N read back %v, want NaN", gotMech.DMS[1][1].QFull)
	}
	p := Profiles["smoke"]
	if a, b := DrawFig6(&mech, p), DrawFig6(&gotMech, p); a.Markdown != b.Markdown || len(b.Rows) != 2 || len(b.Rows[1]) != 2 {
		t.Errorf("fig6 from the data read back differs:\n%s\nwant\n%s (%d panel rows)", b.Markdown, a.Markdown, len(b.Rows))
	}
	if got := gotMech.ParitySummary(); len(got) != 4 || math.Abs(got[0].Mean-0.95) > 1e-12 || math.Abs(got[3].Mean+0.85) > 1e-12 {
		t.Errorf("parity summary %+v, want Correct 0.95 and Opposite -0.85", got)
	}

	rec := figdata.Recovery{LR: 0.01, Momentum: 0.1, Nesterov: true,
		Studies: []RecoveryStudy{{Task: "dms", Ns: []int{2, 3}, Nets: []string{"a", "b"}, Steps: 10, EvalBatches: 2, B: 64,
			WithCB: [][]float64{{90, 95}, {88, 97}}, NoCB: [][]float64{{60, 50}, {55, 52}}, Recovered: [][]float64{{70, 65}, {58, 66}},
			NoCBLoss: [][]float64{{0.7, 0.8}, {0.75, 0.8}}, RecoveredLoss: [][]float64{{0.6, 0.65}, {0.62, 0.7}}}},
		Controls: [][]RecoveryControl{{{N: 2, Name: "CB kept", Start: []float64{90, 88}, End: []float64{89, 90}}}}}
	if err := e.SaveFigData("appH", p, all, rec); err != nil {
		t.Fatal(err)
	}
	var gotRec figdata.Recovery
	if _, err := figdata.Load(out, "appH", "smoke", &gotRec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotRec, rec) {
		t.Errorf("read back %+v\nwant %+v", gotRec, rec)
	}
	if rows := RecoveryRows(&gotRec.Studies[0]); len(rows) != 2 || rows[0][1] != "89.0 ± 1.0" || rows[1][4] != "0.800 → 0.675" {
		t.Errorf("recovery rows %v, want N=2 with CB 89.0 ± 1.0 and N=3 cross-entropy 0.800 → 0.675", rows)
	}
	if d := gotRec.Controls[0][0].Diff(); !reflect.DeepEqual(d, []float64{-1, 2}) {
		t.Errorf("control change %v, want [-1 2]", d)
	}
	if panels := figdata.RecoveryPanels(gotRec.Studies); len(panels) != 2 || len(panels[0]) != 1 {
		t.Errorf("appH panels: %d rows, want 2 rows of 1", len(panels))
	}
}
