// Package variants holds model variants added by users: one small file
// each, which declares a network from the parts of gomlx_models (a core, a
// cerebellar module's layers, a readout) and registers it under a name from
// init. Package env imports this package, so a variant is at once available
// to `cbrnn train --model NAME`, `cbrnn bench`, `cbrnn models list`, the
// experiments and the notebooks; nothing else needs to change. Gradients
// come from GoMLX's autodiff (the hand-written backward pass covers only the
// paper's shapes), so a variant needs no backward pass of its own.
//
// cb_rnn_2gc.go is the worked example of the README's "Adding a model".
package variants
