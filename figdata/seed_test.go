package figdata

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSharedEpochsAndLossAreas(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sets   [][][]float64
		epochs int
	}{
		{"none", nil, 0},
		{"one set", [][][]float64{{{1, 2, 3}, {1, 2}}}, 2},
		{"shortest over sets", [][][]float64{{{1, 2, 3}}, {{4, 5, 6, 7}, {1}}}, 1},
	} {
		if got := SharedEpochs(tc.sets...); got != tc.epochs {
			t.Errorf("%s: SharedEpochs = %d, want %d", tc.name, got, tc.epochs)
		}
	}
	got := LossAreas([][]float64{{1, 2, 3}, {0.5, 0.5}, {math.NaN(), 1}}, 2)
	if got[0] != 3 || got[1] != 1 || !math.IsNaN(got[2]) {
		t.Errorf("LossAreas = %v, want [3 1 NaN]", got)
	}
}

// What the seed figures save (Save) is what the notebook reads back
// (Load), NaNs included (a run with no test loss, a run with no
// interference).
func TestSeedFigDataRoundTrip(t *testing.T) {
	out := t.TempDir()
	run := filepath.Join(out, "runs", "r1")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{
		SeedLoss{Tasks: []string{"dms"}, Curves: [][2]LossCurves{{{Label: "CB-RNN", Train: [][]float64{{1, 0.5}}, Test: [][]float64{{math.NaN(), 0.4}}, MissingTest: 1}, {Label: "RNN-202"}}}},
		[]Complexity{{Task: "dms", Labels: [2]string{"CB-RNN", "RNN-202"}, Ns: []int{2, 3}, Advantage: []float64{1, 2}, Slope: 1, Lo: 0.5, Hi: 1.5}},
		SeedFreeze{Budget: 4, Tasks: []FreezeTask{{Task: "dms", Cohorts: []Cohort{{Label: "CB-RNN", Curves: [][]float64{{2, 3}}}}, FrozeAt: [][]int{{0, 3}}}}},
		SeedRatio{Budget: 4, Sweep: []RatioSweepRow{{Ratio: 4, Label: "CB-RNN", H: 64, G: 256, Params: 100}}, Tasks: []RatioTask{{Task: "dms", Ratio: []int{4}, Matched: []bool{true}, Nets: []RatioNet{{Ratio: 4, Seed: 7, Share: 0.2, Drop: -3}}, N: 3}}},
		SeedPerTask{Models: []ModelParams{{Name: "rnn", Total: 10}}, Continual: []PerTaskCohort{{Label: "CB-RNN", EndPhase0: []float64{90}, Interf: []float64{math.NaN()}}}},
	} {
		if err := Save(out, "seed-x", "smoke", nil, v); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		got := reflect.New(reflect.TypeOf(v))
		if _, err := Load(out, "seed-x", "smoke", got.Interface()); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		// NaN != NaN: compare the encodings' printed form.
		if a, b := sprint(v), sprint(got.Elem().Interface()); a != b {
			t.Errorf("%T: read back %s, saved %s", v, b, a)
		}
	}
}

func sprint(v any) string { return fmt.Sprintf("%+v", v) }
