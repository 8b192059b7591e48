package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/trainer"
)

// interruptedRun writes, at path, what a run of c stopped after epochs
// epochs leaves: stats, a resume state that fits its model, provenance.
func interruptedRun(t *testing.T, path string, c trainer.Config, epochs int) *rundir.Dir {
	t.Helper()
	d, err := rundir.Create(path, c)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= epochs; i++ {
		if err := d.AppendStats(trainer.EpochStats{Epoch: i, N: 2 + i, WallS: 10}); err != nil {
			t.Fatal(err)
		}
	}
	var ts []safetensors.Tensor
	for _, prefix := range []string{"", "momentum/"} {
		for _, p := range c.Model.Params() {
			ts = append(ts, safetensors.Tensor{Name: prefix + p.Name, Shape: p.Shape, Data: make([]float32, p.Size())})
		}
	}
	n := max(c.StartN, min(2+epochs, c.MaxN))
	if err := d.SaveState(trainer.State{Epoch: epochs, N: n, Phase: trainer.PhaseAll}, ts); err != nil {
		t.Fatal(err)
	}
	prov := `[{"started": "2026-01-01T00:00:00Z", "from_epoch": 0, "backend": "test", "go": "go1", "modules": {}, "host": "h"}]`
	if err := os.WriteFile(filepath.Join(path, trainer.ProvenanceFile), []byte(prov), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// Status used to count an unreadable run as "not started" and a run that
// train refuses as damaged as "interrupted".
func TestStatusDamagedAndUnreadable(t *testing.T) {
	e := testEnv(t)
	cfgs, err := e.Needs(t.Context(), tinyProfile, []string{"fig2a"})
	if err != nil {
		t.Fatal(err)
	}
	c := cfgs[0]
	root := t.TempDir()
	for _, tc := range []struct {
		name   string
		damage func(path string)
		state  RunState
		want   []string
	}{
		{"healthy", func(string) {}, Interrupted, []string{"interrupted, epoch 2/"}},
		{"corrupt config", func(path string) {
			os.WriteFile(filepath.Join(path, rundir.ConfigFile), []byte(`{"task": "dm`), 0o644)
		}, Unreadable, []string{"unreadable: ", rundir.ConfigFile, "corrupt"}},
		{"no config", func(path string) {
			os.Remove(filepath.Join(path, rundir.ConfigFile))
		}, Unreadable, []string{"unreadable: ", "no " + rundir.ConfigFile}},
		{"state deleted", func(path string) {
			os.Remove(filepath.Join(path, rundir.StateFile))
		}, Damaged, []string{"damaged: ", "completed 2 epochs", "but no", rundir.StateFile}},
		{"duplicated stats line", func(path string) {
			p := filepath.Join(path, rundir.StatsFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b[:strings.IndexByte(string(b), '\n')+1], b...), 0o644)
		}, Damaged, []string{"damaged: ", rundir.StatsFile, "line 2"}},
		{"state flipped", func(path string) {
			p := filepath.Join(path, rundir.StateFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"epoch": 2`, `"epoch": 1`, 1)), 0o644)
		}, Damaged, []string{"damaged: ", "checksum"}},
		{"provenance deleted", func(path string) {
			os.Remove(filepath.Join(path, trainer.ProvenanceFile))
		}, Damaged, []string{"damaged: ", trainer.ProvenanceFile, "is missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(root, strings.ReplaceAll(tc.name, " ", "-"))
			interruptedRun(t, path, c, 2)
			tc.damage(path)
			s := InspectRun(path)
			if s.State != tc.state {
				t.Errorf("state %q (%v), want %q", s.State, s.Err, tc.state)
			}
			for _, w := range tc.want {
				if !strings.Contains(s.Progress(), w) {
					t.Errorf("progress %q does not mention %q", s.Progress(), w)
				}
			}
		})
	}
}
