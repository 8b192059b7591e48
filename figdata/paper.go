package figdata

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
	v, ok := PaperTable4Values[task][group]
	return PaperMetrics{MaxN: v[0], Half: v[1], AUC: v[2]}, ok
}

// PaperParams are appendix B's parameter counts (readout included, one
// head of 2 classes, 1 input) of the paper's matched networks, by
// registered model name.
var PaperParams = map[string]int{"cb-rnn": 41922, "rnn": 41816, "cb-gru": 50498, "gru": 50562}

// PaperTable4Values are METHODS §6's Table 4: max N, epochs to half and AUC
// per task and group label.
var PaperTable4Values = map[string]map[string][3]float64{
	"dms":    {"CB-RNN": {34.75, 215, 25041}, "Frozen-core": {30.00, 275, 21689}, "Periodic-core": {35.63, 264, 23595}, "RNN": {31.38, 456, 19254}},
	"parity": {"CB-RNN": {18.75, 153, 14171}, "Frozen-core": {15.13, 176, 11971}, "Periodic-core": {16.75, 166, 12996}, "RNN": {16.75, 312, 11505}},
}
