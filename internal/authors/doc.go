// Package authors moves networks and runs between cbrnn and the authors'
// PyTorch code (GitHub AlexVoce/Cortico-cerebellar_RNNs, refactored commit
// 619a7ff): which of their classes, built with which constructor arguments,
// holds a given network (Constructor); weights in their state-dict layout,
// from a safetensors file or a torch.save checkpoint, checked strictly
// against a network (Weights, LoadWeights); and their run folders (config.json,
// stats.npy, rnn_N{min}_N{max} checkpoints) turned into cbrnn run
// directories (ImportRun).
//
// The layout needs no renaming: cbrnn's parameters already carry their
// names and [out, in] shapes (paper/METHODS.md §1). Their classes, read in
// model/cb_rnn.py (ElmanRNNMultiHead, CB_bias, RecurrentAuxModule) and
// model/cb_gru.py (GRUMultiHeadWithCB, GRUCellWithOptionalCB):
//
//	inp, hh                        Linear(I, H), Linear(H, H): the Elman core
//	gru_cell.{x,h}_{z,r,n}         Linear(I, H), Linear(H, H): the GRU's gates
//	heads.{k}                      Linear(H, C), one per readout head (a ModuleList)
//	cb.compress                    Linear(c, D), optional bottleneck (cb_compress_dim)
//	cb.gc, cb.pc, cb.dcn           Linear(c or D, G), Linear(G, P), Linear(P, H)
//	cb.inp, cb.hh, cb.out          the auxiliary RNN that replaces the CB (rnn_aux_ctrl)
//
// where c is what the CB sees: torch.cat([h_{t−1}, x_t]) (hidden first, then
// the input; cb_input_size = I), h_{t−1} alone (cb_input_size = 0) or x_t
// alone (cb_no_hidden). cbrnn's golden files once named the single readout
// "head"; those names are still read as heads.0.
package authors
