package gomlxmodels

import (
	"math"
	"testing"
)

func TestAccuracy(t *testing.T) {
	logits := []float32{
		0.1, 0.9, // → 1
		2, -1, // → 0
		0.5, 0.5, // tie → 0
		-3, 3, // → 1
	}
	labels := []int32{1, 1, 0, 0}
	if got := Accuracy(logits, 2, labels); got != 0.5 {
		t.Fatalf("Accuracy = %v want 0.5", got)
	}
	if got := AccuracyPercent(logits, 2, labels); got != 50 {
		t.Fatalf("AccuracyPercent = %v", got)
	}
	three := []float32{0, 1, 2, 5, 1, 0, 0, 9, 1}
	if got := Accuracy(three, 3, []int32{2, 0, 2}); math.Abs(got-2.0/3) > 1e-12 {
		t.Fatalf("3-class accuracy %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("shape mismatch should panic")
		}
	}()
	Accuracy(logits, 3, labels)
}

// TestCrossEntropy checks the test loss against hand-computed values: equal
// logits cost log 2, a confident right answer almost nothing, a confident
// wrong one its margin, and large logits do not overflow.
func TestCrossEntropy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		logits  []float32
		classes int
		labels  []int32
		want    float64
	}{
		{"equal logits", []float32{0, 0}, 2, []int32{1}, math.Log(2)},
		{"right by 10", []float32{10, 0}, 2, []int32{0}, math.Log(1 + math.Exp(-10))},
		{"wrong by 10", []float32{10, 0}, 2, []int32{1}, 10 + math.Log(1+math.Exp(-10))},
		{"large logits", []float32{1000, 1000}, 2, []int32{0}, math.Log(2)},
		{"mean of two", []float32{0, 0, 10, 0}, 2, []int32{0, 1}, (math.Log(2) + 10 + math.Log(1+math.Exp(-10))) / 2},
		{"three classes", []float32{1, 2, 3}, 3, []int32{2}, math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)) - 3},
	} {
		if got := CrossEntropy(tc.logits, tc.classes, tc.labels); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: CrossEntropy = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !math.IsNaN(CrossEntropy(nil, 2, nil)) {
		t.Error("no trials: want NaN")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("shape mismatch should panic")
		}
	}()
	CrossEntropy([]float32{0, 0, 0}, 2, []int32{1})
}
