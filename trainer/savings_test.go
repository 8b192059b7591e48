package trainer

import (
	"math"
	"slices"
	"testing"
)

// TestSavingsRules: tasks in the order they first appear, only tasks met
// more than once, the budget over every occurrence, the ratio over the first
// two, a negative ratio when relearning is slower.
func TestSavingsRules(t *testing.T) {
	phases := []Phase{
		{Task: "b", Acc: []float64{99, 99}},
		{Task: "a", Acc: []float64{10, 20, 98, 98, 98}},
		{Task: "b", Acc: []float64{50, 50, 98}},
		{Task: "a", Acc: []float64{10, 20, 30, 98}},
		{Task: "c", Acc: []float64{100}},
		{Task: "a", Acc: []float64{98, 98, 98}},
	}
	s := Savings(phases, 98)
	if len(s) != 2 || s[0].Task != "b" || s[1].Task != "a" {
		t.Fatalf("savings for %+v, want b then a (c is met once)", s)
	}
	b, a := s[0], s[1]
	if !slices.Equal(b.Phases, []int{0, 2}) || !slices.Equal(b.EpochsToCriterion, []int{1, 3}) || b.BudgetEpochs != 2 ||
		!slices.Equal(b.FixedBudgetAcc, []float64{99, 50}) || !b.RatioOK || b.Ratio != -2 {
		t.Errorf("b: %+v, want e = 1, 3, ratio (1−3)/1 = −2, budget 2", b)
	}
	if !slices.Equal(a.Phases, []int{1, 3, 5}) || !slices.Equal(a.EpochsToCriterion, []int{3, 4, 1}) || a.BudgetEpochs != 3 ||
		math.Abs(a.FixedBudgetAcc[0]-128.0/3) > 1e-12 || a.FixedBudgetAcc[1] != 20 || a.FixedBudgetAcc[2] != 98 || !a.RatioOK || math.Abs(a.Ratio-(-1.0/3)) > 1e-12 {
		t.Errorf("a: %+v, want e = 3, 4, 1, budget 3, ratio over the first two (3−4)/3", a)
	}
	if s := Savings(phases[:2], 98); len(s) != 0 {
		t.Errorf("no repeated task, savings %+v", s)
	}
}
