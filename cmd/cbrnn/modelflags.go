package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// modelFlags are the flags that choose a registered model and size it,
// shared by train and bench so that both speak the registry's vocabulary.
type modelFlags struct {
	fs     *flag.FlagSet
	model  *string
	hidden *int
	gc     *int
	pc     *int
	cbSees *string
}

func addModelFlags(fs *flag.FlagSet, modelHelp string) *modelFlags {
	return &modelFlags{
		fs:     fs,
		model:  fs.String("model", "cb-rnn", modelHelp+" (see 'cbrnn models list')"),
		hidden: fs.Int(gm.OptHidden, 0, "hidden units H (0: the model's default: 64 for CB models, parameter-matched for rnn/gru)"),
		gc:     fs.Int(gm.OptGC, 0, "granule cells G of the CB (0: 256), also what a matched baseline matches"),
		pc:     fs.Int(gm.OptPC, 0, "Purkinje cells P of the CB (0: 64)"),
		cbSees: fs.String(gm.OptCBSees, "", "what the CB receives: hidden+input (default), hidden or input"),
	}
}

// options returns the sizing options set on the command line, refusing
// any that the named model does not read (they would silently do nothing).
func (m *modelFlags) options(name string) (gm.Options, error) {
	model, err := gm.Lookup(name)
	if err != nil {
		return gm.Options{}, err
	}
	var ignored []string
	m.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case gm.OptHidden, gm.OptGC, gm.OptPC, gm.OptCBSees:
			if !slices.Contains(model.Uses, f.Name) {
				ignored = append(ignored, "--"+f.Name)
			}
		}
	})
	if len(ignored) > 0 {
		return gm.Options{}, fmt.Errorf("model %s does not take %s (it reads: %s)", name, strings.Join(ignored, ", "), usesList(model))
	}
	for _, v := range []struct {
		name string
		val  int
	}{{gm.OptHidden, *m.hidden}, {gm.OptGC, *m.gc}, {gm.OptPC, *m.pc}} {
		if v.val < 0 {
			return gm.Options{}, fmt.Errorf("--%s must be ≥ 0, got %d", v.name, v.val)
		}
	}
	return gm.Options{Hidden: *m.hidden, GC: *m.gc, PC: *m.pc, CBSees: *m.cbSees}, nil
}

// build makes the named model for a task's shape.
func (m *modelFlags) build(name string, inputs int, heads []int) (gm.Config, error) {
	o, err := m.options(name)
	if err != nil {
		return gm.Config{}, err
	}
	o.Inputs, o.Heads = inputs, heads
	return gm.Build(name, o)
}

func usesList(m gm.Model) string {
	if len(m.Uses) == 0 {
		return "no sizing options"
	}
	var out []string
	for _, u := range m.Uses {
		out = append(out, "--"+u)
	}
	return strings.Join(out, ", ")
}
