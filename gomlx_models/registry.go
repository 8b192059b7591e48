package gomlxmodels

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/cbrnn/cbrnn/internal/suggest"
)

// Model is a named network: a recipe from the task's shape and a few user
// options to a complete Config. The registry is the one vocabulary of
// models that `cbrnn train`, `cbrnn bench`, the experiments and the
// notebooks share.
type Model struct {
	Name    string
	Summary string // one line: what it is
	Source  string // where it comes from: the paper, the authors' code, …
	// Uses lists the Options it reads besides Inputs and Heads ("hidden",
	// "gc", "pc", "cb-sees"); a user setting another one is told it has no
	// effect on this model.
	Uses  []string
	Build func(o Options) (Config, error)
}

// Options are what a user may choose of a named model. Zero values take
// the defaults below, resolved in Options.WithDefaults and nowhere else.
type Options struct {
	Inputs int   // input channels, from the task (default 1)
	Heads  []int // classes per head, from the task (default one head of 2)
	// Hidden is H (default: the model's own, 64 for the paper's CB models;
	// for a parameter-matched baseline, 0 means "matched").
	Hidden int
	GC     int    // granule cells (default 256); a matched baseline matches the CB model with this G
	PC     int    // Purkinje cells (default 64)
	CBSees string // what the CB receives (default hidden+input, the paper's)
}

// Option names, as Model.Uses and the CLI flags spell them.
const (
	OptHidden = "hidden"
	OptGC     = "gc"
	OptPC     = "pc"
	OptCBSees = "cb-sees"
)

// The paper's defaults (paper/METHODS.md §1).
const (
	PaperHidden = 64
	PaperGC     = 256
	PaperPC     = 64
	PaperTau    = 1.5
)

// WithDefaults fills the zero options with the paper's values.
func (o Options) WithDefaults() Options {
	if o.Inputs == 0 {
		o.Inputs = 1
	}
	if len(o.Heads) == 0 {
		o.Heads = []int{2}
	} else {
		o.Heads = slices.Clone(o.Heads)
	}
	if o.GC == 0 {
		o.GC = PaperGC
	}
	if o.PC == 0 {
		o.PC = PaperPC
	}
	if o.CBSees == "" {
		o.CBSees = SeesHiddenInput
	}
	return o
}

// HiddenOr is o.Hidden, or def when the user left it at 0.
func (o Options) HiddenOr(def int) int {
	if o.Hidden > 0 {
		return o.Hidden
	}
	return def
}

var (
	registryMu sync.RWMutex
	registry   = func() map[string]Model {
		r := map[string]Model{}
		for _, m := range builtinModels() {
			r[m.Name] = m
		}
		return r
	}()
)

// Register adds a model to the registry; a model file calls it from init.
// It panics on an empty or duplicate name, or a model without Build: those
// are programming errors found at start-up.
func Register(m Model) {
	registryMu.Lock()
	defer registryMu.Unlock()
	switch {
	case m.Name == "":
		panic("gomlxmodels: Register: model without a name")
	case m.Build == nil:
		panic(fmt.Sprintf("gomlxmodels: Register: model %q has no Build", m.Name))
	}
	if _, dup := registry[m.Name]; dup {
		panic(fmt.Sprintf("gomlxmodels: Register: model %q registered twice", m.Name))
	}
	registry[m.Name] = m
}

// Lookup returns the named model, or an error listing the known ones.
func Lookup(name string) (Model, error) {
	registryMu.RLock()
	m, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return Model{}, fmt.Errorf("%w; `cbrnn models list` describes them", suggest.Unknown("model", name, ModelNames()))
	}
	return m, nil
}

// Models lists the registered models by name.
func Models() []Model {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Model, 0, len(registry))
	for _, m := range registry {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ModelNames lists the registered names, sorted.
func ModelNames() []string {
	var out []string
	for _, m := range Models() {
		out = append(out, m.Name)
	}
	return out
}

// Build makes the named model's Config for the options (defaults filled
// in) and validates it.
func Build(name string, o Options) (Config, error) {
	m, err := Lookup(name)
	if err != nil {
		return Config{}, err
	}
	c, err := m.Build(o.WithDefaults())
	if err != nil {
		return Config{}, fmt.Errorf("model %s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("model %s: %w", name, err)
	}
	return c, nil
}

// MustBuild is Build for names and options known to be good (tests,
// examples); it panics on error.
func MustBuild(name string, o Options) Config {
	c, err := Build(name, o)
	if err != nil {
		panic(err)
	}
	return c
}

// Parts the paper's models are made of, for model files to reuse.

// ElmanCore is the paper's leaky Elman core: LeakyReLU (slope 0.01), τ = 1.5.
func ElmanCore(hidden int) Core {
	return Core{Kind: CoreElman, Hidden: hidden, Act: ActLeakyReLU, Slope: DefaultSlope, Tau: PaperTau}
}

// GRUCore is the paper's GRU core: LeakyReLU candidate (slope 0.01).
func GRUCore(hidden int) Core {
	return Core{Kind: CoreGRU, Hidden: hidden, Act: ActLeakyReLU, Slope: DefaultSlope}
}

// PaperCB is the paper's cerebellar module: GC (gc units, ReLU, W ~ N(0,
// 0.01²)) → PC (pc units, ReLU, N(0, 0.1²)) → DCN (linear, N(0, 0.1²)),
// biases 0, added to the core's pre-activation.
func PaperCB(gc, pc int, sees string) *CB {
	return &CB{Kind: CBFeedforward, Name: "cb", Sees: sees, Target: TargetPre, Layers: []Layer{
		{Name: "gc", Width: gc, Act: ActReLU, Init: "normal:0.01"},
		{Name: "pc", Width: pc, Act: ActReLU, Init: "normal:0.1"},
		{Name: "dcn", Act: ActLinear, Init: "normal:0.1"},
	}}
}

// AuthorsReadout is the authors' ModuleList of heads (heads.0, heads.1, …).
func AuthorsReadout(heads []int) Readout {
	return Readout{Heads: slices.Clone(heads), Name: "heads.{k}"}
}

// PaperNetwork assembles a network of the paper's kind: core, optional
// CB, the authors' readout, h0 = 0.1·U(0,1).
func PaperNetwork(o Options, core Core, cb *CB) Config {
	return Config{Inputs: o.Inputs, Core: core, CB: cb, Readout: AuthorsReadout(o.Heads), H0: H0Uniform}
}
