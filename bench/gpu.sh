#!/usr/bin/env bash
# gpu.sh — the GPU measurement (bench/README.md) in one short call (about 5–8 min of
# a lent machine). Build here with cgo and carry the binaries:
#
#   make build plugins TAGS=xla LDFLAGS='-s -w'   # bin/cbrnn with XLA, taskplugins/bin/*
#   bench/gpu.sh [OUTDIR]                  # on the GPU machine, from the repository root
#
# It needs bin/cbrnn, taskplugins/bin/dms and taskplugins/bin/manifest.json
# there (about 47 MB with the tracked tree: carry those three paths).
#
# It measures, writing each part to OUTDIR as soon as it is done (default:
# $OUT when set, as on the lent machines, else bench/out):
#   steps.txt    ms/step of the paper's CB-RNN at T=60, B=64 for K = 1, 8, 32,
#                with the compile time of that graph;
#   buckets.txt  for K=8: compile time and training/test step times per bucket
#                length (4 … 149), and the paper profile (one group of 8 seeds,
#                1000 epochs) priced from them by internal/costmodel;
#   epochs.txt   the check of that price: three real epochs of the trainer
#                (task plugins, test batches, checkpoints) for 8 seeds at N=25,
#                whose steady wall time should match the s/epoch priced at N=25.
# The backend: $GOMLX_BACKEND, else the CUDA PJRT plugin of the jax-cuda13
# wheel found under /opt/torch (or anywhere on /), with GOPJRT_CUDA_CHECKS=0.
# GPU_BENCH_QUICK=1 shrinks every part (for trying the script on a CPU).
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-${OUT:-$root/bench/out}}"
mkdir -p "$out"
cd "$root"
[ -x bin/cbrnn ] || { echo "gpu.sh: bin/cbrnn is missing: make build plugins TAGS=xla" >&2; exit 1; }
[ -f taskplugins/bin/manifest.json ] || { echo "gpu.sh: taskplugins/bin is missing: make plugins" >&2; exit 1; }

if [ -z "${GOMLX_BACKEND:-}" ]; then
	p="$(find /opt/torch -name xla_cuda_plugin.so -path '*xla_cuda13*' 2>/dev/null | head -1 || true)"
	[ -n "$p" ] || p="$(find / -xdev -name xla_cuda_plugin.so 2>/dev/null | head -1 || true)"
	[ -n "$p" ] || { echo "gpu.sh: no xla_cuda_plugin.so found; set GOMLX_BACKEND=xla:/abs/path/plugin.so" >&2; exit 1; }
	export GOMLX_BACKEND="xla:$p"
fi
export GOPJRT_CUDA_CHECKS="${GOPJRT_CUDA_CHECKS:-0}"

ks=1,8,32 steps=20 warmup=3 bucket_steps=10 n=25 epochs=3 train_steps=100 test_steps=50
if [ "${GPU_BENCH_QUICK:-}" = 1 ]; then
	ks=1,2 steps=2 warmup=1 bucket_steps=1 n=4 epochs=2 train_steps=5 test_steps=3
fi

{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
  echo "GOMLX_BACKEND=$GOMLX_BACKEND"; } | tee "$out/machine.txt"

echo "== 1. one training step, T=60, B=64, K=$ks"
bin/cbrnn bench --ensemble "$ks" --seq-len 60 --batch 64 --steps "$steps" --warmup "$warmup" 2>&1 | tee "$out/steps.txt"

echo "== 2. per bucket, K=8, and the paper profile priced"
bin/cbrnn bench --ensemble 8 --estimate --steps "$bucket_steps" --warmup 1 2>&1 | tee "$out/buckets.txt"

echo "== 3. the trainer: $epochs epochs at N=$n, 8 seeds in one graph"
run="$(mktemp -d)"
trap 'rm -rf "$run"' EXIT
bin/cbrnn train --task dms --regime fixed-n --n "$n" --seeds 8 --epochs "$epochs" \
	--steps "$train_steps" --test-steps "$test_steps" --out "$run/fixed" 2>&1 | tee "$out/epochs.txt"
# Epoch 1 compiles the buckets of N; the later ones are the steady state.
awk -v n="$n" -v s="$train_steps" -v t="$test_steps" '
	match($0, /"epoch":[0-9]+/) { e = substr($0, RSTART + 8, RLENGTH - 8) }
	match($0, /"wall_s":[0-9.eE+-]+/) { w[e] = substr($0, RSTART + 9, RLENGTH - 9) }
	END {
		for (i = 1; i in w; i++) printf "epoch %d at N=%d (%d + %d batches): %.2f s%s\n", i, n, s, t, w[i], i == 1 ? " (compiles its buckets)" : ""
		if (i > 2) { m = 0; for (j = 2; j < i; j++) m += w[j]; m /= (i - 2)
			printf "steady: %.2f s/epoch → 1000 epochs of these ≈ %.1f min\n", m, m * 1000 / 60 }
	}' "$run/fixed/seed1/stats.jsonl" | tee -a "$out/epochs.txt"
echo "gpu.sh: results in $out"
