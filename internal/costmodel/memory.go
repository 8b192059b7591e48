package costmodel

import (
	"fmt"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// Memory is an estimate of the peak memory of training, in bytes.
type Memory struct {
	Activations uint64 // what backpropagation through time keeps per step
	Parameters  uint64 // weights, momentum, gradients and their copies
	Requests    uint64 // the per-epoch batch requests
	Base        uint64 // the process itself
}

// Total is the estimated peak.
func (m Memory) Total() uint64 { return m.Activations + m.Parameters + m.Requests + m.Base }

// Per-unit costs of the Go backend's training step, a least-squares fit to
// the peak RSS of the paper's CB-RNN's training step at fixed T (VmHWM,
// 2-core machine, Go backend with GOEXPERIMENT=simd; the points are in
// memory_test.go). Per member, trial and step, BPTT keeps about 7 float32
// per unit of recurrent state and 4 per unit of a cerebellar layer and per
// input; each parameter costs about 7 float32 (weights, momentum, gradients
// and the step's copies). Other models (the autodiff path) are priced with
// the same rates: the estimate is there to refuse the impossible.
const (
	bytesPerState   = 28
	bytesPerCBUnit  = 16
	bytesPerInput   = 16
	bytesPerParam   = 28
	bytesPerRequest = 200 // a task.Request with its params map, per training step
	baseBytes       = 8 << 20
)

// TrainingMemory estimates the peak memory of training members networks of
// model m together, with batch trials per batch, sequences up to maxT steps
// (a step runs at gm.BucketFor(maxT)) and steps training batches per epoch.
// It is an estimate, within about 35% of the measured peaks (which move by
// some 20% from run to run with the Go garbage collector's timing), meant
// to refuse sizes that cannot fit before they are tried, not to plan memory
// to the megabyte.
func TrainingMemory(m gm.Config, members, batch, maxT, steps int) (Memory, error) {
	if members < 1 || batch < 1 || maxT < 1 || steps < 0 {
		return Memory{}, fmt.Errorf("costmodel: bad sizes: %d members, batch %d, T ≤ %d, %d steps", members, batch, maxT, steps)
	}
	perUnit := uint64(m.StateWidth())*bytesPerState + uint64(m.Inputs)*bytesPerInput
	if m.CB != nil {
		for _, l := range m.CB.Layers {
			perUnit += uint64(l.Width) * bytesPerCBUnit
		}
	}
	units := uint64(members) * uint64(batch) * uint64(gm.BucketFor(maxT))
	return Memory{
		Activations: units * perUnit,
		Parameters:  uint64(members) * uint64(m.Count().Total) * bytesPerParam,
		Requests:    uint64(members) * uint64(steps) * bytesPerRequest,
		Base:        baseBytes,
	}, nil
}

// GiB formats bytes for messages.
func GiB(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	default:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
}
