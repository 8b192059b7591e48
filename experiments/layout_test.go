package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/trainer"
)

// TestCoresShared: what --jobs means on the Go backend. Two ensembles on 2
// cores start with one single-threaded executor each; once no ensemble is
// waiting, the one still running takes the core the other freed (two
// executors for its 3 members, then one 2-thread backend for its last);
// with more jobs than cores an ensemble still runs, on a shared core.
func TestCoresShared(t *testing.T) {
	be := testEnv(t).Backend
	pool := &cores{free: 2, waiting: 3}
	a, releaseA := pool.layout(be, 1)
	b, releaseB := pool.layout(be, 1)
	if bs := a(3); len(bs) != 1 || !strings.Contains(bs[0].Description(), "parallelism=1") {
		t.Fatalf("first ensemble with another waiting: %d executors (%s), want 1 single-threaded", len(bs), bs[0].Description())
	}
	if bs := b(3); len(bs) != 1 {
		t.Fatalf("second ensemble: %d executors, want 1", len(bs))
	}
	releaseA()
	if bs := b(3); len(bs) != 1 {
		t.Errorf("a third ensemble is waiting: the freed core is its own, got %d executors", len(bs))
	}
	c, releaseC := pool.layout(be, 1) // the third starts: nobody waits now
	if bs := c(2); len(bs) != 1 {
		t.Errorf("third ensemble: %d executors, want 1", len(bs))
	}
	releaseB()
	if bs := c(2); len(bs) != 2 {
		t.Errorf("alone on the machine with 2 members: %d executors, want 2", len(bs))
	}
	if bs := c(2); len(bs) != 2 {
		t.Errorf("asked again: %d executors", len(bs))
	}
	if bs := c(1); len(bs) != 1 || !strings.Contains(bs[0].Description(), "parallelism=2") {
		t.Errorf("one member left, 2 cores: %d executors (%s), want one 2-thread backend", len(bs), bs[0].Description())
	}
	releaseC()
	if pool.free != 2 {
		t.Errorf("%d cores free after every ensemble ended, want 2", pool.free)
	}

	over := &cores{free: 1, waiting: 2}
	x, rx := over.layout(be, 1)
	y, ry := over.layout(be, 1)
	if len(x(2)) != 1 || len(y(2)) != 1 {
		t.Error("more jobs than cores: each ensemble runs on one executor")
	}
	rx()
	ry()
	if over.free != 1 {
		t.Errorf("%d cores free after oversubscription, want 1", over.free)
	}
}

// TestLongestFirst: ensembles start by cost, members × epochs × parameters.
func TestLongestFirst(t *testing.T) {
	e := testEnv(t)
	dms, _ := e.Source.Describe(context.Background(), "dms")
	small, _ := Configs(CBRNN, dms, tinyProfile, 3)
	big, _ := Configs(CBRNN, dms, tinyProfile, 30)
	run := func(cs []trainer.Config) []trainer.Run {
		var rs []trainer.Run
		for _, c := range cs {
			rs = append(rs, trainer.Run{Config: c})
		}
		return rs
	}
	chunks := [][]trainer.Run{run(small[:1]), run(big[:1]), run(small)}
	longestFirst(chunks)
	if chunks[0][0].Config.Epochs != 30 || len(chunks[1]) != 2 || len(chunks[2]) != 1 {
		t.Errorf("order %d×%d, %d×%d, %d×%d epochs×runs; want the 30-epoch run, then 2 runs, then 1",
			chunks[0][0].Config.Epochs, len(chunks[0]), chunks[1][0].Config.Epochs, len(chunks[1]), chunks[2][0].Config.Epochs, len(chunks[2]))
	}
}

// TestEnsureRecordsLayouts: runs trained by Ensure record the executors
// they ran on in provenance.json.
func TestEnsureRecordsLayouts(t *testing.T) {
	e := testEnv(t)
	dms, _ := e.Source.Describe(context.Background(), "dms")
	cfgs, err := Configs(CBRNN, dms, tinyProfile, 2)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := e.Ensure(context.Background(), cfgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		var prov []trainer.Provenance
		b, err := os.ReadFile(filepath.Join(d.Path, trainer.ProvenanceFile))
		if err != nil || json.Unmarshal(b, &prov) != nil || len(prov) != 1 || len(prov[0].Layout) == 0 {
			t.Fatalf("%s: provenance %s (%v): want one session with its layout", d.Path, b, err)
		}
		want := fmt.Sprintf("executor(s) × members [%d", len(cfgs))
		if numCores() >= 2 {
			want = "2 executor(s) × members [1 1]"
		}
		if !strings.Contains(prov[0].Layout[0], want) {
			t.Errorf("layout %q, want %q", prov[0].Layout[0], want)
		}
	}
}
