package trainer

import (
	"encoding/json"

	"github.com/cbrnn/cbrnn/rundir"
)

// epochStatsJSON is EpochStats with its floats as rundir.Float, so that a
// NaN loss (an epoch whose every step was non-finite, which the skip rule
// allows) is written as "NaN" instead of making json.Marshal refuse the
// line. The outer fields shadow the embedded ones of the same JSON name.
type epochStatsJSON struct {
	plainEpochStats
	TrainLoss rundir.Float   `json:"train_loss"`
	TestAcc   rundir.Float   `json:"test_acc"`
	TestLoss  *rundir.Float  `json:"test_loss,omitempty"`
	HeadAcc   []rundir.Float `json:"head_acc,omitempty"`
	GradNorm  rundir.Float   `json:"grad_norm"`
	WallS     rundir.Float   `json:"wall_s"`
}

// plainEpochStats has EpochStats's fields without its methods.
type plainEpochStats EpochStats

// MarshalJSON writes the record with non-finite floats as strings.
func (s EpochStats) MarshalJSON() ([]byte, error) {
	j := epochStatsJSON{
		plainEpochStats: plainEpochStats(s),
		TrainLoss:       rundir.Float(s.TrainLoss), TestAcc: rundir.Float(s.TestAcc),
		HeadAcc: rundir.Floats(s.HeadAcc), GradNorm: rundir.Float(s.GradNorm), WallS: rundir.Float(s.WallS),
	}
	if s.TestLoss != nil {
		v := rundir.Float(*s.TestLoss)
		j.TestLoss = &v
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes (and the plain numbers of
// records written before non-finite values were encoded).
func (s *EpochStats) UnmarshalJSON(b []byte) error {
	var j epochStatsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = EpochStats(j.plainEpochStats)
	s.TrainLoss, s.TestAcc, s.GradNorm, s.WallS = float64(j.TrainLoss), float64(j.TestAcc), float64(j.GradNorm), float64(j.WallS)
	s.HeadAcc = rundir.Float64s(j.HeadAcc)
	s.TestLoss = nil
	if j.TestLoss != nil {
		v := float64(*j.TestLoss)
		s.TestLoss = &v
	}
	return nil
}

// partialJSON is Partial with its floats as rundir.Float: a gradient norm
// can be +Inf on a step whose loss is finite (the step then moves nothing),
// and a stop mid-epoch must still save its sums.
type partialJSON struct {
	plainPartial
	LossSum  rundir.Float   `json:"loss_sum"`
	NormSum  rundir.Float   `json:"norm_sum"`
	Correct  []rundir.Float `json:"correct"`
	TestLoss rundir.Float   `json:"test_loss,omitempty"`
}

type plainPartial Partial

// MarshalJSON writes the sums with non-finite values as strings.
func (p Partial) MarshalJSON() ([]byte, error) {
	return json.Marshal(partialJSON{plainPartial: plainPartial(p),
		LossSum: rundir.Float(p.LossSum), NormSum: rundir.Float(p.NormSum), Correct: rundir.Floats(p.Correct), TestLoss: rundir.Float(p.TestLoss)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Partial) UnmarshalJSON(b []byte) error {
	var j partialJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Partial(j.plainPartial)
	p.LossSum, p.NormSum, p.Correct, p.TestLoss = float64(j.LossSum), float64(j.NormSum), rundir.Float64s(j.Correct), float64(j.TestLoss)
	return nil
}
