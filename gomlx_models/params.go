package gomlxmodels

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	if c.Inputs <= 0 {
		return fmt.Errorf("gomlxmodels: inputs must be positive, got %d", c.Inputs)
	}
	if err := c.Core.validate(); err != nil {
		return fmt.Errorf("gomlxmodels: core: %w", err)
	}
	if c.CB != nil {
		if err := c.CB.validate(c.Core); err != nil {
			return fmt.Errorf("gomlxmodels: cb: %w", err)
		}
	}
	if err := c.Readout.validate(); err != nil {
		return fmt.Errorf("gomlxmodels: readout: %w", err)
	}
	if c.CB != nil && c.CB.PerTask && c.Readout.PerStep {
		return fmt.Errorf("gomlxmodels: per-task cerebellar modules need a last-step readout (one pass of the core per head)")
	}
	switch c.H0 {
	case H0Uniform, H0Zero:
	default:
		return fmt.Errorf("gomlxmodels: h0 %q unknown (want %q or %q)", c.H0, H0Uniform, H0Zero)
	}
	seen := map[string]bool{}
	for _, p := range c.Params() {
		if seen[p.Name] {
			return fmt.Errorf("gomlxmodels: two parameters are named %q (rename a layer)", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

func (k Core) validate() error {
	switch k.Kind {
	case CoreElman:
		if !(k.Tau > 0) || math.IsInf(k.Tau, 0) {
			return fmt.Errorf("elman needs a positive, finite tau, got %v", k.Tau)
		}
	case CoreGRU, CoreRNN:
	default:
		return fmt.Errorf("kind %q unknown (want %q, %q or %q)", k.Kind, CoreElman, CoreGRU, CoreRNN)
	}
	if k.Hidden <= 0 {
		return fmt.Errorf("hidden must be positive, got %d", k.Hidden)
	}
	if err := checkAct(k.Act); err != nil {
		return err
	}
	if k.Act == ActLeakyReLU && (!(k.Slope >= 0) || math.IsInf(k.Slope, 0)) {
		return fmt.Errorf("leaky_relu slope must be ≥ 0 and finite, got %v", k.Slope)
	}
	return nil
}

func (cb *CB) validate(core Core) error {
	if cb.Name == "" {
		return fmt.Errorf("the module needs a name (its parameter prefix, e.g. \"cb\")")
	}
	switch cb.Sees {
	case SeesHiddenInput, SeesHidden, SeesInput:
	default:
		return fmt.Errorf("sees %q unknown (want %q, %q or %q)", cb.Sees, SeesHiddenInput, SeesHidden, SeesInput)
	}
	switch cb.Target {
	case TargetPre, TargetInput:
	default:
		return fmt.Errorf("target %q unknown (want %q or %q)", cb.Target, TargetPre, TargetInput)
	}
	n := len(cb.Layers)
	switch cb.Kind {
	case CBFeedforward:
		if n == 0 {
			return fmt.Errorf("a feedforward module needs at least its output layer")
		}
	case CBRecurrent:
		if n != 2 {
			return fmt.Errorf("a recurrent module has exactly two layers (the RNN, then the output), got %d", n)
		}
		if !(cb.Tau > 0) || math.IsInf(cb.Tau, 0) {
			return fmt.Errorf("a recurrent module needs a positive, finite tau, got %v", cb.Tau)
		}
	default:
		return fmt.Errorf("kind %q unknown (want %q or %q)", cb.Kind, CBFeedforward, CBRecurrent)
	}
	for i, l := range cb.Layers {
		last := i == n-1
		switch {
		case l.Name == "":
			return fmt.Errorf("layer %d has no name", i)
		case last && l.Width != 0:
			return fmt.Errorf("output layer %q: width must be 0 (it takes the width of what it adds to), got %d", l.Name, l.Width)
		case !last && l.Width <= 0:
			return fmt.Errorf("layer %q: width must be positive, got %d", l.Name, l.Width)
		}
		if err := checkAct(l.Act); err != nil {
			return fmt.Errorf("layer %q: %w", l.Name, err)
		}
		if _, err := parseInit(l.Init); err != nil {
			return fmt.Errorf("layer %q: %w", l.Name, err)
		}
	}
	if cb.PerTask && (cb.Kind != CBFeedforward || core.Kind != CoreElman || cb.Target != TargetPre) {
		return fmt.Errorf("per-task modules are feedforward, on a leaky Elman core, added to its pre-activation (got a %s module on a %s core, added to %s)", cb.Kind, core.Kind, cb.Target)
	}
	if core.Kind == CoreGRU && cb.Target == TargetPre && !(cb.MaxRatio > 0) {
		return fmt.Errorf("a GRU's CB needs max_ratio > 0 (the authors' cb_max_ratio, 1), got %v", cb.MaxRatio)
	}
	return nil
}

func (r Readout) validate() error {
	if len(r.Heads) == 0 {
		return fmt.Errorf("at least one head is needed")
	}
	for i, n := range r.Heads {
		if n < 2 {
			return fmt.Errorf("head %d has %d classes, need at least 2", i, n)
		}
	}
	if r.Name == "" {
		return fmt.Errorf("the readout needs a name pattern (\"heads.{k}\" or \"output\")")
	}
	if len(r.Heads) > 1 && !strings.Contains(r.Name, "{k}") {
		return fmt.Errorf("name %q must contain {k} to tell %d heads apart", r.Name, len(r.Heads))
	}
	return nil
}

var activations = []string{ActLeakyReLU, ActReLU, ActTanh, ActSigmoid, ActLinear}

func checkAct(a string) error {
	for _, known := range activations {
		if a == known {
			return nil
		}
	}
	return fmt.Errorf("activation %q unknown (want one of %s)", a, strings.Join(activations, ", "))
}

// initRule is a parsed Layer.Init.
type initRule struct {
	torch bool    // U(±1/√fan_in) weights and biases
	std   float64 // N(0, std²) weights, zero bias; < 0: std = 1/√fan_in
}

func parseInit(s string) (initRule, error) {
	switch {
	case s == InitTorch:
		return initRule{torch: true}, nil
	case s == InitNormalFanIn:
		return initRule{std: -1}, nil
	case strings.HasPrefix(s, "normal:"):
		v, err := strconv.ParseFloat(strings.TrimPrefix(s, "normal:"), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return initRule{}, fmt.Errorf("init %q: want normal:STD with a positive STD", s)
		}
		return initRule{std: v}, nil
	}
	return initRule{}, fmt.Errorf("init %q unknown (want %q, %q or normal:STD)", s, InitTorch, InitNormalFanIn)
}

// Hidden is the core's hidden size H.
func (c Config) Hidden() int { return c.Core.Hidden }

// Heads are the classes per readout head.
func (c Config) Heads() []int { return c.Readout.Heads }

// HasCB says whether the network has a cerebellar module.
func (c Config) HasCB() bool { return c.CB != nil }

// coreInputs is the width of what the cell receives: the input, or its
// projection.
func (c Config) coreInputs() int {
	if c.Core.InputProj {
		return c.Core.Hidden
	}
	return c.Inputs
}

// cbInputs is the width of the cerebellar module's input c_t.
func (c Config) cbInputs() int {
	switch c.CB.Sees {
	case SeesHidden:
		return c.Core.Hidden
	case SeesInput:
		return c.Inputs
	}
	return c.Core.Hidden + c.Inputs
}

// cbOutputs is the width of the cerebellar module's output: that of what
// it is added to.
func (c Config) cbOutputs() int {
	if c.CB.Target == TargetInput {
		return c.coreInputs()
	}
	return c.Core.Hidden
}

// auxWidth is the state width of a recurrent cerebellar module (0 if none).
func (c Config) auxWidth() int {
	if c.CB != nil && c.CB.Kind == CBRecurrent {
		return c.CB.Layers[0].Width
	}
	return 0
}

// StateWidth is the width of the network's recurrent state per trial: the
// hidden units, then a recurrent cerebellar module's own units; with
// per-task modules, the hidden units of every head's pass, head 0's first.
func (c Config) StateWidth() int { return c.Core.Hidden*c.passes() + c.auxWidth() }

// passes is how many passes of the core one forward pass runs: one per head
// with per-task cerebellar modules, else one.
func (c Config) passes() int {
	if c.CB != nil && c.CB.PerTask {
		return len(c.Readout.Heads)
	}
	return 1
}

// PerTaskCB says whether every head has a cerebellar module of its own.
func (c Config) PerTaskCB() bool { return c.CB != nil && c.CB.PerTask }

// cbPrefixes are the parameter-name prefixes of the cerebellar modules:
// the one module's name, or Name.0, Name.1, … per task.
func (c Config) cbPrefixes() []string {
	if c.CB == nil {
		return nil
	}
	if !c.CB.PerTask {
		return []string{c.CB.Name}
	}
	out := make([]string, len(c.Readout.Heads))
	for k := range out {
		out[k] = c.CB.Name + "." + strconv.Itoa(k)
	}
	return out
}

// CBTask says which head's (task's) cerebellar module parameter name
// belongs to, for per-task modules; ok is false for any other parameter or
// a shared module.
func (c Config) CBTask(name string) (k int, ok bool) {
	if c.CB == nil || !c.CB.PerTask {
		return 0, false
	}
	for k, p := range c.cbPrefixes() {
		if strings.HasPrefix(name, p+".") {
			return k, true
		}
	}
	return 0, false
}

// HeadName is the parameter-name prefix of readout head k.
func (c Config) HeadName(k int) string {
	return strings.ReplaceAll(c.Readout.Name, "{k}", strconv.Itoa(k))
}

// gruGates are the GRU's three gates in parameter order.
var gruGates = []string{"z", "r", "n"}

// Params lists the parameters in their stable order: the core (input, then
// recurrent, in PyTorch's order), the cerebellar module's layers in order,
// then the heads. Shapes are PyTorch's ([out, in] for weights). The order
// is also the order of the initial draws.
func (c Config) Params() []ParamSpec {
	H, I := c.Core.Hidden, c.Inputs
	var ps []ParamSpec
	linear := func(name, group string, out, in int, init string, fanIn int) {
		r, _ := parseInit(init)
		biasInit := ""
		if r.torch {
			biasInit = init
		}
		ps = append(ps, ParamSpec{Name: name + ".weight", Shape: []int{out, in}, Group: group, Init: init, FanIn: fanIn},
			ParamSpec{Name: name + ".bias", Shape: []int{out}, Group: group, Init: biasInit, FanIn: fanIn})
	}
	torch := func(name, group string, out, in int) { linear(name, group, out, in, InitTorch, in) }
	if c.Core.InputProj {
		torch("input_proj", GroupCoreInput, H, I)
	}
	Ic := c.coreInputs()
	switch c.Core.Kind {
	case CoreGRU:
		for _, g := range gruGates {
			torch("gru_cell.x_"+g, GroupCoreInput, H, Ic)
			torch("gru_cell.h_"+g, GroupCoreRecurrent, H, H)
		}
	case CoreRNN:
		// nn.RNNCell: every tensor ~ U(±1/√H), in the order weight_ih,
		// weight_hh, bias_ih, bias_hh.
		for _, p := range []struct {
			name  string
			group string
			shape []int
		}{
			{"weight_ih", GroupCoreInput, []int{H, Ic}}, {"weight_hh", GroupCoreRecurrent, []int{H, H}},
			{"bias_ih", GroupCoreInput, []int{H}}, {"bias_hh", GroupCoreRecurrent, []int{H}},
		} {
			ps = append(ps, ParamSpec{Name: "recurrent." + p.name, Shape: p.shape, Group: p.group, Init: InitTorch, FanIn: H})
		}
	default:
		torch("inp", GroupCoreInput, H, Ic)
		torch("hh", GroupCoreRecurrent, H, H)
	}
	for _, prefix := range c.cbPrefixes() {
		cb := c.CB
		in := c.cbInputs()
		for i, l := range cb.Layers {
			out := l.Width
			if i == len(cb.Layers)-1 {
				out = c.cbOutputs()
			}
			if cb.Kind == CBRecurrent && i == 0 {
				linear(prefix+".inp", GroupCB, out, in, l.Init, in)
				linear(prefix+".hh", GroupCB, out, out, l.Init, out)
			} else {
				linear(prefix+"."+l.Name, GroupCB, out, in, l.Init, in)
			}
			in = out
		}
	}
	for k, n := range c.Readout.Heads {
		torch(c.HeadName(k), fmt.Sprintf("head.%d", k), n, H)
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
		case p.Group == GroupCB:
			n.CB += s
		default:
			n.Readout += s
		}
	}
	n.Total = n.Core + n.CB + n.Readout
	return n
}

// CBOutput names the parameters of the cerebellar module's output layer:
// zeroing them removes the module's contribution exactly (the GRU's norm
// clip keeps 0 at 0). Empty without a module.
func (c Config) CBOutput() []string {
	if c.CB == nil {
		return nil
	}
	last := c.CB.Layers[len(c.CB.Layers)-1]
	var out []string
	for _, prefix := range c.cbPrefixes() {
		p := prefix + "." + last.Name
		out = append(out, p+".weight", p+".bias")
	}
	return out
}

// WithoutCB returns a copy of w whose cerebellar module adds nothing.
func (c Config) WithoutCB(w Weights) Weights {
	out := w.Clone()
	for _, name := range c.CBOutput() {
		if v, ok := out[name]; ok {
			out[name] = make([]float32, len(v))
		}
	}
	return out
}

// MatchHidden returns the hidden size h ≥ 1 whose network build(h) has the
// total parameter count (readout included) closest to target; ties go to
// the smaller h. This is how the paper sizes its baselines (appendix B).
// build must give counts that grow with h.
func MatchHidden(target int, build func(h int) Config) int {
	best, bestDiff := 1, math.MaxInt
	for h := 1; ; h++ {
		total := build(h).Count().Total
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

// Describe is a one-line human summary, e.g. "elman H=64 + CB gc 256 · pc 64 · dcn".
func (c Config) Describe() string {
	s := fmt.Sprintf("%s H=%d", c.Core.Kind, c.Core.Hidden)
	if c.Core.InputProj {
		s += " (input projected)"
	}
	if cb := c.CB; cb != nil {
		var parts []string
		for i, l := range cb.Layers {
			if i == len(cb.Layers)-1 {
				parts = append(parts, l.Name)
			} else {
				parts = append(parts, fmt.Sprintf("%s %d", l.Name, l.Width))
			}
		}
		kind := ""
		if cb.Kind == CBRecurrent {
			kind = "recurrent "
		}
		if cb.PerTask {
			kind = fmt.Sprintf("%d per-task ", len(c.Readout.Heads))
		}
		s += fmt.Sprintf(" + %sCB %s (sees %s, adds to %s)", kind, strings.Join(parts, " · "), cb.Sees, cb.Target)
	}
	if c.Readout.PerStep {
		s += ", per-step readout"
	}
	return s
}
