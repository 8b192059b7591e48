package gomlxmodels

import (
	"fmt"

	"github.com/gomlx/compute"
)

// Running the compiled graphs: a training step, an evaluation, a pass that
// records the dynamics.

// TrainStep runs forward, backward and one optimiser step for every member
// on its own batch, in one graph execution. Members are padded to one
// bucket length (front padding with the state held, so results equal the
// unpadded ones).
func (e *Ensemble) TrainStep(in StepInput, opt Optim) (StepOutput, error) {
	if e.parts != nil {
		return e.trainParts(in, opt)
	}
	bt, err := packInput(e.cfg, in.Input, 0)
	if err != nil {
		return StepOutput{}, err
	}
	if len(in.X) != e.k {
		return StepOutput{}, fmt.Errorf("gomlxmodels: input has %d members, ensemble has %d", len(in.X), e.k)
	}
	data, err := e.dataBuffers(bt)
	if err != nil {
		return StepOutput{}, err
	}
	extra, err := e.stepBuffers(in, bt, opt)
	if err != nil {
		return StepOutput{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindTrain, T: bt.T, B: bt.B, path: e.path, perStep: in.PerStep, full: bt.full, idle: e.idlePasses(in)})
	if err != nil {
		return StepOutput{}, err
	}
	np := len(e.specs)
	inputs := make([]compute.Buffer, 0, 2*np+len(data)+len(extra))
	inputs = append(inputs, e.params...)
	inputs = append(inputs, e.moms...)
	inputs = append(inputs, data...)
	inputs = append(inputs, extra...)
	donate := make([]bool, len(inputs))
	for i := range donate {
		donate[i] = true
	}
	e.lastFLOPs = cg.flops
	outs, err := e.run(cg, inputs, donate)
	if err != nil {
		// The donated parameter buffers may be gone: the ensemble is unusable.
		return StepOutput{}, fmt.Errorf("%w (ensemble state lost)", err)
	}
	copy(e.params, outs[:np])
	copy(e.moms, outs[np:2*np])
	res := outs[2*np:]
	loss, norm, ok := make([]float32, e.k), make([]float32, e.k), make([]float32, e.k)
	for i, dst := range [][]float32{loss, norm, ok} {
		if err := res[i].ToFlatData(dst); err != nil {
			return StepOutput{}, err
		}
		_ = res[i].Finalize()
	}
	out := StepOutput{Loss: make([]float64, e.k), GradNorm: make([]float64, e.k), Skipped: make([]bool, e.k)}
	for k := range e.k {
		out.Loss[k] = float64(loss[k])
		out.GradNorm[k] = float64(norm[k])
		out.Skipped[k] = ok[k] == 0
	}
	return out, nil
}

// Eval computes every member's logits on its batch (no update).
func (e *Ensemble) Eval(in EvalInput) (EvalOutput, error) {
	return e.eval(in, 0)
}

// eval is Eval at a given bucket length (0: the bucket of the longest member).
func (e *Ensemble) eval(in EvalInput, T int) (EvalOutput, error) {
	if in.PerStep && !e.cfg.Readout.PerStep {
		return EvalOutput{}, fmt.Errorf("gomlxmodels: per-step logits need a per-step readout (this model reads out on the last step)")
	}
	if e.parts != nil {
		return e.evalParts(in, T)
	}
	bt, err := packInput(e.cfg, in.Input, T)
	if err != nil {
		return EvalOutput{}, err
	}
	if len(in.X) != e.k {
		return EvalOutput{}, fmt.Errorf("gomlxmodels: input has %d members, ensemble has %d", len(in.X), e.k)
	}
	data, err := e.dataBuffers(bt)
	if err != nil {
		return EvalOutput{}, err
	}
	if in.CBOn != nil && len(in.CBOn) != e.k {
		return EvalOutput{}, fmt.Errorf("gomlxmodels: CBOn has %d members, ensemble has %d", len(in.CBOn), e.k)
	}
	on := make([]float32, e.k)
	for k := range on {
		if in.CBOn == nil || in.CBOn[k] {
			on[k] = 1
		}
	}
	onBuf, err := e.newBuffer(on, e.k)
	if err != nil {
		return EvalOutput{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindEval, T: bt.T, B: bt.B, path: e.path, perStep: in.PerStep, full: bt.full})
	if err != nil {
		return EvalOutput{}, err
	}
	inputs := append(append(append([]compute.Buffer{}, e.params...), data...), onBuf)
	donate := make([]bool, len(inputs))
	for i := len(e.specs); i < len(inputs); i++ {
		donate[i] = true
	}
	e.lastFLOPs = cg.flops
	outs, err := e.run(cg, inputs, donate)
	if err != nil {
		return EvalOutput{}, err
	}
	rows := bt.B // logit rows per member in the output
	if in.PerStep {
		rows = bt.T * bt.B
	}
	res := EvalOutput{Logits: make([][][]float32, e.k)}
	for k := range res.Logits {
		res.Logits[k] = make([][]float32, len(e.cfg.Readout.Heads))
	}
	for h, C := range e.cfg.Readout.Heads {
		flat := make([]float32, e.k*rows*C)
		if err := outs[h].ToFlatData(flat); err != nil {
			return EvalOutput{}, err
		}
		_ = outs[h].Finalize()
		for k := range e.k {
			first := 0 // per-step: the member's real steps only
			if in.PerStep {
				first = bt.off[k] * bt.B
			}
			res.Logits[k][h] = flat[(k*rows+first)*C : (k+1)*rows*C]
		}
	}
	return res, nil
}

// dynChunk is the longest piece Dynamics runs in one graph; longer inputs
// are run chunk by chunk, carrying the state.
const dynChunk = 128

// Dynamics runs member k on x ([t, b, I] time-major) from state0 ([b,
// StateWidth]) and returns every module's activity at every step by name,
// [t, b, width]: "hidden"; with a cerebellar module each of its layers by
// name (the paper's "gc" and "pc"; a recurrent module's own units) and
// "cb_bias", the bias actually added (after the GRU's norm scaling; zero
// with cbOn false); the GRU's gates "z" and "r"; a per-step readout's
// logits "output" ("output.k" per head when several). "state" is the final
// state [b, StateWidth], to continue from. Long inputs run in chunks of up
// to 128 steps.
func (e *Ensemble) Dynamics(k int, x []float32, t, b int, state0 []float32, cbOn bool) (map[string]Array, error) {
	if err := e.checkMember(k); err != nil {
		return nil, err
	}
	if e.parts != nil {
		p, j := e.part(k)
		return p.Dynamics(j, x, t, b, state0, cbOn)
	}
	I, S := e.cfg.Inputs, e.cfg.StateWidth()
	if t <= 0 || b <= 0 || len(x) != t*b*I || len(state0) != b*S {
		return nil, fmt.Errorf("gomlxmodels: Dynamics wants x [t=%d, b=%d, I=%d] and state0 [b, S=%d], got %d and %d values",
			t, b, I, S, len(x), len(state0))
	}
	w, err := e.Weights(k)
	if err != nil {
		return nil, err
	}
	chunk := BucketFor(t)
	if t > dynChunk {
		chunk = dynChunk
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cg, err := e.getGraph(graphKey{kind: kindDyn, T: chunk, B: b, path: e.path})
	if err != nil {
		return nil, err
	}
	// Upload member k's weights once.
	pbufs := make([]compute.Buffer, len(e.specs))
	for i, p := range e.specs {
		if pbufs[i], err = e.newBuffer(append([]float32(nil), w[p.Name]...), append([]int{1}, p.Shape...)...); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, pb := range pbufs {
			_ = pb.Finalize()
		}
	}()
	on := float32(0)
	if cbOn {
		on = 1
	}
	res := map[string]Array{}
	state := append([]float32(nil), state0...)
	for start := 0; start < t; start += chunk {
		steps := min(chunk, t-start)
		// A short last chunk is front-padded: padded steps hold the state
		// and their outputs are dropped.
		bt, err := packInput(e.cfg, Input{B: b, X: [][]float32{x[start*b*I : (start+steps)*b*I]}, T: []int{steps}, H0: [][]float32{state}}, chunk)
		if err != nil {
			return nil, err
		}
		data, err := e.dataBuffers(bt)
		if err != nil {
			return nil, err
		}
		onBuf, err := e.newBuffer([]float32{on}, 1)
		if err != nil {
			return nil, err
		}
		inputs := append(append(append([]compute.Buffer{}, pbufs...), data...), onBuf)
		donate := make([]bool, len(inputs))
		for i := len(pbufs); i < len(inputs); i++ {
			donate[i] = true
		}
		outs, err := e.run(cg, inputs, donate)
		if err != nil {
			return nil, err
		}
		final := make([]float32, S*b) // [1, S, b]
		if err := outs[0].ToFlatData(final); err != nil {
			return nil, err
		}
		transposeInto(state, final, S, b)
		for j, name := range cg.outNames {
			wd := cg.outWidths[j] // the output is [chunk, 1, b, wd]
			flat := make([]float32, chunk*b*wd)
			if err := outs[1+j].ToFlatData(flat); err != nil {
				return nil, err
			}
			a, ok := res[name]
			if !ok {
				a = Array{Shape: []int{t, b, wd}, Data: make([]float32, t*b*wd)}
				res[name] = a
			}
			copy(a.Data[start*b*wd:], flat[bt.off[0]*b*wd:])
		}
		for _, o := range outs {
			_ = o.Finalize()
		}
	}
	res["state"] = Array{Shape: []int{b, S}, Data: state}
	return res, nil
}

// idlePasses is the graphKey.idle of a training step: with per-task
// cerebellar modules, the heads whose weight is 0 for every member (the
// inactive tasks of a switching or continual step), whose passes need not
// be computed. 0 for any other network.
func (e *Ensemble) idlePasses(in StepInput) uint64 {
	heads := len(e.cfg.Readout.Heads)
	if !e.cfg.PerTaskCB() || heads < 2 || heads > 64 || in.HeadWeight == nil {
		return 0
	}
	var idle uint64
	for k := range heads {
		used := false
		for _, w := range in.HeadWeight {
			used = used || (k < len(w) && w[k] != 0)
		}
		if !used {
			idle |= 1 << uint(k)
		}
	}
	return idle
}
