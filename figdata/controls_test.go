package figdata

import (
	"image/color"
	"math"
	"reflect"
	"testing"

	"github.com/cbrnn/cbrnn/analysis"
)

// A run that never solved its N counts as budget + 1 epochs, a lower bound
// (METHODS §3.4's fixed-N control); the count of solved runs says how many
// are exact.
func TestFixedNEpochsToSolve(t *testing.T) {
	for _, tc := range []struct {
		name   string
		g      FixedNGroup
		epochs []float64
		solved int
	}{
		{"all solved", FixedNGroup{Budget: 10, Solved: []int{3, 7}}, []float64{3, 7}, 2},
		{"one unsolved", FixedNGroup{Budget: 10, Solved: []int{4, 0}}, []float64{4, 11}, 1},
		{"none", FixedNGroup{Budget: 5}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			epochs, solved := tc.g.EpochsToSolve()
			if !reflect.DeepEqual(epochs, tc.epochs) || solved != tc.solved {
				t.Errorf("EpochsToSolve = %v, %d; want %v, %d", epochs, solved, tc.epochs, tc.solved)
			}
		})
	}
}

// The metric cells: mean ± SEM at the table's digits, the mean alone for
// one run, "–" for none, and the runs that never reach half of the largest
// N named beside the epochs to half.
func TestMetricCells(t *testing.T) {
	s := func(n int, mean, sem float64) analysis.Summary { return analysis.Summary{N: n, Mean: mean, SEM: sem} }
	for _, tc := range []struct {
		name string
		r    analysis.GroupRow
		want []string
	}{
		{"two runs", analysis.GroupRow{Name: "CB-RNN", MaxN: s(2, 5.5, 0.5), FinalN: s(2, 5, 0), MeanN: s(2, 3.25, 0.25), Half: s(2, 12, 2), AUC: s(2, 101.4, 3.6)},
			[]string{"CB-RNN", "2", "5.50 ± 0.50", "5.00 ± 0.00", "3.25 ± 0.25", "12 ± 2", "101 ± 4"}},
		{"one run, half never reached", analysis.GroupRow{Name: "RNN", MaxN: s(1, 2, math.NaN()), FinalN: s(1, 2, math.NaN()), MeanN: s(1, 2, math.NaN()),
			Half: s(0, math.NaN(), math.NaN()), HalfNotReached: 1, AUC: s(1, 40, math.NaN())},
			[]string{"RNN", "1", "2.00", "2.00", "2.00", "– (1 of 1 never)", "40"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MetricCells(tc.r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("MetricCells = %q, want %q", got, tc.want)
			}
			if len(MetricHeader) != len(tc.want) {
				t.Errorf("MetricHeader has %d columns, the cells %d", len(MetricHeader), len(tc.want))
			}
		})
	}
}

// The controls' data go through the store as they were saved: what the
// notebooks read is what the figure drew.
func TestControlsRoundTrip(t *testing.T) {
	out := t.TempDir()
	dirs := []string{run(t, out, "a")}
	red := color.RGBA{R: 200, A: 255}
	for _, v := range []any{
		FixedN{N: 5, Groups: []FixedNGroup{{Label: "CB-RNN", Color: red, Budget: 4, Solved: []int{3, 0}, Acc: [][]float64{{50, 99}, {50, 60, 70, 80}}}}},
		LRSweep{Budget: 3, LRs: []float64{0.003, 0.01}, PaperLR: 0.01, Tasks: []LRSweepTask{{Task: "dms", Best: [2]int{1, 0},
			Points: [2][]LRPoint{{{LR: 0.003, Label: "CB-RNN, lr 0.003", Color: red, Row: analysis.GroupRow{Name: "CB-RNN, lr 0.003", AUC: analysis.Summary{N: 2, Mean: 9}}}}}}}},
		Oddball{Task: TaskShape{Name: "oddball", Inputs: 1, Heads: []int{2}, MinN: 2, MaxN: 150}},
	} {
		if err := Save(out, "x", "smoke", dirs, v); err != nil {
			t.Fatal(err)
		}
		got := reflect.New(reflect.TypeOf(v))
		if _, err := Load(out, "x", "smoke", got.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Elem().Interface(), v) {
			t.Errorf("%T: read back %+v, saved %+v", v, got.Elem().Interface(), v)
		}
	}
}

// Cohorts whose runs trained the same N every epoch (a run that stopped
// early held at its last N up to the budget) are drawn once, labelled with
// both names; any difference keeps them apart.
func TestDrawnOnce(t *testing.T) {
	c := func(label string, budget int, curves ...[]float64) Cohort {
		return Cohort{Label: label, Budget: budget, Curves: curves}
	}
	for _, tc := range []struct {
		name string
		in   []Cohort
		want []string
	}{
		{"all identical", []Cohort{c("A", 3, []float64{2, 2, 2}), c("B", 3, []float64{2, 2, 2}), c("C", 3, []float64{2, 2})}, []string{"A = B = C"}},
		{"one differs", []Cohort{c("A", 3, []float64{2, 3, 3}), c("B", 3, []float64{2, 2, 2}), c("C", 3, []float64{2, 2, 2})}, []string{"A", "B = C"}},
		{"other run count", []Cohort{c("A", 2, []float64{2, 2}), c("B", 2, []float64{2, 2}, []float64{2, 2})}, []string{"A", "B"}},
		{"no runs", []Cohort{c("A", 2), c("B", 2)}, []string{"A", "B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, x := range DrawnOnce(tc.in) {
				got = append(got, x.Label)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DrawnOnce labels %q, want %q", got, tc.want)
			}
		})
	}
}
