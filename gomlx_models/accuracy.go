package gomlxmodels

import (
	"fmt"
	"math"
)

// Accuracy scores an evaluation's logits: the fraction (0–1) of trials
// whose arg-max logit equals the label. It lives beside the model so that
// whoever evaluates one (the trainer's test pass, the ablation and
// recovery studies) scores it the same way. logits are row-major [B, classes] (B = len(labels)); ties go to
// the lowest class index. It panics if the shapes disagree (a programming
// error). With no trials it returns NaN. AccuracyPercent gives the
// percentage the trainer and figures use.
func Accuracy(logits []float32, classes int, labels []int32) float64 {
	if classes <= 0 || len(logits) != classes*len(labels) {
		panic(fmt.Sprintf("gomlx_models.Accuracy: %d logits for %d labels × %d classes", len(logits), len(labels), classes))
	}
	if len(labels) == 0 {
		return math.NaN()
	}
	correct := 0
	for b, lab := range labels {
		row := logits[b*classes : (b+1)*classes]
		best := 0
		for c := 1; c < classes; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		if int32(best) == lab {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

// AccuracyPercent is 100 × Accuracy (METHODS' "test accuracy (%)").
func AccuracyPercent(logits []float32, classes int, labels []int32) float64 {
	return 100 * Accuracy(logits, classes, labels)
}

// CrossEntropy is the mean over trials of −log softmax(logits)[label], in
// nats, computed in float64 with the row's maximum subtracted first: the
// loss the training step minimises, evaluated on test batches (the
// trainer's test loss). Shapes as Accuracy's; it panics if they disagree
// and returns NaN with no trials.
func CrossEntropy(logits []float32, classes int, labels []int32) float64 {
	if classes <= 0 || len(logits) != classes*len(labels) {
		panic(fmt.Sprintf("gomlx_models.CrossEntropy: %d logits for %d labels × %d classes", len(logits), len(labels), classes))
	}
	if len(labels) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for b, lab := range labels {
		row := logits[b*classes : (b+1)*classes]
		mx := float64(row[0])
		for _, v := range row[1:] {
			mx = math.Max(mx, float64(v))
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(float64(v) - mx)
		}
		sum += math.Log(z) + mx - float64(row[lab])
	}
	return sum / float64(len(labels))
}
