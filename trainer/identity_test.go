package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// pluginSource is tasks.Local posing as a plugin host: its binaries have
// the given SHA-256, and version, if set, replaces the declared version.
type pluginSource struct {
	*tasks.Local
	sha, version string
}

func (p pluginSource) Binary(name string) (string, string, bool) {
	return "/plugins/" + name, p.sha, true
}

func (p pluginSource) Describe(ctx context.Context, name string) (task.Description, error) {
	d, err := p.Local.Describe(ctx, name)
	if p.version != "" {
		d.Version = p.version
	}
	return d, err
}

// interrupted trains c in dir for one epoch of its two, then stops.
func interrupted(t *testing.T, c Config, dir string, src task.Source) Run {
	t.Helper()
	c.Epochs = 2
	r := newRun(t, c, dir)
	ctx, cancel := context.WithCancel(context.Background())
	var cut task.Source = &cancelAfter{Source: src, n: c.Steps + c.TestSteps + 1, cancel: cancel}
	if b, ok := src.(Binaries); ok {
		cut = struct {
			task.Source
			Binaries
		}{cut, b}
	}
	if err := Train(ctx, []Run{r}, Options{Backend: backend(t), Source: cut, Prefetch: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupting: %v", err)
	}
	if n := len(stats(t, r.Dir)); n != 1 {
		t.Fatalf("%d epochs before the interruption, want 1", n)
	}
	return r
}

func provenanceOf(t *testing.T, d *rundir.Dir) []Provenance {
	t.Helper()
	var ps []Provenance
	b, err := os.ReadFile(filepath.Join(d.Path, ProvenanceFile))
	if err == nil {
		err = json.Unmarshal(b, &ps)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// A resume with a rebuilt plugin (other SHA-256, or another
// declaration) is refused, saying what changed and how to proceed; with
// AcceptPluginChange it goes on and the acceptance is recorded.
func TestResumeRefusesChangedPlugin(t *testing.T) {
	old := pluginSource{Local: tasks.NewLocal(), sha: "aaaa1111"}
	for _, tc := range []struct {
		name string
		now  pluginSource
		want []string
	}{
		{"binary", pluginSource{Local: tasks.NewLocal(), sha: "bbbb2222"}, []string{"sha256 aaaa1111", "now bbbb2222", "declaration unchanged"}},
		{"declaration", pluginSource{Local: tasks.NewLocal(), sha: "bbbb2222", version: "2.0.0"}, []string{"declaration changed", "Version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := interrupted(t, tiny("dms", 5), filepath.Join(t.TempDir(), "run"), old)
			err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: tc.now})
			var ce *ChangedError
			if !errors.As(err, &ce) {
				t.Fatalf("resume with another plugin: %v, want a *ChangedError", err)
			}
			t.Log(err)
			for _, w := range append(tc.want, r.Dir.Path, `task plugin "dms"`, "start a new run", "--accept-plugin-change") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q", w)
				}
			}
			if n := len(stats(t, r.Dir)); n != 1 {
				t.Errorf("the refused resume trained: %d epochs", n)
			}
			if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: tc.now, Accept: Accept{PluginChange: true}}); err != nil {
				t.Fatalf("with AcceptPluginChange: %v", err)
			}
			ps := provenanceOf(t, r.Dir)
			last := ps[len(ps)-1]
			if last.Task == nil || last.Task.SHA256 != "bbbb2222" || len(last.Accepted) == 0 {
				t.Errorf("the accepted change is not recorded: %+v", last)
			}
			// The same plugin again: no complaint.
			if err := CheckReuse(context.Background(), tc.now, r.Dir, Accept{}); err != nil {
				t.Errorf("reuse with the recorded plugin: %v", err)
			}
		})
	}
}

// The cache-hit path (a finished run reused by experiments)
// applies the same check.
func TestReuseRefusesChangedPlugin(t *testing.T) {
	src := pluginSource{Local: tasks.NewLocal(), sha: "aaaa1111"}
	c := tiny("parity", 1)
	c.Epochs = 1
	r := newRun(t, c, filepath.Join(t.TempDir(), "run"))
	if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src}); err != nil {
		t.Fatal(err)
	}
	if err := CheckReuse(context.Background(), src, r.Dir, Accept{}); err != nil {
		t.Fatalf("reuse with the same plugin: %v", err)
	}
	now := pluginSource{Local: tasks.NewLocal(), sha: "cccc3333"}
	err := CheckReuse(context.Background(), now, r.Dir, Accept{})
	if err == nil || !strings.Contains(err.Error(), "--accept-plugin-change") || !strings.Contains(err.Error(), "now cccc3333") {
		t.Fatalf("reuse with another plugin: %v", err)
	}
	t.Log(err)
	if err := CheckReuse(context.Background(), now, r.Dir, Accept{PluginChange: true}); err != nil {
		t.Fatal(err)
	}
	if err := CheckReuse(context.Background(), now, r.Dir, Accept{}); err != nil {
		t.Errorf("after accepting, the new plugin is the recorded one: %v", err)
	}
}

// A run is not resumed by a build whose numerics differ (SIMD
// kernels on or off): the round-off would differ mid-run under one cache
// key. A finished run is reused whatever built it.
func TestResumeRefusesOtherNumerics(t *testing.T) {
	src := tasks.NewLocal()
	r := interrupted(t, tiny("dms", 6), filepath.Join(t.TempDir(), "run"), src)
	ps := provenanceOf(t, r.Dir)
	if ps[0].Numerics == nil || ps[0].Numerics.SIMD != simdBuild || ps[0].Numerics.Backend == "" {
		t.Fatalf("numerics not recorded: %+v", ps[0].Numerics)
	}
	ps[0].Numerics.SIMD = !simdBuild
	b, _ := json.Marshal(ps)
	os.WriteFile(filepath.Join(r.Dir.Path, ProvenanceFile), b, 0o644)
	err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src})
	var ce *ChangedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "GOEXPERIMENT=simd") || !strings.Contains(err.Error(), "--accept-numerics-change") {
		t.Fatalf("resume by other numerics: %v", err)
	}
	t.Log(err)
	if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: src, Accept: Accept{NumericsChange: true}}); err != nil {
		t.Fatal(err)
	}
	if err := CheckReuse(context.Background(), src, r.Dir, Accept{}); err != nil {
		t.Errorf("reusing the finished run: %v", err)
	}
}
