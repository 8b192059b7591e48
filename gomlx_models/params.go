package gomlxmodels

import (
	"fmt"
	"math"
	"strings"
)

// Core names.
const (
	CoreElman = "elman"
	CoreGRU   = "gru"
)

// What the granule layer sees (Config.CBSees).
const (
	CBSeesHiddenInput = "hidden+input"
	CBSeesHidden      = "hidden"
	CBSeesInput       = "input"
)

// WithDefaults returns c with the paper's defaults filled in where c has zero
// values: Tau 1.5, Slope 0.01, PC 64 (when the CB is on), CBSees
// "hidden+input", Heads [2], Inputs 1, GRUMaxRatio 1. Core defaults to
// "elman". Heads is copied, so the result shares no memory with c.
func (c Config) WithDefaults() Config {
	if c.Core == "" {
		c.Core = CoreElman
	}
	if c.Tau == 0 {
		c.Tau = 1.5
	}
	if c.Slope == 0 {
		c.Slope = 0.01
	}
	if c.CB && c.PC == 0 {
		c.PC = 64
	}
	if c.CBSees == "" {
		c.CBSees = CBSeesHiddenInput
	}
	if len(c.Heads) == 0 {
		c.Heads = []int{2}
	} else {
		c.Heads = append([]int(nil), c.Heads...)
	}
	if c.Inputs == 0 {
		c.Inputs = 1
	}
	if c.GRUMaxRatio == 0 {
		c.GRUMaxRatio = 1
	}
	return c
}

// Validate reports the first problem with c (call it on c.WithDefaults() to
// check a config that relies on defaults).
func (c Config) Validate() error {
	switch c.Core {
	case CoreElman, CoreGRU:
	default:
		return fmt.Errorf("gomlxmodels: unknown core %q (want %q or %q)", c.Core, CoreElman, CoreGRU)
	}
	if c.Inputs <= 0 {
		return fmt.Errorf("gomlxmodels: Inputs must be positive, got %d", c.Inputs)
	}
	if c.Hidden <= 0 {
		return fmt.Errorf("gomlxmodels: Hidden must be positive, got %d", c.Hidden)
	}
	if len(c.Heads) == 0 {
		return fmt.Errorf("gomlxmodels: at least one readout head is needed")
	}
	for i, n := range c.Heads {
		if n < 2 {
			return fmt.Errorf("gomlxmodels: head %d has %d classes, need at least 2", i, n)
		}
	}
	if !(c.Tau > 0) || math.IsInf(c.Tau, 0) {
		return fmt.Errorf("gomlxmodels: Tau must be positive and finite, got %v", c.Tau)
	}
	if !(c.Slope >= 0) || math.IsInf(c.Slope, 0) {
		return fmt.Errorf("gomlxmodels: Slope must be ≥ 0 and finite, got %v", c.Slope)
	}
	if c.CB {
		if c.GC <= 0 {
			return fmt.Errorf("gomlxmodels: CB on needs a positive GC width, got %d", c.GC)
		}
		if c.PC <= 0 {
			return fmt.Errorf("gomlxmodels: CB on needs a positive PC width, got %d", c.PC)
		}
		switch c.CBSees {
		case CBSeesHiddenInput, CBSeesHidden, CBSeesInput:
		default:
			return fmt.Errorf("gomlxmodels: unknown CBSees %q (want %q, %q or %q)",
				c.CBSees, CBSeesHiddenInput, CBSeesHidden, CBSeesInput)
		}
		if c.Core == CoreGRU && !(c.GRUMaxRatio > 0) {
			return fmt.Errorf("gomlxmodels: GRUMaxRatio must be positive, got %v", c.GRUMaxRatio)
		}
	}
	return nil
}

// cbInputs is the width of the granule layer's input c_t.
func (c Config) cbInputs() int {
	switch c.CBSees {
	case CBSeesHidden:
		return c.Hidden
	case CBSeesInput:
		return c.Inputs
	}
	return c.Hidden + c.Inputs
}

// cbSeesHidden / cbSeesInput tell which parts c_t = [h_{t-1}, x_t] has.
func (c Config) cbSeesHidden() bool { return c.CBSees != CBSeesInput }
func (c Config) cbSeesInput() bool  { return c.CBSees != CBSeesHidden }

// HeadPrefix is the parameter-name prefix of readout head i: "head" when the
// config has a single head, "head.<i>" otherwise.
func (c Config) HeadPrefix(i int) string {
	if len(c.Heads) <= 1 {
		return "head"
	}
	return fmt.Sprintf("head.%d", i)
}

// gruGates are the GRU's three gates in parameter order.
var gruGates = []string{"z", "r", "n"}

// Params lists the parameters in their stable order: core (input, then
// recurrent, as PyTorch orders them), CB, then the heads. Shapes are
// PyTorch's ([out, in] for weights). Call it on a defaulted config.
func (c Config) Params() []ParamSpec {
	H, I := c.Hidden, c.Inputs
	var ps []ParamSpec
	add := func(name, group string, shape ...int) {
		ps = append(ps, ParamSpec{Name: name, Shape: shape, Group: group})
	}
	switch c.Core {
	case CoreGRU:
		for _, g := range gruGates {
			add("x_"+g+".weight", "core.input", H, I)
			add("x_"+g+".bias", "core.input", H)
			add("h_"+g+".weight", "core.recurrent", H, H)
			add("h_"+g+".bias", "core.recurrent", H)
		}
	default:
		add("inp.weight", "core.input", H, I)
		add("inp.bias", "core.input", H)
		add("hh.weight", "core.recurrent", H, H)
		add("hh.bias", "core.recurrent", H)
	}
	if c.CB {
		add("cb.gc.weight", "cb", c.GC, c.cbInputs())
		add("cb.gc.bias", "cb", c.GC)
		add("cb.pc.weight", "cb", c.PC, c.GC)
		add("cb.pc.bias", "cb", c.PC)
		add("cb.dcn.weight", "cb", H, c.PC)
		add("cb.dcn.bias", "cb", H)
	}
	for i, n := range c.Heads {
		p := c.HeadPrefix(i)
		group := fmt.Sprintf("head.%d", i)
		add(p+".weight", group, n, H)
		add(p+".bias", group, n)
	}
	return ps
}

// ParamIndex returns the position of the named parameter in Params(), or -1.
func (c Config) ParamIndex(name string) int {
	for i, p := range c.Params() {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// Size is the number of elements of a parameter.
func (p ParamSpec) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Count splits the number of parameters by module (readout = all heads).
func (c Config) Count() Counts {
	var n Counts
	for _, p := range c.Params() {
		s := p.Size()
		switch {
		case strings.HasPrefix(p.Group, "core."):
			n.Core += s
		case p.Group == "cb":
			n.CB += s
		default:
			n.Readout += s
		}
	}
	n.Total = n.Core + n.CB + n.Readout
	return n
}

// MatchHiddenSize returns the hidden size H of a plain core (no CB) of the
// given kind whose total parameter count (readout included) is closest to
// target; ties go to the smaller H. This is how the paper's baselines are
// sized (appendix B).
func MatchHiddenSize(target int, core string, inputs int, heads []int) int {
	base := Config{Core: core, Inputs: inputs, Heads: heads}.WithDefaults()
	best, bestDiff := 1, math.MaxInt
	for h := 1; ; h++ {
		cfg := base
		cfg.Hidden = h
		total := cfg.Count().Total
		d := total - target
		if d < 0 {
			d = -d
		}
		if d < bestDiff {
			best, bestDiff = h, d
		}
		if total > target {
			return best
		}
	}
}
