package rundir

import (
	"os"
	"path/filepath"
	"testing"
)

// A start killed in its first epoch leaves a folder that a new
// start may clear; anything holding a result is never cleared.
func TestClearUnstarted(t *testing.T) {
	for _, c := range []struct {
		name    string
		prepare func(d *Dir)
		clears  bool
	}{
		{"config only", func(d *Dir) {}, true},
		{"empty stats and provenance", func(d *Dir) {
			os.WriteFile(d.file(StatsFile), nil, 0o644)
			os.WriteFile(d.file("provenance.json"), []byte("[]"), 0o644)
		}, true},
		{"torn first stats line", func(d *Dir) { os.WriteFile(d.file(StatsFile), []byte(`{"epoch":1,`), 0o644) }, true},
		{"a completed epoch", func(d *Dir) { d.AppendStats(map[string]int{"epoch": 1}) }, false},
		{"a resume state", func(d *Dir) { d.SaveState(map[string]int{"epoch": 0}, nil) }, false},
		{"a checkpoint", func(d *Dir) { d.SaveCheckpoint(2, nil, nil) }, false},
		{"done", func(d *Dir) { d.MarkDone(map[string]int{}) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run")
			d, err := Create(path, map[string]int{"x": 1})
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(path, "mine.txt"), []byte("keep"), 0o644)
			c.prepare(d)
			cleared, err := ClearUnstarted(path, "provenance.json")
			if err != nil || cleared != c.clears {
				t.Fatalf("cleared %v (%v), want %v", cleared, err, c.clears)
			}
			_, cfgErr := os.Stat(d.file(ConfigFile))
			if c.clears != (cfgErr != nil) {
				t.Errorf("config.json present: %v after cleared=%v", cfgErr == nil, cleared)
			}
			if c.clears {
				for _, f := range []string{StatsFile, "provenance.json"} {
					if _, err := os.Stat(d.file(f)); err == nil {
						t.Errorf("%s left behind", f)
					}
				}
			}
			if b, _ := os.ReadFile(filepath.Join(path, "mine.txt")); string(b) != "keep" {
				t.Error("a file that is not the run's was removed")
			}
		})
	}
	// A run another process is training is never touched.
	path := filepath.Join(t.TempDir(), "busy")
	d, _ := Create(path, map[string]int{"x": 1})
	unlock, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if cleared, err := ClearUnstarted(path); cleared || err == nil {
		t.Errorf("a locked run: cleared %v, err %v; want a refusal", cleared, err)
	}
}
