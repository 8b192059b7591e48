package experiments

// The paper's own numbers, for the notebooks' "against the paper" tables.

// PaperMetrics are one row of the paper's Table 4 (METHODS §6; n = 8 runs,
// 1000 epochs): the largest N attempted, the epochs to reach half the
// global max N, and the area under the N-per-epoch curve.
type PaperMetrics struct {
	MaxN, Half, AUC float64
}

// PaperTable4 returns the paper's Table 4 row of a group (by its Label:
// CB-RNN, Frozen-core, Periodic-core, RNN) on a task (dms or parity).
func PaperTable4(task, group string) (PaperMetrics, bool) {
	v, ok := paperTable4[task][group]
	return PaperMetrics{v[0], v[1], v[2]}, ok
}

// PaperParams are appendix B's parameter counts (readout included, one
// head of 2 classes, 1 input) of the paper's matched networks, by
// registered model name.
var PaperParams = map[string]int{"cb-rnn": 41922, "rnn": 41816, "cb-gru": 50498, "gru": 50562}
