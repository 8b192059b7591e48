"""Writes the small fixtures of torchio's tests (committed: a few hundred
bytes each, so the reader is tested on machines without PyTorch too).

Run with Debian's PyTorch:  /usr/bin/python3 gen.py   (in this folder)
Values are exact in float16 and float32 (k/8), so the tests compare exactly.
"""
import collections

import numpy as np
import torch


def ramp(*shape, dtype=torch.float32):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float64) / 8 - 1).reshape(*shape).to(dtype)


sd = collections.OrderedDict([("inp.weight", ramp(3, 2)), ("inp.bias", ramp(3))])
torch.save({"state_dict": sd}, "wrapped.pt")                      # the authors' save_model
torch.save(sd, "bare.pt")                                          # torch.save(model.state_dict())
torch.save(sd, "legacy.pt", _use_new_zipfile_serialization=False)  # refused with a hint
torch.save({"w": ramp(2, 3).t()}, "strided.pt")                    # a transposed view: strides (1, 3)
torch.save({"w": ramp(2, 3)[1]}, "offset.pt")                      # a row: storage offset 3
torch.save({"w": ramp(2, 2, dtype=torch.float64), "v": ramp(3, dtype=torch.float16),
            "u": ramp(2, dtype=torch.bfloat16)}, "dtypes.pt")
torch.save({"w": ramp(2), "steps": torch.arange(3)}, "int.pt")     # refused: int64 tensor
torch.save({"epoch": 3, "weights": [1.0]}, "nostate.pt")           # refused: no state dict
torch.save({"p": torch.nn.Parameter(ramp(2))}, "param.pt")         # an nn.Parameter, not a tensor

stats = {
    "n_task": [np.int64(2), 3, 3],               # their Ns start as np.int64 (np.arange)
    "loss": [0.5, float("nan"), np.float64(0.25)],
    "phase": ["RNN", "RNN", "RNN"],
    "accuracy": [50.0, 98.5, 99.0],
    "grad": np.array([1.5, 2.0]),
    "flag": [True, False, None],
}
np.save("stats.npy", stats)
np.save("numbers.npy", np.arange(3.0))             # refused: not an object array
