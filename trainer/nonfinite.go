package trainer

import (
	"errors"
	"fmt"
	"math"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// NonFiniteError stops a run whose weights became NaN or infinite. Nothing
// of the failing epoch is committed: the run keeps its stats, checkpoints
// and resume state from before it, so that a resume never starts from
// non-finite weights. The other runs of the ensemble carry on.
type NonFiniteError struct {
	Run       string  // the run directory
	Epoch     int     // the epoch (1-based) after which the weights were non-finite
	N         int     // N trained in that epoch
	Param     string  // the first non-finite parameter
	Index     int     // and the position of its first non-finite value
	Value     float32 // that value
	TrainLoss float64 // the epoch's mean loss over its finite steps (NaN if none)
	Skipped   int     // steps of the epoch skipped as non-finite
	Steps     int
}

func (e *NonFiniteError) Error() string {
	kept := "nothing: it had not completed an epoch"
	if e.Epoch > 1 {
		kept = fmt.Sprintf("its stats, checkpoints and resume state as they were after epoch %d", e.Epoch-1)
	}
	return fmt.Sprintf("run %s: the weights became non-finite in epoch %d (N=%d; %s[%d] = %v; train loss %v, %d of %d steps skipped as non-finite): the run stops, keeping %s. "+
		"Check imported weights, the task's inputs and the learning rate (a --resume repeats the same epoch)",
		e.Run, e.Epoch, e.N, e.Param, e.Index, e.Value, e.TrainLoss, e.Skipped, e.Steps, kept)
}

// firstNonFinite returns the first parameter (in the model's order) holding
// a NaN or an infinity, and where; ok is false when every value is finite.
func firstNonFinite(c gm.Config, w gm.Weights) (name string, index int, value float32, ok bool) {
	for _, p := range c.Params() {
		for i, v := range w[p.Name] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return p.Name, i, v, true
			}
		}
	}
	return "", 0, 0, false
}

// CheckFinite refuses starting weights (imported, or a resume state) that
// hold a non-finite value: training could only propagate it. what names
// them in the error ("its starting weights").
func CheckFinite(c gm.Config, w gm.Weights, what string) error {
	if name, i, v, bad := firstNonFinite(c, w); bad {
		return fmt.Errorf("%s hold a non-finite value: %s[%d] = %v", what, name, i, v)
	}
	return nil
}

// stopMember stops m if err is a NonFiniteError, reporting whether it did.
func stopMember(m *member, err error) bool {
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		return false
	}
	m.failed = err
	m.state.Done = true // in memory only: the run is not finished
	return true
}

// failures joins the errors of the members that stopped on non-finite
// weights; nil when none did.
func failures(ms []*member) error {
	var errs []error
	for _, m := range ms {
		if m.failed != nil {
			errs = append(errs, m.failed)
		}
	}
	return errors.Join(errs...)
}
