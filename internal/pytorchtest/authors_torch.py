"""Test support: PyTorch networks with the authors' parameter names, and the
files their code reads and writes.

This is NOT the authors' code (GitHub AlexVoce/Cortico-cerebellar_RNNs); it
is written from paper/METHODS.md §1 so that cbrnn's tests can check, with a
real PyTorch, that

  * a file cbrnn exports loads with load_state_dict(strict=True) into a
    module with their parameter names (inp, hh, heads.{k}, cb.gc, cb.pc,
    cb.dcn, cb.compress, cb.inp/hh/out, gru_cell.{x,h}_{z,r,n}) built from
    the constructor arguments the file records, and gives the same logits;
  * a checkpoint saved as they save it (torch.save({"state_dict": ...}))
    reads back into cbrnn with the same logits and accuracy;
  * a run folder in their format (config.json, stats.npy, rnn_N{n}_N{n})
    imports.

The constructors take the keyword arguments of their ElmanRNNMultiHead and
GRUMultiHeadWithCB, so a file's "authors_kwargs" builds both.

Usage (Debian's python3 with python3-torch):
  authors_torch.py logits  --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors [--save-torch CKPT]
  authors_torch.py make    --class C --kwargs JSON --seed S --out CKPT [--inputs IN --logits OUT.safetensors]
  authors_torch.py runfolder --dir D --spec SPEC.json
  authors_torch.py batch JOBS.json     (a JSON list of the argument lists above, run in one process)
"""

import argparse
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"LeakyReLU": nn.LeakyReLU, "ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid}


# ---------------------------------------------------------------- safetensors
# The format (8-byte little-endian header length, JSON header, raw data) is
# small; Debian has no python3-safetensors.

def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = collections.OrderedDict()
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {e['dtype']}, expected F32")
        b, en = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:en]), dtype=torch.float32)
        out[name] = t.reshape(e["shape"]).clone()
    return out, meta


def write_safetensors(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        b = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ------------------------------------------------------------------ networks

class Cerebellum(nn.Module):
    """GC -> PC -> DCN, with an optional linear bottleneck before GC
    (METHODS §1.2): b = W_dcn relu(W_pc relu(W_gc c + b_gc) + b_pc) + b_dcn."""

    def __init__(self, width_in, out, gc, pc, compress):
        super().__init__()
        if compress > 0:
            self.compress = nn.Linear(width_in, compress)
            width_in = compress
        self.gc = nn.Linear(width_in, gc)
        self.pc = nn.Linear(gc, pc)
        self.dcn = nn.Linear(pc, out)

    def forward(self, c, aux=None):
        if hasattr(self, "compress"):
            c = self.compress(c)
        return self.dcn(torch.relu(self.pc(torch.relu(self.gc(c))))), None


class AuxiliaryRNN(nn.Module):
    """The control that replaces the CB with a small leaky RNN of its own:
    a <- (1 - 1/1.5) a + (1/1.5) leaky_relu(W_in c + W_aa a), b = W_out a."""

    def __init__(self, width_in, out, units):
        super().__init__()
        self.inp = nn.Linear(width_in, units)
        self.hh = nn.Linear(units, units)
        self.out = nn.Linear(units, out)

    def forward(self, c, aux):
        alpha = 1 / 1.5
        aux = (1 - alpha) * aux + alpha * nn.functional.leaky_relu(self.inp(c) + self.hh(aux), 0.01)
        return self.out(aux), aux


class Gates(nn.Module):
    """The GRU's six linears; the names are gru_cell.{x,h}_{z,r,n}."""

    def __init__(self, i, h):
        super().__init__()
        for g in "zrn":
            setattr(self, "x_" + g, nn.Linear(i, h))
            setattr(self, "h_" + g, nn.Linear(h, h))


class Network(nn.Module):
    """Both of their classes in one: core "elman" (ElmanRNNMultiHead) or
    "gru" (GRUMultiHeadWithCB), constructed from the same keyword arguments."""

    def __init__(self, core, input_size, hidden_size=64, num_classes=2, num_readout_heads=1, tau=1.5,
                 afunc="LeakyReLU", candidate_afunc="LeakyReLU", bias=True, use_cb_bias=True, cb_gc_dim=128,
                 cb_pc_dim=64, cb_no_hidden=False, cb_input_size=0, cb_max_ratio=1.0, cb_compress_dim=0,
                 rnn_aux_ctrl=False, aux_hidden_size=139):
        super().__init__()
        assert bias, "cbrnn's layers always have biases"
        self.core, self.alpha = core, 1.0 / tau
        self.act = ACTIVATIONS[afunc if core == "elman" else candidate_afunc]()
        self.max_ratio = cb_max_ratio
        H, I = hidden_size, input_size
        if core == "elman":
            self.inp = nn.Linear(I, H)
            self.hh = nn.Linear(H, H)
        else:
            self.gru_cell = Gates(I, H)
        self.heads = nn.ModuleList(nn.Linear(H, num_classes) for _ in range(num_readout_heads))
        self.sees_h, self.sees_x = not cb_no_hidden, cb_input_size > 0
        self.aux_units = aux_hidden_size if (use_cb_bias and rnn_aux_ctrl) else 0
        if use_cb_bias:
            width = (H if self.sees_h else 0) + (cb_input_size if self.sees_x else 0)
            if rnn_aux_ctrl:
                self.cb = AuxiliaryRNN(width, H, aux_hidden_size)
            else:
                self.cb = Cerebellum(width, H, cb_gc_dim, cb_pc_dim, cb_compress_dim)

    def forward(self, x, h, aux=None, per_step=False):
        """x [T, B, I]; h [B, H]; aux [B, A] (the auxiliary RNN's state).
        Returns one logits tensor per head: [B, C], or [T, B, C] per step."""
        outs = []
        for t in range(x.shape[0]):
            xt = x[t]
            b = None
            if hasattr(self, "cb"):
                parts = ([h] if self.sees_h else []) + ([xt] if self.sees_x else [])
                b, aux = self.cb(torch.cat(parts, dim=-1), aux)
            if self.core == "elman":
                pre = self.inp(xt) + self.hh(h)
                if b is not None:
                    pre = pre + b
                h = (1 - self.alpha) * h + self.alpha * self.act(pre)
            else:
                g = self.gru_cell
                z = torch.sigmoid(g.x_z(xt) + g.h_z(h))
                r = torch.sigmoid(g.x_r(xt) + g.h_r(h))
                n = g.x_n(xt) + g.h_n(r * h)
                if b is not None:  # ||b|| <= ratio ||n||, n held constant (METHODS §1.3)
                    nn_ = n.detach().norm(dim=-1, keepdim=True).clamp_min(1e-8)
                    bn = b.norm(dim=-1, keepdim=True).clamp_min(1e-8)
                    b = b * torch.clamp(self.max_ratio * nn_ / bn, max=1.0)
                    n = n + b
                h = (1 - z) * h + z * self.act(n)
            outs.append(h)
        states = torch.stack(outs) if per_step else h
        return [head(states) for head in self.heads]


def build(cls, kwargs):
    core = {"ElmanRNNMultiHead": "elman", "GRUMultiHeadWithCB": "gru"}[cls]
    return Network(core, **kwargs)


def randomise(model, seed):
    """Every parameter ~ U(-2/sqrt(fan_in), 2/sqrt(fan_in)), so that each one
    moves the logits (their CB init, N(0, 0.01²), would hide wiring errors)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p.shape[1] if p.dim() == 2 else p.shape[0]
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * 2 / math.sqrt(fan_in))


# ------------------------------------------------------------------ commands

def run(model, inputs, per_step=False):
    x = inputs["x"]
    h = inputs["h0"]
    aux = inputs.get("aux0")
    with torch.no_grad():
        logits = model(x, h, aux, per_step=per_step)
    out = {f"logits.{k}": l for k, l in enumerate(logits)}
    if "labels" in inputs:  # head 0, as float class ids
        pred = logits[0].argmax(dim=-1).to(torch.float32)
        out["accuracy"] = (pred == inputs["labels"]).to(torch.float32).mean().reshape(1)
    return out


def cmd_logits(a):
    weights, meta = read_safetensors(a.weights)
    model = build(meta["authors_class"], json.loads(meta["authors_kwargs"]))
    model.load_state_dict(weights, strict=True)
    inputs, _ = read_safetensors(a.inputs)
    fwd = json.loads(meta.get("authors_forward_kwargs", "{}"))
    write_safetensors(a.out, run(model, inputs, per_step=fwd.get("return_timewise", False)))
    if a.save_torch:  # as their training/save.py save_model does
        torch.save({"state_dict": model.state_dict()}, a.save_torch)


def cmd_make(a):
    model = build(a.cls, json.loads(a.kwargs))
    randomise(model, a.seed)
    torch.save({"state_dict": model.state_dict()}, a.out)
    if a.inputs:
        inputs, _ = read_safetensors(a.inputs)
        write_safetensors(a.logits, run(model, inputs))


def cmd_runfolder(a):
    """Writes one of their run folders from a spec:
    {"cli_args": {...}, "model": {"class", "kwargs"}, "stats": {key: [...]},
     "checkpoints": {"rnn_N2_N2": seed or "path.safetensors", ...},
     "extra_files": {...}}.  A seed makes a random network; a path loads
    weights exported by cbrnn."""
    spec = json.load(open(a.spec))
    os.makedirs(a.dir, exist_ok=True)
    cls, kwargs = spec["model"]["class"], spec["model"]["kwargs"]
    model = build(cls, kwargs)
    hp = dict(kwargs, model_type=cls, activation=kwargs.get("afunc", kwargs.get("candidate_afunc")))
    hp.pop("afunc", None)
    cfg = {
        "argv": ["training/train.py"] + [f"--{k}={v}" for k, v in sorted(spec["cli_args"].items())],
        "cli_args": spec["cli_args"],
        "host": {"pytorch": torch.__version__, "python": sys.version.split()[0], "device": "cpu"},
        "model_config": {"model": hp, "params": {"total": sum(p.numel() for p in model.parameters())}},
        "params": {"total": sum(p.numel() for p in model.parameters())},
        "run": {"curriculum_type": spec["cli_args"].get("curriculum_type"), "task": spec["cli_args"].get("task")},
        "timestamp_utc": "2026-01-01T00:00:00Z",
    }
    with open(os.path.join(a.dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    for name, src in spec["checkpoints"].items():
        if isinstance(src, str):
            weights, _ = read_safetensors(src)
            model.load_state_dict(weights, strict=True)
        else:
            randomise(model, src)
        sd = model.state_dict()
        for k, v in spec.get("corrupt", {}).get(name, {}).items():  # for error tests
            sd[k] = torch.tensor(v) if v is not None else sd.pop(k)
        torch.save({"state_dict": sd}, os.path.join(a.dir, name))
    stats = {}
    for key, values in spec["stats"].items():
        conv = {"int64": np.int64, "float64": np.float64}.get(spec.get("stats_types", {}).get(key))
        stats[key] = [conv(v) if conv else (float("nan") if v == "NaN" else v) for v in values]
    np.save(os.path.join(a.dir, "stats.npy"), stats)


def cmd_batch(a):
    """Runs many commands in one process (importing torch takes seconds):
    the file holds a JSON list of argument lists."""
    for argv in json.load(open(a.jobs)):
        main(argv)


def main(argv=None):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("logits")
    s.add_argument("--weights", required=True)
    s.add_argument("--inputs", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--save-torch")
    s = sub.add_parser("make")
    s.add_argument("--class", dest="cls", required=True)
    s.add_argument("--kwargs", required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--inputs")
    s.add_argument("--logits")
    s = sub.add_parser("runfolder")
    s.add_argument("--dir", required=True)
    s.add_argument("--spec", required=True)
    s = sub.add_parser("batch")
    s.add_argument("jobs")
    a = p.parse_args(argv)
    {"logits": cmd_logits, "make": cmd_make, "runfolder": cmd_runfolder, "batch": cmd_batch}[a.cmd](a)


if __name__ == "__main__":
    main()
