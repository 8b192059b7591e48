// Package safetensors reads and writes the Hugging Face safetensors format:
//
//	8 bytes   little-endian uint64 N, the length of the header
//	N bytes   JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]},
//	          "__metadata__": {string: string}}, padded with spaces so that N is
//	          a multiple of 8
//	rest      the tensors' raw little-endian bytes; offsets are relative to the
//	          start of this buffer, contiguous, in name order when written here
//
// It is written here rather than imported because the module proxy holds no
// well-kept pure-Go implementation: github.com/nlpodyssey/safetensors, the
// only candidate found, has never been tagged (only the pseudo-version
// v0.0.0-20250209183917-bfb01cc25f7c exists), and the format is small enough
// that a strict, validating reader and a byte-exact writer fit in one file
// using only the standard library (and renameio for atomic file writes).
//
// Tensors are float32 in memory. Write always stores F32; Read also accepts
// F64, F16 and BF16 (as PyTorch users often save those) and converts them to
// float32. Other dtypes are rejected with an error naming the tensor.
package safetensors
