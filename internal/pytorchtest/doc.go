// Package pytorchtest lets tests run authors_torch.py, the test-support
// PyTorch module with the authors' parameter names (see that file), on
// Debian's PyTorch (/usr/bin/python3 with python3-torch, installed by
// `scripts/setup.sh --with-torch`). Without PyTorch the tests that need it
// are skipped, unless CBRNN_REQUIRE_TORCH=1 (set by `make unit`, as in CI),
// where they fail: CI must never pass by skipping them.
package pytorchtest
