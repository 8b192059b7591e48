package gomlxmodels

import (
	"fmt"
	"sort"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// The compile cache and the graph builders. A graph is built for one kind
// of call, one bucket length T and batch B, one path and one label layout,
// and compiled once.

type graphKind int

const (
	kindTrain graphKind = iota // forward, backward, optimiser
	kindGrads                  // forward and backward only: loss, norm, raw gradients (tests)
	kindEval                   // logits
	kindDyn                    // one member's activity at every step
)

type graphKey struct {
	kind    graphKind
	T, B    int
	path    gradPath
	perStep bool // per-step labels (train) or logits (eval)
	// full: no member is padded, and the graph has no padding masks (three
	// element-wise passes a step fewer on the fast path).
	full bool
	// idle (train graphs of per-task modules only): bit k set when head k
	// has weight 0 for every member, so its pass is not computed (its loss
	// term and every gradient through it are 0 either way).
	idle uint64
}

type compiledGraph struct {
	g         *Graph
	exec      compute.Executable
	outNames  []string // kindDyn: names of the per-step outputs
	outWidths []int    // kindDyn: their widths
	flops     float64  // DotGeneral FLOPs of one execution (flops.go)
}

// getGraph returns the compiled graph for key, building it on first use.
// Must be called with e.mu held.
func (e *Ensemble) getGraph(key graphKey) (cg *compiledGraph, err error) {
	if cg, ok := e.graphs[key]; ok {
		return cg, nil
	}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlxmodels: building graph %+v: %v", key, r)
		}
	}()
	g := NewGraph(e.backend, fmt.Sprintf("cbrnn_%d_T%d_B%d_K%d", key.kind, key.T, key.B, e.k))
	cg = &compiledGraph{g: g}
	var outs []*Node
	switch key.kind {
	case kindTrain, kindGrads:
		outs = e.buildTrain(g, key)
	case kindEval:
		outs = e.buildEval(g, key)
	case kindDyn:
		outs, cg.outNames = e.buildDynamics(g, key)
		for _, o := range outs[1:] {
			cg.outWidths = append(cg.outWidths, o.Shape().Dimensions[3])
		}
	}
	if err := g.Compile(outs...); err != nil {
		return nil, err
	}
	cg.flops = graphFLOPs(outs)
	cg.exec = g.Executable()
	e.graphs[key] = cg
	e.numCompiled++
	e.compileTime += time.Since(start)
	return cg, nil
}

// run executes a compiled graph, recovering from panics.
func (e *Ensemble) run(cg *compiledGraph, in []compute.Buffer, donate []bool) (out []compute.Buffer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlxmodels: executing %s: %v", cg.g.Name(), r)
		}
	}()
	return cg.exec.Execute(in, donate, 0)
}

// declareParams declares one graph input per parameter, [K, shape...], in
// Params() order.
func declareParams(g *Graph, specs []ParamSpec, K int, prefix string) []*Node {
	out := make([]*Node, len(specs))
	for i, p := range specs {
		out[i] = Parameter(g, prefix+p.Name, shapes.Make(dtypes.Float32, append([]int{K}, p.Shape...)...))
	}
	return out
}

// sliceParams takes members [gr[0], gr[1]) of every stacked parameter.
func sliceParams(P []*Node, gr [2]int) []*Node {
	out := make([]*Node, len(P))
	for i, p := range P {
		out[i] = sliceK(p, 0, gr)
	}
	return out
}

// groupInputs slices the data inputs to members [gr[0], gr[1]).
func groupInputs(in forwardInputs, gr [2]int) forwardInputs {
	out := forwardInputs{x: sliceK(in.x, 1, gr), h0: sliceK(in.h0, 0, gr)}
	if in.mask != nil {
		out.mask = sliceK(in.mask, 1, gr)
	}
	return out
}

// buildTrain builds the train-step graph (kindTrain) or the gradient graph
// of the tests (kindGrads: outputs loss [K], norm [K], then the raw
// gradients).
//
// Inputs: params…, momentum…, x, h0, mask, labels (per head), [per-output
// loss weights, with per-step labels], headW, trainable, hyper. Train
// outputs: new params…, new momentum…, loss [K], grad norm [K], ok [K] (1 =
// updated, 0 = skipped).
func (e *Ensemble) buildTrain(g *Graph, key graphKey) []*Node {
	K := e.k
	P := declareParams(g, e.specs, K, "p.")
	M := declareParams(g, e.specs, K, "m.")
	in := e.dataParams(g, K, key.T, key.B, key.full)
	cols := key.B
	if key.perStep {
		cols = key.T * key.B
	}
	heads := e.cfg.Readout.Heads
	labels := make([]*Node, len(heads))
	for h := range labels {
		labels[h] = Parameter(g, fmt.Sprintf("labels.%d", h), shapes.Make(dtypes.Int32, K, cols))
	}
	var lossW *Node
	if key.perStep {
		lossW = Parameter(g, "lossW", shapes.Make(dtypes.Float32, K, cols))
	}
	headW := Parameter(g, "headW", shapes.Make(dtypes.Float32, K, len(heads)))
	trainable := Parameter(g, "trainable", shapes.Make(dtypes.Float32, K, len(P)))
	hyper := Parameter(g, "hyper", shapes.Make(dtypes.Float32, 4))

	// The recurrent part runs per group of members (see memberGroups).
	var losses []*Node
	groupGrads := make([][]*Node, len(P))
	for _, gr := range e.memberGroups(key.T, key.B) {
		size := gr[1] - gr[0]
		Pg := sliceParams(P, gr)
		gin := groupInputs(in, gr)
		subLabels := make([]*Node, len(labels))
		for h, l := range labels {
			subLabels[h] = sliceK(l, 0, gr)
		}
		gHeadW := sliceK(headW, 0, gr)
		var loss *Node
		var grads []*Node
		if key.path == pathFast {
			n := newNetGraph(g, e.cfg, size, key.B, key.T)
			n.setPolicy(e.dotPolicy())
			n.setParams(Pg)
			n.prepare(nil)
			hT, trace := n.forward(gin)
			var parts lossParts
			loss, parts = n.loss(n.readout(hT), subLabels, gHeadW)
			grads = n.backward(hT, trace, n.dLogits(parts))
		} else {
			n := newGenNet(g, e.cfg, size, key.B, key.T)
			n.idle = key.idle
			n.setParams(Pg)
			state, steps := n.forward(gin, nil)
			logits := n.readout(state, steps, key.perStep)
			if key.perStep {
				loss = perStepLoss(size, heads, logits, subLabels, sliceK(lossW, 0, gr), gHeadW)
			} else {
				loss, _ = lastStepLoss(g, size, heads, logits, subLabels, gHeadW)
			}
			grads = Gradient(ReduceAllSum(loss), Pg...)
		}
		losses = append(losses, loss)
		for i, gi := range grads {
			groupGrads[i] = append(groupGrads[i], gi)
		}
	}
	loss := concatK(losses)
	grads := make([]*Node, len(P))
	for i := range grads {
		grads[i] = concatK(groupGrads[i])
	}
	norm := gradNorm(g, K, grads, trainable)
	if key.kind == kindGrads {
		return append([]*Node{loss, norm}, grads...)
	}
	ok := IsFinite(loss)
	newP, newM := sgdUpdate(g, K, P, M, grads, norm, trainable, hyper, ok)
	out := append(newP, newM...)
	return append(out, loss, norm, ConvertDType(ok, dtypes.Float32))
}

// buildEval: inputs params…, x, h0, mask, cbOn [K]; outputs logits per
// head, [K, B, C] (or [K, T·B, C] every step with key.perStep).
func (e *Ensemble) buildEval(g *Graph, key graphKey) []*Node {
	K := e.k
	P := declareParams(g, e.specs, K, "p.")
	in := e.dataParams(g, K, key.T, key.B, key.full)
	cbOn := Parameter(g, "cbOn", shapes.Make(dtypes.Float32, K))
	perHead := make([][]*Node, len(e.cfg.Readout.Heads))
	for _, gr := range e.memberGroups(key.T, key.B) {
		size := gr[1] - gr[0]
		Pg := sliceParams(P, gr)
		var logits []*Node
		if key.path == pathFast {
			n := newNetGraph(g, e.cfg, size, key.B, key.T)
			n.setPolicy(e.dotPolicy())
			n.setParams(Pg)
			n.prepare(sliceK(cbOn, 0, gr))
			hT, _ := n.forward(groupInputs(in, gr))
			logits = n.readout(hT)
		} else {
			n := newGenNet(g, e.cfg, size, key.B, key.T)
			n.setParams(Pg)
			state, steps := n.forward(groupInputs(in, gr), sliceK(cbOn, 0, gr))
			logits = n.readout(state, steps, key.perStep)
		}
		for i, l := range logits {
			perHead[i] = append(perHead[i], l)
		}
	}
	out := make([]*Node, len(perHead))
	for i := range out {
		out[i] = Transpose(concatK(perHead[i]), 1, 2)
	}
	return out
}

// buildDynamics: a K=1 forward pass that returns the final state [1, S, B]
// and each module's activity at every step, [T, 1, B, width]. Inputs:
// params (K=1)…, x, h0, mask, cbOn [1].
func (e *Ensemble) buildDynamics(g *Graph, key graphKey) ([]*Node, []string) {
	P := declareParams(g, e.specs, 1, "p.")
	in := e.dataParams(g, 1, key.T, key.B, key.full)
	cbOn := Parameter(g, "cbOn", shapes.Make(dtypes.Float32, 1))
	// stack turns per-step [1, W(+1), B] nodes into [T, 1, B, W].
	stack := func(steps []*Node, width int) *Node {
		all := Stack(steps, 0) // [T, 1, W(+1), B]
		if all.Shape().Dimensions[2] != width {
			all = Slice(all, AxisRange(), AxisRange(), AxisRange(0, width))
		}
		return Transpose(all, 2, 3)
	}
	var final *Node
	var outs []*Node
	var names []string
	if key.path == pathFast {
		n := newNetGraph(g, e.cfg, 1, key.B, key.T)
		n.setParams(P)
		n.prepare(cbOn)
		var trace []stepTrace
		final, trace = n.forward(in)
		collect := func(name string, width int, get func(*stepTrace) *Node) {
			steps := make([]*Node, len(trace))
			for t := range trace {
				steps[t] = get(&trace[t])
			}
			outs, names = append(outs, stack(steps, width)), append(names, name)
		}
		H := e.cfg.Core.Hidden
		collect("hidden", H, func(s *stepTrace) *Node { return s.h })
		if cb := e.cfg.CB; cb != nil {
			collect(cb.Layers[0].Name, n.gc, func(s *stepTrace) *Node { return s.gcA })
			collect(cb.Layers[1].Name, n.pc, func(s *stepTrace) *Node { return s.pcA })
			collect("cb_bias", H, func(s *stepTrace) *Node { return s.cb })
		}
		if n.isGRU {
			collect("z", H, func(s *stepTrace) *Node { return s.z })
			collect("r", H, func(s *stepTrace) *Node { return s.r })
		}
	} else {
		n := newGenNet(g, e.cfg, 1, key.B, key.T)
		n.setParams(P)
		var steps []genStep
		final, steps = n.forward(in, cbOn)
		for name := range steps[0].acts {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			per := make([]*Node, len(steps))
			for t := range steps {
				per[t] = steps[t].acts[name]
			}
			outs = append(outs, stack(per, per[0].Shape().Dimensions[1]))
		}
		if e.cfg.Readout.PerStep {
			for k, l := range n.readout(final, steps, true) { // [1, C, T·B]
				C := e.cfg.Readout.Heads[k]
				outs = append(outs, TransposeAllAxes(Reshape(l, 1, C, key.T, key.B), 2, 0, 3, 1)) // [T, 1, B, C]
				names = append(names, outputName(e.cfg, k))
			}
		}
	}
	return append([]*Node{final}, outs...), names
}

// outputName is the dynamics key of a per-step readout's head k: "output",
// or "output.k" with several heads.
func outputName(c Config, k int) string {
	if len(c.Readout.Heads) == 1 {
		return "output"
	}
	return fmt.Sprintf("output.%d", k)
}

// sliceK takes members [gr[0], gr[1]) along axis; no-op for all members.
func sliceK(x *Node, axis int, gr [2]int) *Node {
	if gr[0] == 0 && gr[1] == x.Shape().Dimensions[axis] {
		return x
	}
	return SliceAxis(x, axis, AxisRange(gr[0], gr[1]))
}

// concatK joins per-group results along the member axis 0.
func concatK(parts []*Node) *Node {
	if len(parts) == 1 {
		return parts[0]
	}
	return Concatenate(parts, 0)
}
