package analysis

import (
	"fmt"
	"math"
)

// CrossEntropy is the mean softmax cross-entropy of row-major logits
// [B, classes] against labels (PyTorch's F.cross_entropy, mean reduction),
// computed with the log-sum-exp shift. NaN with no trials.
func CrossEntropy(logits []float32, classes int, labels []int32) float64 {
	if classes <= 0 || len(logits) != classes*len(labels) {
		panic(fmt.Sprintf("analysis.CrossEntropy: %d logits for %d labels × %d classes", len(logits), len(labels), classes))
	}
	if len(labels) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for b, lab := range labels {
		row := logits[b*classes : (b+1)*classes]
		m := float64(row[0])
		for _, v := range row[1:] {
			m = math.Max(m, float64(v))
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(float64(v) - m)
		}
		sum += m + math.Log(z) - float64(row[lab])
	}
	return sum / float64(len(labels))
}
