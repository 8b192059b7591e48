package variants

import gm "github.com/cbrnn/cbrnn/gomlx_models"

// cb-rnn-2gc: the paper's CB-RNN with two granule layers, GC1 (G units) →
// GC2 (G units) → PC → DCN. The README's worked example of "Adding a model".
func init() {
	gm.Register(gm.Model{
		Name:    "cb-rnn-2gc",
		Summary: "cb-rnn whose cerebellar module has two granule layers (G and G units, ReLU)",
		Source:  "README, \"Adding a model\" (worked example)",
		Uses:    []string{gm.OptHidden, gm.OptGC, gm.OptPC, gm.OptCBSees},
		Build: func(o gm.Options) (gm.Config, error) {
			cb := gm.PaperCB(o.GC, o.PC, o.CBSees) // the paper's gc → pc → dcn
			gc, pc, dcn := cb.Layers[0], cb.Layers[1], cb.Layers[2]
			gc2 := gm.Layer{Name: "gc2", Width: o.GC, Act: gm.ActReLU, Init: "normal:0.01"}
			cb.Layers = []gm.Layer{gc, gc2, pc, dcn}
			return gm.PaperNetwork(o, gm.ElmanCore(o.HiddenOr(gm.PaperHidden)), cb), nil
		},
	})
}
