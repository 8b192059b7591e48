#!/usr/bin/python3
"""PyTorch baseline: one training step of the paper's CB-RNN, written in the
paper's style (eager PyTorch, a Python loop over time steps).

    /usr/bin/python3 bench/pytorch_baseline.py --model cb-rnn --seq-len 60 --batch 64 \
        --steps 20 --warmup 3 [--threads N] [--ensemble K]

Model (METHODS §1): Elman core, H=64, tau=1.5 (alpha=1/1.5), LeakyReLU slope 0.01,
h0 = 0.1*U(0,1); cerebellar module GC(256) -> PC(64) -> DCN(H) seeing
[h_{t-1}, x_t], its output added to the core's pre-activation; readout on the
last step, 2 classes, mean cross-entropy. Optimiser (METHODS §3): SGD lr 0.01,
momentum 0.1, Nesterov; global grad-norm clipping at 7.5. rnn is the
matched plain RNN, H=202, no CB.

A step = draw a batch (T x B x 1 random bits, N-DMS labels), forward, backward,
clip, SGD update. --ensemble K trains K independent models one after the other
(what a PyTorch user would do) and reports the time per member-step.

Prints exactly one line:
    pytorch <model> T=<T> B=<B>: X ms/step torch=<version> threads=<n> cpu/member-step=<c>ms
or, with --ensemble K > 1:
    pytorch <model> T=<T> B=<B> K=<K>: X ms/step (Y ms/member-step) torch=<version> threads=<n> cpu/member-step=<c>ms
X and Y are wall-clock means over the timed steps.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    "cb-rnn": dict(hidden=64, cb=True, gc=256, pc=64),
    "rnn": dict(hidden=202, cb=False),
}


class Cerebellum(nn.Module):
    def __init__(self, n_in, hidden, gc, pc):
        super().__init__()
        self.gc = nn.Linear(n_in, gc)
        self.pc = nn.Linear(gc, pc)
        self.dcn = nn.Linear(pc, hidden)
        nn.init.normal_(self.gc.weight, 0.0, 0.01)
        nn.init.normal_(self.pc.weight, 0.0, 0.1)
        nn.init.normal_(self.dcn.weight, 0.0, 0.1)
        for layer in (self.gc, self.pc, self.dcn):
            nn.init.zeros_(layer.bias)

    def forward(self, c):
        return self.dcn(F.relu(self.pc(F.relu(self.gc(c)))))


class CBRNN(nn.Module):
    def __init__(self, inputs=1, hidden=64, cb=True, gc=256, pc=64, classes=2, tau=1.5, slope=0.01):
        super().__init__()
        self.hidden, self.alpha, self.slope = hidden, 1.0 / tau, slope
        self.inp = nn.Linear(inputs, hidden)
        self.hh = nn.Linear(hidden, hidden)
        self.cb = Cerebellum(hidden + inputs, hidden, gc, pc) if cb else None
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):  # x: [T, B, I]
        T, B, _ = x.shape
        h = 0.1 * torch.rand(B, self.hidden)
        for t in range(T):
            xt = x[t]
            pre = self.inp(xt) + self.hh(h)
            if self.cb is not None:
                pre = pre + self.cb(torch.cat([h, xt], dim=1))  # CB sees [h_{t-1}, x_t]
            h = (1 - self.alpha) * h + self.alpha * F.leaky_relu(pre, self.slope)
        return self.head(h)  # readout on the last step


def batch(T, B, n=2):
    """T x B x 1 random bits and N-DMS labels (last bit == bit N-1 steps before)."""
    x = torch.randint(0, 2, (T, B, 1)).float()
    y = (x[T - n, :, 0] == x[T - 1, :, 0]).long()
    return x, y


def train_steps(model, opt, T, B, steps):
    for _ in range(steps):
        x, y = batch(T, B)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        if not torch.isfinite(loss):
            continue
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 7.5)
        opt.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=sorted(CONFIGS), default="cb-rnn")
    ap.add_argument("--seq-len", type=int, default=60)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per member")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps per member")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--ensemble", type=int, default=1, help="K independent models, trained one after another")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flush-denormal", action="store_true",
                    help="torch.set_flush_denormal(True): long sequences push BPTT gradients into float32's "
                         "subnormal range, which is slow on CPUs (off by default, as in the paper's code)")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.flush_denormal:
        torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)

    total = cpu = 0.0
    for _ in range(a.ensemble):
        model = CBRNN(**CONFIGS[a.model])
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.1, nesterov=True)
        train_steps(model, opt, a.seq_len, a.batch, a.warmup)
        t0, c0 = time.perf_counter(), time.process_time()
        train_steps(model, opt, a.seq_len, a.batch, a.steps)
        total += time.perf_counter() - t0
        cpu += time.process_time() - c0

    member = 1000.0 * total / (a.ensemble * a.steps)
    # cpu: process CPU time (all threads) per member-step, a hint of how
    # much a busy machine inflated the wall-clock figure.
    tail = "torch=%s threads=%d cpu/member-step=%.1fms%s" % (
        torch.__version__, torch.get_num_threads(), 1000.0 * cpu / (a.ensemble * a.steps),
        " flush-denormal" if a.flush_denormal else "")
    head = "pytorch %s T=%d B=%d" % (a.model, a.seq_len, a.batch)
    if a.ensemble > 1:
        print("%s K=%d: %.1f ms/step (%.1f ms/member-step) %s" % (head, a.ensemble, member * a.ensemble, member, tail))
    else:
        print("%s: %.1f ms/step %s" % (head, member, tail))


if __name__ == "__main__":
    main()
