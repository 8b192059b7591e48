package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// stoppedAfter trains c (4 epochs) in dir and stops it at the boundary
// after epochs epochs.
func stoppedAfter(t *testing.T, c Config, dir string, src task.Source, epochs int) Run {
	t.Helper()
	r := newRun(t, c, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cut := &cancelAfter{Source: src, n: epochs*(c.Steps+c.TestSteps) + 1, cancel: cancel}
	if err := Train(ctx, []Run{r}, Options{Backend: backend(t), Source: cut, Prefetch: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupting: %v", err)
	}
	if n := len(stats(t, r.Dir)); n != epochs {
		t.Fatalf("%d epochs before the interruption, want %d", n, epochs)
	}
	return r
}

func mustMention(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// A damaged or deleted provenance.json used to switch the plugin-change
// check off: a truncated file let a resume go on with a changed plugin and
// the rewrite lost the earlier sessions; a deleted one let a finished run
// be reused with another plugin.
func TestMissingProvenanceRefused(t *testing.T) {
	old := pluginSource{Local: tasks.NewLocal(), sha: "aaaa1111"}
	changed := pluginSource{Local: tasks.NewLocal(), sha: "bbbb2222"}
	t.Run("truncated, resume", func(t *testing.T) {
		r := interrupted(t, tiny("dms", 5), filepath.Join(t.TempDir(), "run"), old)
		p := filepath.Join(r.Dir.Path, ProvenanceFile)
		b, _ := os.ReadFile(p)
		truncated := b[:len(b)/2]
		os.WriteFile(p, truncated, 0o644)
		err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: changed})
		var pe *ProvenanceError
		if !errors.As(err, &pe) {
			t.Fatalf("resume with a truncated provenance and another plugin: %v, want a *ProvenanceError", err)
		}
		mustMention(t, err, p, "is damaged", "--accept-missing-provenance", AcceptMissingProvenanceVar)
		if n := len(stats(t, r.Dir)); n != 1 {
			t.Errorf("the refused resume trained: %d epochs", n)
		}
		err = Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: changed, Accept: Accept{MissingProvenance: true}})
		if err != nil {
			t.Fatalf("with MissingProvenance accepted: %v", err)
		}
		kept, _ := filepath.Glob(filepath.Join(r.Dir.Path, "provenance-damaged-*.json"))
		if len(kept) != 1 {
			t.Fatalf("the damaged provenance was not kept: %v", kept)
		}
		if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b, truncated) {
			t.Errorf("the kept provenance differs from the damaged one")
		}
		ps := provenanceOf(t, r.Dir)
		if len(ps) == 0 || !strings.Contains(strings.Join(ps[0].Accepted, "; "), "damaged") {
			t.Errorf("the acceptance is not recorded: %+v", ps)
		}
	})
	t.Run("deleted, reuse", func(t *testing.T) {
		c := tiny("parity", 1)
		c.Epochs = 1
		r := newRun(t, c, filepath.Join(t.TempDir(), "run"))
		if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: old}); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(r.Dir.Path, ProvenanceFile))
		err := CheckReuse(context.Background(), changed, r.Dir, Accept{})
		mustMention(t, err, "cannot reuse the finished run", "is missing", "--accept-missing-provenance")
		if err := CheckReuse(context.Background(), changed, r.Dir, Accept{MissingProvenance: true}); err != nil {
			t.Fatal(err)
		}
		// The acceptance recorded the plugin as it is now: a later change is caught again.
		if err := CheckReuse(context.Background(), changed, r.Dir, Accept{}); err != nil {
			t.Errorf("reuse after accepting: %v", err)
		}
		if err := CheckReuse(context.Background(), old, r.Dir, Accept{}); err == nil {
			t.Error("a plugin change after the acceptance was not caught")
		}
	})
}

// A duplicated stats line was counted as an epoch on resume: epochs went
// 1,1,3 and epoch 2 was lost silently.
func TestResumeRefusesDuplicatedStatsLine(t *testing.T) {
	src := tasks.NewLocal()
	r := stoppedAfter(t, tiny("dms", 7), filepath.Join(t.TempDir(), "run"), src, 2)
	p := filepath.Join(r.Dir.Path, rundir.StatsFile)
	b, _ := os.ReadFile(p)
	first := b[:bytes.IndexByte(b, '\n')+1]
	os.WriteFile(p, append(append([]byte{}, first...), b...), 0o644) // 1, 1, 2
	err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src})
	mustMention(t, err, p, "line 2", "epoch 1 where epoch 2 belongs", "duplicated")
	if got, _ := os.ReadFile(p); len(got) != len(b)+len(first) {
		t.Error("the refused resume changed stats.jsonl")
	}
}

// The resume state is checksummed and never saved non-finite; a state.json
// deleted from a run with completed epochs is refused, not restarted.
func TestResumeRefusesDamagedState(t *testing.T) {
	src := tasks.NewLocal()
	stateOf := func(d *rundir.Dir) (sf struct {
		Tensors string          `json:"tensors"`
		Meta    json.RawMessage `json:"meta"`
	}) {
		b, _ := os.ReadFile(filepath.Join(d.Path, rundir.StateFile))
		json.Unmarshal(b, &sf)
		return sf
	}
	for _, tc := range []struct {
		name   string
		damage func(d *rundir.Dir) (file string)
		want   []string
	}{
		{"flipped value", func(d *rundir.Dir) string {
			p := filepath.Join(d.Path, stateOf(d).Tensors)
			b, _ := os.ReadFile(p)
			b[len(b)-3] ^= 0x10
			os.WriteFile(p, b, 0o644)
			return p
		}, []string{"is damaged", "does not match the checksum"}},
		{"NaN in an older state", func(d *rundir.Dir) string {
			sf := stateOf(d)
			p := filepath.Join(d.Path, sf.Tensors)
			ts, _, _ := safetensors.ReadFile(p)
			for i := range ts {
				if strings.HasPrefix(ts[i].Name, momentumPrefix) {
					ts[i].Data[0] = float32(math.NaN())
				}
			}
			safetensors.WriteFile(p, ts, nil)
			b, _ := json.Marshal(sf) // no checksums, as before they existed
			os.WriteFile(filepath.Join(d.Path, rundir.StateFile), b, 0o644)
			return p
		}, []string{"is damaged", "= NaN", "never saves a non-finite"}},
		{"state.json deleted", func(d *rundir.Dir) string {
			p := filepath.Join(d.Path, rundir.StateFile)
			os.Remove(p)
			return p
		}, []string{"completed 2 epochs", "but no", "would discard them"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := stoppedAfter(t, tiny("dms", 8), filepath.Join(t.TempDir(), "run"), src, 2)
			file := tc.damage(r.Dir)
			err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src})
			mustMention(t, err, append(tc.want, file)...)
			if err != nil && strings.Contains(err.Error(), "learning rate") {
				t.Errorf("damage blamed on training: %v", err)
			}
			if !IsDamage(err) {
				t.Errorf("IsDamage(%v) = false", err)
			}
			if n := len(stats(t, r.Dir)); n != 2 {
				t.Errorf("the refused resume left %d epochs, want the 2 it had", n)
			}
			mustMention(t, Damage(r.Dir), file)
		})
	}
}
