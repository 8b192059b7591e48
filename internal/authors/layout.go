package authors

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// Their classes, and the modules that define them at commit 619a7ff.
const (
	ElmanClass = "ElmanRNNMultiHead"  // model/cb_rnn.py
	GRUClass   = "GRUMultiHeadWithCB" // model/cb_gru.py
)

// Module is where a class lives in their repository (for `from … import …`).
func Module(class string) string {
	if class == GRUClass {
		return "model.cb_gru"
	}
	return "model.cb_rnn"
}

// elmanArgs and gruArgs are their constructors' keyword arguments, in the
// order of their signatures (model/cb_rnn.py ElmanRNNMultiHead.__init__,
// model/cb_gru.py GRUMultiHeadWithCB.__init__), with their defaults.
var (
	elmanArgs = []arg{
		{"input_size", nil}, {"hidden_size", 64}, {"num_classes", 2}, {"num_readout_heads", 1},
		{"tau", 1.5}, {"afunc", "LeakyReLU"}, {"bias", true}, {"use_cb_bias", true},
		{"cb_gc_dim", 128}, {"cb_pc_dim", 64}, {"cb_no_hidden", false}, {"cb_input_size", 0},
		{"cb_max_ratio", 1.0}, {"cb_compress_dim", 0}, {"rnn_aux_ctrl", false}, {"aux_hidden_size", 139},
	}
	gruArgs = []arg{
		{"input_size", nil}, {"hidden_size", 64}, {"num_classes", 2}, {"num_readout_heads", 1},
		{"candidate_afunc", "LeakyReLU"}, {"bias", true}, {"use_cb_bias", true},
		{"cb_gc_dim", 128}, {"cb_pc_dim", 64}, {"cb_input_size", 0}, {"cb_no_hidden", false},
		{"cb_max_ratio", 1.0},
	}
)

type arg struct {
	name string
	def  any // nil: required
}

// isInt says whether their signature types the argument int: its default
// is one, or it is input_size (required, an int).
func (a arg) isInt() bool {
	_, ok := a.def.(int)
	return ok || a.name == "input_size"
}

func argsOf(class string) ([]arg, error) {
	switch class {
	case ElmanClass:
		return elmanArgs, nil
	case GRUClass:
		return gruArgs, nil
	}
	return nil, fmt.Errorf("authors' class %q unknown (want %s or %s)", class, ElmanClass, GRUClass)
}

// Constructor is how their code builds a network: a class and its keyword
// arguments. The activation arguments (afunc, candidate_afunc) hold the name
// of a torch.nn class ("LeakyReLU"), as their config.json records it; every
// other value is a JSON number or boolean.
type Constructor struct {
	Class  string         `json:"class"`
	Kwargs map[string]any `json:"kwargs"`
}

// activations maps cbrnn's activations to the torch.nn classes their
// --afunc offers (training/train.py AFUNC_MAP). LeakyReLU is PyTorch's, with
// slope 0.01.
var activations = map[string]string{gm.ActLeakyReLU: "LeakyReLU", gm.ActReLU: "ReLU", gm.ActTanh: "Tanh", gm.ActSigmoid: "Sigmoid"}

// ConstructorFor returns the class and constructor arguments of theirs that
// hold network c with the same parameter names and shapes and the same
// forward pass, or an error naming what of c their classes cannot express.
func ConstructorFor(c gm.Config) (Constructor, error) {
	if err := c.Validate(); err != nil {
		return Constructor{}, err
	}
	no := func(format string, a ...any) (Constructor, error) {
		return Constructor{}, fmt.Errorf("the authors' code has no network like this one: "+format, a...)
	}
	heads := c.Readout.Heads
	for _, n := range heads {
		if n != heads[0] {
			return no("its heads have different class counts %v (their heads share num_classes)", heads)
		}
	}
	if c.Readout.Name != "heads.{k}" {
		return no("its readout is named %q, not heads.{k}", c.Readout.Name)
	}
	if c.Core.InputProj {
		return no("its input is projected first (input_proj)")
	}
	afunc, ok := activations[c.Core.Act]
	if !ok || (c.Core.Act == gm.ActLeakyReLU && c.Core.Slope != gm.DefaultSlope) {
		return no("its core's activation %s (slope %g) is not one of their nn.LeakyReLU() (slope 0.01), ReLU, Tanh, Sigmoid", c.Core.Act, c.Core.Slope)
	}
	kw := map[string]any{
		"input_size": c.Inputs, "hidden_size": c.Core.Hidden, "num_classes": heads[0], "num_readout_heads": len(heads),
		"bias": true, "use_cb_bias": c.CB != nil,
	}
	var class string
	switch c.Core.Kind {
	case gm.CoreElman:
		class = ElmanClass
		kw["tau"], kw["afunc"] = c.Core.Tau, afunc
	case gm.CoreGRU:
		class = GRUClass
		kw["candidate_afunc"] = afunc
	default:
		return no("its core is %q (theirs are the leaky Elman and the GRU)", c.Core.Kind)
	}
	cb := c.CB
	if cb == nil {
		return Constructor{Class: class, Kwargs: kw}, nil
	}
	if cb.PerTask {
		return no("it has one cerebellar module per task (%s.{k}), and their code's one CB is shared by every task: no counterpart in the authors' code (the sketch's task-specific modules)", cb.Name)
	}
	if cb.Name != "cb" || cb.Target != gm.TargetPre {
		return no("its CB is named %q and adds to %q (theirs: \"cb\", added to the pre-activation)", cb.Name, cb.Target)
	}
	switch cb.Sees {
	case gm.SeesHiddenInput:
		kw["cb_input_size"], kw["cb_no_hidden"] = c.Inputs, false
	case gm.SeesHidden:
		kw["cb_input_size"], kw["cb_no_hidden"] = 0, false
	case gm.SeesInput:
		kw["cb_input_size"], kw["cb_no_hidden"] = c.Inputs, true
	}
	if class == GRUClass {
		kw["cb_max_ratio"] = cb.MaxRatio
	} else if cb.MaxRatio != 0 {
		return no("its Elman CB is norm-clipped (max_ratio %g); their Elman clips only with a task id, unused in the paper", cb.MaxRatio)
	}
	L := cb.Layers
	if cb.Kind == gm.CBRecurrent {
		if class == GRUClass {
			return no("a GRU with the auxiliary RNN (their GRU has only the feedforward CB)")
		}
		if cb.Sees == gm.SeesInput {
			return no("an auxiliary RNN that sees only the input (their cb_no_hidden path concatenates h anyway)")
		}
		if L[0].Act != gm.ActLeakyReLU || L[1].Name != "out" || L[1].Act != gm.ActLinear || cb.Tau != gm.PaperTau {
			return no("its auxiliary RNN is not theirs (LeakyReLU units, τ = 1.5, a linear \"out\" layer)")
		}
		kw["rnn_aux_ctrl"], kw["aux_hidden_size"] = true, L[0].Width
		return Constructor{Class: class, Kwargs: kw}, nil
	}
	if len(L) == 4 && L[0].Name == "compress" && L[0].Act == gm.ActLinear {
		if class == GRUClass {
			return no("a GRU with a compression layer (their GRU refuses cb_compress_dim)")
		}
		kw["cb_compress_dim"] = L[0].Width
		L = L[1:]
	}
	if len(L) != 3 || L[0].Name != "gc" || L[0].Act != gm.ActReLU || L[1].Name != "pc" || L[1].Act != gm.ActReLU || L[2].Name != "dcn" || L[2].Act != gm.ActLinear {
		var names []string
		for _, l := range cb.Layers {
			names = append(names, l.Name+" "+l.Act)
		}
		return no("its CB layers are [%s]; theirs are [compress linear,] gc relu, pc relu, dcn linear", strings.Join(names, ", "))
	}
	kw["cb_gc_dim"], kw["cb_pc_dim"] = L[0].Width, L[1].Width
	return Constructor{Class: class, Kwargs: kw}, nil
}

// Python renders the constructor call as their code would write it, every
// argument spelled out in the order of their signature, e.g.
// ElmanRNNMultiHead(input_size=1, hidden_size=64, …, afunc=nn.LeakyReLU, …).
func (k Constructor) Python() string {
	args, err := argsOf(k.Class)
	if err != nil {
		return "# " + err.Error()
	}
	var parts []string
	for _, a := range args {
		v, ok := k.Kwargs[a.name]
		cbArg := strings.HasPrefix(a.name, "cb_") || a.name == "rnn_aux_ctrl" || a.name == "aux_hidden_size"
		switch {
		case ok:
		case cbArg && !k.usesCB():
			continue // a network without CB leaves the CB's arguments alone
		case a.def == nil:
			continue
		default:
			v = a.def
		}
		parts = append(parts, a.name+"="+pyValue(a, v))
	}
	return k.Class + "(" + strings.Join(parts, ", ") + ")"
}

func (k Constructor) usesCB() bool { b, _ := k.Kwargs["use_cb_bias"].(bool); return b }

// pyValue writes v as Python source. Their integer arguments (sizes,
// counts) are written as integers, whatever JSON made of them: PyTorch
// refuses nn.Linear(1.0, 64.0).
func pyValue(a arg, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		if a.name == "afunc" || a.name == "candidate_afunc" {
			return "nn." + x
		}
		return strconv.Quote(x)
	case float64:
		if a.isInt() && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10)
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	}
	return fmt.Sprint(v)
}

// Metadata is what an exported safetensors file records of the authors'
// class (keys "authors_class", "authors_module", "authors_kwargs" as a JSON
// object, "authors_call": the constructor call in Python), or an error when
// their code has no such network.
func Metadata(c gm.Config) (map[string]string, error) {
	k, err := ConstructorFor(c)
	if err != nil {
		return nil, err
	}
	kw, err := json.Marshal(k.Kwargs) // maps marshal with sorted keys
	if err != nil {
		return nil, err
	}
	m := map[string]string{
		"authors_class":  k.Class,
		"authors_module": Module(k.Class),
		"authors_kwargs": string(kw),
		"authors_call":   k.Python(),
	}
	if c.Readout.PerStep {
		m["authors_forward_kwargs"] = `{"return_timewise":true}`
	}
	return m, nil
}

// Config is the inverse of ConstructorFor: the network their class builds
// with these arguments, and the name of the cbrnn model it is (cb-rnn, rnn,
// cb-gru, gru, aux-rnn-cb or cb-compress). The config is the registry's
// model with the same options, with what the arguments set differently
// (τ, activation, widths) written in. Unknown arguments are an error.
func Config(k Constructor) (gm.Config, string, error) {
	kw, err := readKwargs(k)
	if err != nil {
		return gm.Config{}, "", err
	}
	if err := kw.check(); err != nil {
		return gm.Config{}, "", fmt.Errorf("%s: %w", k.Class, err)
	}
	name := kw.modelName()
	c, err := gm.Build(name, kw.options())
	if err != nil {
		return gm.Config{}, "", err
	}
	kw.writeIn(&c)
	if err := c.Validate(); err != nil {
		return gm.Config{}, "", fmt.Errorf("%s: %w", k.Class, err)
	}
	return c, name, nil
}

// kwargs are a constructor's arguments, read and typed.
type kwargs struct {
	class                   string
	inputs, hidden, classes int
	heads                   int
	useCB, aux, noHidden    bool
	act                     string // cbrnn's name
	cbIn, gc, pc, compress  int
	auxHidden               int
	tau, maxRatio           float64
}

// readKwargs types a constructor's arguments, with their signature's
// defaults where absent; every argument of the wrong type, and every
// unknown one, is reported.
func readKwargs(k Constructor) (kwargs, error) {
	sig, err := argsOf(k.Class)
	if err != nil {
		return kwargs{}, err
	}
	r := kwargReader{k: k, defaults: map[string]any{}}
	for _, a := range sig {
		r.defaults[a.name] = a.def
	}
	if err := r.unknown(); err != nil {
		return kwargs{}, err
	}
	kw := kwargs{class: k.Class}
	kw.inputs, kw.hidden, kw.classes, kw.heads = r.integer("input_size"), r.integer("hidden_size"), r.integer("num_classes"), r.integer("num_readout_heads")
	kw.useCB = r.flag("use_cb_bias")
	if !r.flag("bias") {
		r.bad = append(r.bad, "bias=false (cbrnn's layers always have biases)")
	}
	kw.act = r.activation()
	kw.cbIn, kw.noHidden = r.integer("cb_input_size"), r.flag("cb_no_hidden")
	kw.gc, kw.pc = r.integer("cb_gc_dim"), r.integer("cb_pc_dim")
	if k.Class == ElmanClass {
		kw.compress, kw.aux, kw.auxHidden, kw.tau = r.integer("cb_compress_dim"), r.flag("rnn_aux_ctrl"), r.integer("aux_hidden_size"), r.num("tau")
	} else {
		kw.maxRatio = r.num("cb_max_ratio")
	}
	if len(r.bad) > 0 {
		return kwargs{}, fmt.Errorf("%s: %s", k.Class, strings.Join(r.bad, "; "))
	}
	return kw, nil
}

// kwargReader reads typed arguments, collecting what is wrong.
type kwargReader struct {
	k        Constructor
	defaults map[string]any
	bad      []string
}

func (r *kwargReader) unknown() error {
	var unknown []string
	for name := range r.k.Kwargs {
		if _, ok := r.defaults[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("%s has no argument %s", r.k.Class, strings.Join(unknown, ", "))
}

func (r *kwargReader) get(name string) any {
	if v, ok := r.k.Kwargs[name]; ok && v != nil {
		return v
	}
	return r.defaults[name]
}

func (r *kwargReader) num(name string) float64 {
	switch v := r.get(name).(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
	}
	r.bad = append(r.bad, fmt.Sprintf("%s=%v (want a number)", name, r.get(name)))
	return 0
}

func (r *kwargReader) integer(name string) int {
	f := r.num(name)
	if f != math.Trunc(f) || f < 0 {
		r.bad = append(r.bad, fmt.Sprintf("%s=%v (want a whole number ≥ 0)", name, f))
	}
	return int(f)
}

func (r *kwargReader) flag(name string) bool {
	b, ok := r.get(name).(bool)
	if !ok {
		r.bad = append(r.bad, fmt.Sprintf("%s=%v (want true or false)", name, r.get(name)))
	}
	return b
}

// activation is cbrnn's name for the class's activation argument.
func (r *kwargReader) activation() string {
	name := "afunc"
	if r.k.Class == GRUClass {
		name = "candidate_afunc"
	}
	afunc, _ := r.get(name).(string)
	afunc = strings.TrimPrefix(afunc, "nn.")
	for ours, theirs := range activations {
		if strings.EqualFold(theirs, afunc) {
			return ours
		}
	}
	r.bad = append(r.bad, fmt.Sprintf("%s=%v (want LeakyReLU, ReLU, Tanh or Sigmoid)", name, r.get(name)))
	return ""
}

// check refuses arguments their classes accept but cbrnn cannot model, or
// their code cannot run.
func (kw kwargs) check() error {
	switch {
	case kw.inputs < 1 || kw.hidden < 1 || kw.classes < 2 || kw.heads < 1:
		return fmt.Errorf("input_size %d, hidden_size %d, num_classes %d, num_readout_heads %d: all must be positive (and 2 classes at least)", kw.inputs, kw.hidden, kw.classes, kw.heads)
	case kw.noHidden && kw.cbIn == 0:
		return fmt.Errorf("cb_no_hidden with cb_input_size 0 gives the CB nothing to see (their constructor refuses it too)")
	case kw.cbIn > 0 && kw.cbIn != kw.inputs:
		return fmt.Errorf("cb_input_size %d differs from input_size %d: the CB sees a task-id vector, which cbrnn does not model", kw.cbIn, kw.inputs)
	case kw.aux && kw.noHidden:
		return fmt.Errorf("rnn_aux_ctrl with cb_no_hidden: their forward concatenates h anyway, so the layer shapes do not match (a configuration their code cannot run)")
	}
	return nil
}

// sees is what the CB receives.
func (kw kwargs) sees() string {
	switch {
	case kw.noHidden:
		return gm.SeesInput
	case kw.cbIn > 0:
		return gm.SeesHiddenInput
	}
	return gm.SeesHidden
}

// modelName is the registered cbrnn model these arguments build.
func (kw kwargs) modelName() string {
	switch {
	case kw.class == GRUClass && kw.useCB:
		return "cb-gru"
	case kw.class == GRUClass:
		return "gru"
	case !kw.useCB:
		return "rnn"
	case kw.aux:
		return "aux-rnn-cb"
	case kw.compress > 0:
		return "cb-compress"
	}
	return "cb-rnn"
}

// options are the registry options the model is built with.
func (kw kwargs) options() gm.Options {
	o := gm.Options{Inputs: kw.inputs, Heads: slices.Repeat([]int{kw.classes}, kw.heads), Hidden: kw.hidden}
	if kw.useCB {
		o.CBSees = kw.sees()
		if !kw.aux {
			o.GC, o.PC = kw.gc, kw.pc
		}
	}
	return o
}

// writeIn writes into the registry's config what the arguments set that
// its options do not: activation, τ, the GRU's clip, the auxiliary RNN's
// and the compression's widths.
func (kw kwargs) writeIn(c *gm.Config) {
	c.Core.Act, c.Core.Slope = kw.act, 0
	if kw.act == gm.ActLeakyReLU {
		c.Core.Slope = gm.DefaultSlope
	}
	if kw.class == ElmanClass {
		c.Core.Tau = kw.tau
	}
	if c.CB == nil {
		return
	}
	switch {
	case kw.class == GRUClass:
		c.CB.MaxRatio = kw.maxRatio
	case kw.aux:
		c.CB.Layers[0].Width = kw.auxHidden
	case kw.compress > 0:
		c.CB.Layers[0].Width = kw.compress
	}
}
