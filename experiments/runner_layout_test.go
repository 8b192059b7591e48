package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/trainer"
)

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
		if env.NumCores() >= 2 {
			want = "2 executor(s) × members [1 1]"
		}
		if !strings.Contains(prov[0].Layout[0], want) {
			t.Errorf("layout %q, want %q", prov[0].Layout[0], want)
		}
	}
}
