package trainer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestFreezePoint walks Frozen-core's freeze point (Config.FreezeAfterN):
// the paper's (0: the core trains until the start N is solved), a later one
// (the core trains on through N = 2, 3, 4 and freezes once 4 is solved) and
// FreezeAtStart (the core never trains).
func TestFreezePoint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		freeze int
		from   State
		acc    float64
		want   State
	}{
		{"paper: solving N=2 freezes", 0, State{Epoch: 4, N: 2, Phase: PhaseInit}, 100, State{Epoch: 5, N: 3, Phase: PhaseCBOnly}},
		{"after 4: solving 2 keeps the core training", 4, State{Epoch: 4, N: 2, Phase: PhaseInit}, 100, State{Epoch: 5, N: 3, Phase: PhaseInit}},
		{"after 4: solving 3 keeps it training", 4, State{Epoch: 6, N: 3, Phase: PhaseInit}, 100, State{Epoch: 7, N: 4, Phase: PhaseInit}},
		{"after 4: unsolved 4 keeps it training", 4, State{Epoch: 7, N: 4, Phase: PhaseInit}, 90, State{Epoch: 8, N: 4, Phase: PhaseInit}},
		{"after 4: solving 4 freezes", 4, State{Epoch: 8, N: 4, Phase: PhaseInit}, 100, State{Epoch: 9, N: 5, Phase: PhaseCBOnly}},
		{"after 4: frozen stays frozen", 4, State{Epoch: 9, N: 5, Phase: PhaseCBOnly}, 100, State{Epoch: 10, N: 6, Phase: PhaseCBOnly}},
		{"at start: frozen throughout", FreezeAtStart, State{Epoch: 1, N: 2, Phase: PhaseCBOnly}, 100, State{Epoch: 2, N: 3, Phase: PhaseCBOnly}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfgFor(single(), FrozenCore)
			c.FreezeAfterN = tc.freeze
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			cu := mustCurriculum(t, c, single())
			if got, _ := cu.step(tc.from, tc.acc); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("step(%+v, %.0f) = %+v, want %+v", tc.from, tc.acc, got, tc.want)
			}
		})
	}
	for freeze, want := range map[int]string{0: PhaseInit, 4: PhaseInit, FreezeAtStart: PhaseCBOnly} {
		c := cfgFor(single(), FrozenCore)
		c.FreezeAfterN = freeze
		if s := initialState(c); s.Phase != want || s.N != c.StartN {
			t.Errorf("freeze after %d: initial state %+v, want phase %s at N=%d", freeze, s, want, c.StartN)
		}
	}
}

// TestFreezePointValidate: a freeze point belongs to Frozen-core on the
// standard curricula, and each behaviour has one value (the start N is the
// default, 0), so that one protocol has one cache entry.
func TestFreezePointValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"standard regime", func(c *Config) { c.Regime = Standard; c.FreezeAfterN = 4 }, "belongs to regime frozen-core"},
		{"periodic regime", func(c *Config) { c.Regime = PeriodicCore; c.Period = 10; c.FreezeAfterN = 4 }, "belongs to regime frozen-core"},
		{"the start N", func(c *Config) { c.FreezeAfterN = c.StartN }, "leave freeze_after_n 0"},
		{"below the start N", func(c *Config) { c.FreezeAfterN = 1 }, "want -1"},
		{"below -1", func(c *Config) { c.FreezeAfterN = -2 }, "want -1"},
		{"above max N", func(c *Config) { c.FreezeAfterN = c.MaxN + 1 }, "want -1"},
		{"fixed schedule", func(c *Config) { c.FreezeAfterN = 4; c.AdvanceEvery = 3 }, "standard curriculum"},
	} {
		c := cfgFor(single(), FrozenCore)
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	c := cfgFor(single(), FrozenCore)
	b, err := json.Marshal(c)
	if err != nil || strings.Contains(string(b), "freeze_after_n") {
		t.Errorf("the paper's Frozen-core writes freeze_after_n (%v): %s", err, b)
	}
	c.FreezeAfterN = FreezeAtStart
	if b, _ := json.Marshal(c); !strings.Contains(string(b), `"freeze_after_n":-1`) {
		t.Errorf("a moved freeze point is not in config.json: %s", b)
	}
}
