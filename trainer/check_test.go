package trainer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// A damaged state.json (here N=7000) is named as such, not
// blamed on the task plugin that would be asked for N=7000.
func TestDamagedStateIsNamed(t *testing.T) {
	be := backend(t)
	src := tasks.NewLocal()
	c := tiny("dms", 2)
	c.Epochs = 1
	r := newRun(t, c, filepath.Join(t.TempDir(), "run"))
	if err := Train(context.Background(), []Run{r}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	c.Epochs = 3
	os.Remove(filepath.Join(r.Dir.Path, rundir.ConfigFile))
	os.Remove(filepath.Join(r.Dir.Path, rundir.DoneFile))
	r = newRun(t, c, r.Dir.Path)
	path := filepath.Join(r.Dir.Path, rundir.StateFile)
	for _, tc := range []struct{ field, value, want string }{
		{"n", "7000", "N=7000"},
		{"epoch", "-4", "epoch -4"},
		{"epoch", "99", "epoch 99"},
		{"phase", `"sideways"`, `phase "sideways"`},
		{"active", "5", "active head 5"},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var sf map[string]json.RawMessage
			if err := json.Unmarshal(raw, &sf); err != nil {
				t.Fatal(err)
			}
			var meta map[string]json.RawMessage
			json.Unmarshal(sf["meta"], &meta)
			meta["done"] = json.RawMessage("false")
			meta[tc.field] = json.RawMessage(tc.value)
			sf["meta"], _ = json.Marshal(meta)
			// Written with a matching checksum, as a buggy writer would:
			// checkState is the defence behind the checksum.
			sum := sha256.Sum256(sf["meta"])
			sf["meta_sha256"], _ = json.Marshal(hex.EncodeToString(sum[:]))
			bad, _ := json.Marshal(sf)
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(path, raw, 0o644)
			err = Train(context.Background(), []Run{r}, Options{Backend: be, Source: src})
			if err == nil {
				t.Fatal("a damaged state was resumed")
			}
			t.Log(err)
			for _, want := range []string{path, tc.want, "damaged"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// N bounds beyond what the task declares are refused before
// anything is trained.
func TestConfigBeyondTheTask(t *testing.T) {
	src := tasks.NewLocal()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"max N", func(c *Config) { c.MaxN = 5000 }, "max N 5000 is outside the N range [2, 1000] of task dms"},
		{"start N", func(c *Config) { c.StartN = 1 }, "start N 1 is outside the N range [2, 1000] of task dms"},
		{"fixed N", func(c *Config) { c.Regime, c.FixedN = FixedN, 1001 }, "fixed N 1001 is outside the N range [2, 1000] of task dms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tiny("dms", 1)
			tc.edit(&c)
			dir := filepath.Join(t.TempDir(), "run")
			err := Train(context.Background(), []Run{newRun(t, c, dir)}, Options{Backend: backend(t), Source: src})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, ProvenanceFile)); err == nil {
				t.Error("a refused run wrote provenance.json")
			}
		})
	}
}

// Preflight refuses what the task would refuse, without writing anything.
func TestPreflight(t *testing.T) {
	src := tasks.NewLocal()
	ok := tiny("switch", 1)
	ok.Model = gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: 2, Heads: []int{2, 2}})
	if _, err := Preflight(context.Background(), src, ok); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown parameter", func(c *Config) { c.TaskParams = map[string]string{"nosuch": "1"} }, `task switch has no parameter "nosuch"`},
		{"outside the domain", func(c *Config) { c.TaskParams = map[string]string{"active": "both"} }, `parameter active = "both" is outside its domain`},
		{"max N", func(c *Config) { c.MaxN = 1001 }, "max N 1001 is outside the N range"},
		{"heads", func(c *Config) { c.Task = "dms" }, "task dms has 1 heads"},
		{"config", func(c *Config) { c.Batch = 0 }, "batch must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			_, err := Preflight(context.Background(), src, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
