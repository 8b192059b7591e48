// Package torchio reads what the authors' PyTorch code writes with Python's
// pickle: checkpoints saved with torch.save (the zip format of PyTorch ≥
// 1.6, e.g. their `rnn_N5_N5` files holding {"state_dict": OrderedDict}),
// and .npy files that np.save wrote from a Python object (their stats.npy,
// a dict of lists).
//
// The pickle virtual machine is github.com/nlpodyssey/gopickle (v0.2.0, a
// maintained pure-Go reader of Python pickles and PyTorch's zip checkpoints).
// This package adds what it leaves to its callers: picking the state dict
// out of what was saved, turning strided tensors of any floating dtype into
// row-major float32, the few NumPy classes an object .npy refers to, and
// errors that say what is wrong with a file and how to fix it. gopickle's
// legacy (pre-1.6, non-zip) reader is not used: it panics on parts of that
// format, so such files are refused up front with a message that says how to
// re-save them. The files are untrusted: only regular files are opened,
// and every size a zip entry, storage or pickle declares is checked against
// the file's size and a memory budget before anything is allocated.
package torchio
