package experiments

import (
	"bytes"
	"encoding/gob"
	"testing"
)

// TestGroupsAreGobData: the notebooks' memo (nb.Memo) encodes groups and
// cohorts with encoding/gob; a group must round-trip, colour included.
func TestGroupsAreGobData(t *testing.T) {
	groups := []Group{CBRNN, RNNMatched, FrozenCoreGroup, PeriodicCoreGroup, GRUCB, GRUMatched}
	groups = append(append(append(groups, FixedNGroups...), SweepGroups()...), OddballGroups...)
	for _, g := range groups {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(g); err != nil {
			t.Fatalf("%s: %v", g.Label, err)
		}
		var back Group
		if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
			t.Fatalf("%s: %v", g.Label, err)
		}
		if back.Label != g.Label || back.Colour() != g.Colour() || back.Control != g.Control || back.FixedN != g.FixedN || back.LR != g.LR {
			t.Errorf("%s came back as %+v", g.Label, back)
		}
	}
}
