package gomlxmodels

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive,staticcheck // graph DSL.
)

// Counting the work of a compiled graph: 2 floating-point operations per
// multiply-add of every DotGeneral reachable from its outputs (padding
// rows and padded steps included: what is executed, not what is useful).
// The element-wise ops are not counted; at the paper's sizes they are a
// few percent of the operations but most of the rest of the time (see
// bench/README.md).

// contractingAxes reads a DotGeneral node's lhs contracting axes from its
// description ("…lhsContractingAxes=[2]…"): GoMLX's graph exposes no
// accessor for them. TestGraphFLOPs checks the count on known products.
var contractingAxes = regexp.MustCompile(`lhsContractingAxes=\[([0-9 ]*)\]`)

// graphFLOPs sums the DotGeneral FLOPs of the graph that computes outs.
func graphFLOPs(outs []*Node) float64 {
	seen := map[*Node]bool{}
	var total float64
	var visit func(n *Node)
	visit = func(n *Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.Type() == NodeTypeDotGeneral {
			total += dotFLOPs(n)
		}
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	for _, o := range outs {
		visit(o)
	}
	return total
}

// dotFLOPs is 2 · (output elements) · (contracted elements) of a
// DotGeneral node, 0 if its description cannot be read.
func dotFLOPs(n *Node) float64 {
	m := contractingAxes.FindStringSubmatch(n.String())
	ins := n.Inputs()
	if m == nil || len(ins) < 1 {
		return 0
	}
	lhs := ins[0].Shape().Dimensions
	contracted := 1
	for _, f := range strings.Fields(m[1]) {
		a, err := strconv.Atoi(f)
		if err != nil || a >= len(lhs) {
			return 0
		}
		contracted *= lhs[a]
	}
	return 2 * float64(n.Shape().Size()) * float64(contracted)
}

// PeakGFLOPs measures what the backend's matmul reaches on one large
// float32 DotGeneral ([n, n]·[n, n], run reps times after one warm-up):
// the "peak" that `cbrnn bench --peak` reports the training step against.
func PeakGFLOPs(b compute.Backend, n, reps int) (gflops float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlxmodels: peak DotGeneral: %v", r)
		}
	}()
	g := NewGraph(b, fmt.Sprintf("peak_%d", n))
	s := shapes.Make(dtypes.Float32, n, n)
	x, y := Parameter(g, "x", s), Parameter(g, "y", s)
	if err := g.Compile(MatMul(x, y)); err != nil {
		return 0, err
	}
	exec := g.Executable()
	data := make([]float32, n*n)
	for i := range data {
		data[i] = float32(i%7) * 0.125
	}
	run := func() error {
		xb, err := b.BufferFromFlatData(0, data, s)
		if err != nil {
			return err
		}
		yb, err := b.BufferFromFlatData(0, data, s)
		if err != nil {
			return err
		}
		out, err := exec.Execute([]compute.Buffer{xb, yb}, []bool{true, true}, 0)
		if err != nil {
			return err
		}
		for _, o := range out {
			_ = o.Finalize()
		}
		return nil
	}
	if err := run(); err != nil {
		return 0, err
	}
	start := time.Now()
	for range reps {
		if err := run(); err != nil {
			return 0, err
		}
	}
	return 2 * float64(n) * float64(n) * float64(n) * float64(reps) / time.Since(start).Seconds() / 1e9, nil
}
