package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/trainer"
)

// TestClusterPathMatchesLocal is what a cluster does, without the cluster:
// plan the pending ensembles (creating nothing), train them one by one as
// array tasks would, with an offline figures pass in between, and compare
// with a local reproduction: the same runs, with identical stats.
func TestClusterPathMatchesLocal(t *testing.T) {
	ctx := context.Background()
	ids := []string{"fig2a", "appB"}
	cluster := testEnv(t)
	ens, needed, err := cluster.Pending(ctx, tinyProfile, ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cluster.RunsDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("planning created %s", cluster.RunsDir())
	}
	// fig2a: 2 tasks × (CB-RNN, RNN-202) × 2 seeds; ensembles share a shape
	// and hold at most 3 runs; no run is in two ensembles (no two array
	// tasks ever write one run).
	if needed != 8 {
		t.Fatalf("%d runs needed, want 8", needed)
	}
	seen := map[string]bool{}
	for _, ch := range ens {
		if len(ch) > 3 {
			t.Errorf("ensemble of %d runs, max 3", len(ch))
		}
		for _, r := range ch {
			if seen[r.Path] {
				t.Errorf("run %s planned twice", r.Path)
			}
			seen[r.Path] = true
			if compatKey(r.Config) != compatKey(ch[0].Config) {
				t.Errorf("ensemble mixes shapes: %s", r.Path)
			}
		}
	}
	if len(seen) != needed {
		t.Fatalf("%d runs planned, %d needed", len(seen), needed)
	}

	// One array task done, the others not: an offline pass draws appB,
	// holds fig2a back, and lists exactly the runs left.
	if err := cluster.TrainEnsemble(ctx, ens[0]); err != nil {
		t.Fatal(err)
	}
	left, _, err := cluster.Pending(ctx, tinyProfile, ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(left, ens[1:]) {
		t.Fatalf("after the first ensemble the plan is %d ensembles, want the other %d", len(left), len(ens)-1)
	}
	cluster.Offline = true
	cluster.RunNote = func(p string) string { return "note for " + filepath.Base(p) }
	rs, err := cluster.All(ctx, tinyProfile, ids)
	var un *UnfinishedError
	if !errors.As(err, &un) {
		t.Fatalf("offline pass with runs missing returned %v", err)
	}
	var wantMissing []string
	for _, ch := range ens[1:] {
		for _, r := range ch {
			wantMissing = append(wantMissing, r.Path)
		}
	}
	if len(un.Paths) != len(wantMissing) {
		t.Errorf("offline pass names %d unfinished runs, want %d", len(un.Paths), len(wantMissing))
	}
	if len(rs) != 1 || rs[0].ID != "appB" {
		t.Errorf("offline pass drew %d figures, want appB alone", len(rs))
	}
	report, err := os.ReadFile(cluster.ResultsPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range wantMissing {
		if !strings.Contains(string(report), "`"+filepath.Base(p)+"` | not started | note for "+filepath.Base(p)) {
			t.Errorf("results.md does not list %s as not started with its note:\n%s", filepath.Base(p), report)
		}
	}
	if !strings.Contains(string(report), "Not drawn, because some of their runs did not finish: fig2a") {
		t.Errorf("results.md does not say fig2a was held back")
	}
	// The offline pass trained nothing.
	if left2, _, _ := cluster.Pending(ctx, tinyProfile, ids, 3); !reflect.DeepEqual(left2, left) {
		t.Error("the offline pass trained runs")
	}

	for _, ch := range ens[1:] {
		if err := cluster.TrainEnsemble(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cluster.All(ctx, tinyProfile, ids); err != nil {
		t.Fatalf("offline pass with every run finished: %v", err)
	}
	report, _ = os.ReadFile(cluster.ResultsPath())
	if strings.Contains(string(report), "did not finish") {
		t.Error("results.md lists unfinished runs after all finished")
	}

	local := testEnv(t)
	local.MaxEnsemble = 3
	if _, err := local.All(ctx, tinyProfile, ids); err != nil {
		t.Fatal(err)
	}
	// Same run directories (so the same config hashes), same stats but
	// for wall time.
	a, b := stripWall(t, snapshotStats(t, local)), stripWall(t, snapshotStats(t, cluster))
	if !reflect.DeepEqual(keys(a), keys(b)) {
		t.Fatalf("cluster-path runs differ from local ones:\nlocal   %v\ncluster %v", keys(a), keys(b))
	}
	for name := range a {
		if a[name] != b[name] {
			t.Errorf("run %s: stats differ:\nlocal   %s\ncluster %s", name, a[name], b[name])
		}
	}
}

// stripWall rewrites each run's stats without the wall time.
func stripWall(t *testing.T, m map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, text := range m {
		out[name] = stripWallText(t, text)
	}
	return out
}

func stripWallText(t *testing.T, text string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		i := strings.Index(line, `"wall_s":`)
		if i < 0 {
			t.Fatalf("stats line without wall_s: %s", line)
		}
		j := strings.IndexAny(line[i:], ",}")
		b.WriteString(line[:i] + line[i+j:] + "\n")
	}
	return b.String()
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestStatusStates reads each state of a run from its directory.
func TestStatusStates(t *testing.T) {
	ctx := context.Background()
	e := testEnv(t)
	cfgs, err := e.Needs(ctx, tinyProfile, []string{"fig2a"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.Status(ctx, tinyProfile, []string{"fig2a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 8 {
		t.Fatalf("%d runs in the status, want 8", len(st))
	}
	for _, s := range st {
		if s.State != NotStarted || s.Progress() != "not started" {
			t.Fatalf("fresh status %+v", s)
		}
	}
	c := cfgs[0]
	path, _ := e.RunPath(c)
	d := interruptedRun(t, path, c, 2)
	s := InspectRun(path)
	if s.State != Interrupted || s.Epoch != 2 || s.N != 4 || s.Budget != tinyProfile.Epochs || s.EpochS != 10 {
		t.Fatalf("interrupted run: %+v", s)
	}
	if want := (tinyProfile.Epochs - 2) * 10; int(s.ETA.Seconds()) != want {
		t.Errorf("ETA %v, want %d s", s.ETA, want)
	}
	unlock, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if s := InspectRun(path); s.LockKnown && s.State != Running {
		t.Errorf("locked run reads as %s", s.State)
	}
	unlock()
	if err := d.MarkDone(trainer.State{Epoch: 2, Done: true, Reason: "epoch budget 2 spent"}); err != nil {
		t.Fatal(err)
	}
	if s := InspectRun(path); s.State != Finished || s.Progress() != "finished after 2 epochs, epoch budget 2 spent" {
		t.Errorf("finished run: %+v %q", s, s.Progress())
	}
}
