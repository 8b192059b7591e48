package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestRatioGroups: the expansion-ratio sweep's matched networks have the
// paper's CB-RNN's parameter count (within one hidden unit's worth), G = r·H
// exactly, and the paper's ratio is the paper's CB-RNN at both sizes, so
// its runs are fig2a's.
func TestRatioGroups(t *testing.T) {
	paper := gm.MustBuild("cb-rnn", gm.Options{}).Count().Total
	for _, r := range Ratios {
		h := RatioMatchedHidden(r)
		got := gm.MustBuild("cb-rnn", gm.Options{Hidden: h, GC: r * h}).Count().Total
		below := gm.MustBuild("cb-rnn", gm.Options{Hidden: h - 1, GC: r * (h - 1)}).Count().Total
		above := gm.MustBuild("cb-rnn", gm.Options{Hidden: h + 1, GC: r * (h + 1)}).Count().Total
		d := func(n int) int { return max(n-paper, paper-n) }
		if d(got) > d(below) || d(got) > d(above) {
			t.Errorf("G/H=%d: H=%d has %d parameters, H±1 are closer to %d (%d, %d)", r, h, got, paper, below, above)
		}
		t.Logf("G/H=%d: matched H=%d (G=%d), %d parameters vs %d", r, h, r*h, got, paper)
		for _, m := range []bool{false, true} {
			g := RatioGroup(r, m)
			if r == PaperRatio {
				if !reflect.DeepEqual(g, CBRNN) {
					t.Errorf("G/H=%d matched=%v is %+v, want the paper's CB-RNN", r, m, g)
				}
				continue
			}
			if g.Options.GC != r*g.Options.Hidden || ratioKey(g) != [2]int{r, b2i(m)} || !g.Sketch {
				t.Errorf("G/H=%d matched=%v: group %+v", r, m, g)
			}
		}
	}
	if n := len(ratioSweep()); n != 2*(len(Ratios)-1) {
		t.Errorf("%d new groups, want %d", n, 2*(len(Ratios)-1))
	}
}

// TestPaperFrozenCoreHashUnchanged: the freeze-point sweep's paper point is
// fig4's Frozen-core, whose config (and so cache entry) is what it was
// before the freeze point existed (the hashes below were computed at
// f627236, before trainer.Config.FreezeAfterN); a moved freeze point is a
// different run.
func TestPaperFrozenCoreHashUnchanged(t *testing.T) {
	e := testEnv(t)
	dms, err := e.Source.Describe(context.Background(), "dms")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"paper": "1ffa4745753c5d59", "quick": "aafce6e3a5a02742"} {
		p := Profiles[name]
		hash := func(g Group) (string, []byte) {
			cs, err := Configs(g, dms, p, p.Epochs)
			if err != nil {
				t.Fatal(err)
			}
			h, err := rundir.Hash(cs[0])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(cs[0])
			return h, b
		}
		if !reflect.DeepEqual(FreezeGroup(0), FrozenCoreGroup) {
			t.Fatalf("the sweep's paper point is %+v, not fig4's Frozen-core", FreezeGroup(0))
		}
		got, js := hash(FreezeGroup(0))
		if got != want || strings.Contains(string(js), "freeze_after_n") {
			t.Errorf("%s: the paper's Frozen-core hashes to %s, want %s as before the freeze point (config %s)", name, got, want, js)
		}
		for _, k := range []int{trainer.FreezeAtStart, 4, 8} {
			if h, js := hash(FreezeGroup(k)); h == want || !strings.Contains(string(js), fmt.Sprintf(`"freeze_after_n":%d`, k)) {
				t.Errorf("%s: freeze point %d shares the paper's hash or does not say its point: %s", name, k, js)
			}
		}
	}
}

// TestCBShareOn: the CB share from the recorded dynamics equals the share
// computed by stepping the float64 cell on the same trials from h_0 = 0
// (its own CB term, its own states), and is 0 when the CB's output layer
// is zero.
func TestCBShareOn(t *testing.T) {
	e := testEnv(t)
	c := strongCB(t, "dms")
	bs, err := e.trials(context.Background(), c, dmsMechanismSeed, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.CBShareOn(c, bs)
	if err != nil {
		t.Fatal(err)
	}
	cell, err := CellOf(c)
	if err != nil {
		t.Fatal(err)
	}
	var num, den float64
	I := c.Config.Model.Inputs
	for _, b := range bs {
		for k := range b.B {
			h := make([]float64, cell.H)
			for s := range b.T {
				x := make([]float64, I)
				for ch := range I {
					x[ch] = float64(b.X[(s*b.B+k)*I+ch])
				}
				cb, core := cell.CBOutput(h, x), cell.CorePre(h, x)
				for u := range cb {
					num += cb[u] * cb[u]
					den += (core[u] + cb[u]) * (core[u] + cb[u])
				}
				h = cell.Step(h, x, cb)
			}
		}
	}
	want := math.Sqrt(num / den)
	if want < 0.05 || math.Abs(got-want) > 1e-4*want {
		t.Errorf("CB share %v from the dynamics, %v from the float64 cell (want equal within 1e-4, and a CB that matters)", got, want)
	}
	for name, v := range c.Weights {
		if strings.HasPrefix(name, "cb.dcn.") {
			clear(v)
		}
	}
	if got, err := e.CBShareOn(c, bs); err != nil || got != 0 {
		t.Errorf("a CB whose output layer is zero has share %v (%v), want 0", got, err)
	}
	c.Config.Model = gm.MustBuild("rnn", gm.Options{Hidden: 8})
	if _, err := e.CBShareOn(c, bs); err == nil {
		t.Error("a network without a CB got a CB share")
	}
}

// TestSeedSlopes: one least-squares slope per seed against log₂ G/H, only
// the asked series, seeds with one ratio left out.
func TestSeedSlopes(t *testing.T) {
	nets := []RatioNet{
		{Ratio: 1, Seed: 1, Share: 0.1}, {Ratio: 4, Seed: 1, Share: 0.3}, {Ratio: 16, Seed: 1, Share: 0.5}, // slope 0.1 per doubling (log₂ 1, 4, 16 = 0, 2, 4)
		{Ratio: 2, Seed: 2, Share: 0.4}, {Ratio: 8, Seed: 2, Share: 0.2}, // slope −0.1
		{Ratio: 4, Seed: 3, Share: 0.9}, // one ratio: no slope
		{Ratio: 1, Seed: 1, Matched: true, Share: 5}, {Ratio: 2, Seed: 1, Matched: true, Share: 7},
	}
	got := SeedSlopes(nets, false, func(n RatioNet) float64 { return n.Share })
	if len(got) != 2 || math.Abs(got[0]-0.1) > 1e-12 || math.Abs(got[1]+0.1) > 1e-12 {
		t.Errorf("slopes %v, want [0.1 -0.1]", got)
	}
	if got := SeedSlopes(nets, true, func(n RatioNet) float64 { return n.Share }); len(got) != 1 || math.Abs(got[0]-2) > 1e-12 {
		t.Errorf("matched slopes %v, want [2]", got)
	}
}
