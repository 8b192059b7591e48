package experiments

import (
	"bytes"
	"encoding/gob"
	"testing"
)

// TestGroupsAreGobData: the notebooks' memo (nb.Memo) encodes groups and
// cohorts with encoding/gob; a group must round-trip, colour included.
func TestGroupsAreGobData(t *testing.T) {
	for _, g := range []Group{CBRNN, RNNMatched, FrozenCoreGroup, PeriodicCoreGroup, GRUCB, GRUMatched} {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(g); err != nil {
			t.Fatalf("%s: %v", g.Label, err)
		}
		var back Group
		if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
			t.Fatalf("%s: %v", g.Label, err)
		}
		if back.Label != g.Label || back.Colour() != g.Colour() {
			t.Errorf("%s came back as %+v", g.Label, back)
		}
	}
}
