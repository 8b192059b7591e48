package experiments

import (
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
