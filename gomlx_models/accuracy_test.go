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
