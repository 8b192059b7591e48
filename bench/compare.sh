#!/usr/bin/env bash
# compare.sh — one training step of the paper's CB-RNN: the Go package vs the
# paper-style PyTorch baseline, same settings, same machine, one after the other.
#
#   bench/compare.sh [--model cb-rnn|rnn] [--seq-len 60] [--batch 64]
#                    [--steps 20] [--warmup 3] [--ensemble K] [--threads N]
#                    [--executors E] [--flush-denormal]
#
# --threads is PyTorch's intra-op thread count (default: nproc, the cores Go
#   gets too; 0 = torch's own default).
# --executors is the Go side's layout (cbrnn bench --executors; default 0:
#   one single-threaded executor per core, up to K).
# --flush-denormal gives PyTorch torch.set_flush_denormal(True) (the Go side
#   flushes the tiny BPTT gradients of long sequences itself).
# GOMLX_BACKEND and other environment variables reach the Go binary as they are.
# Prints both engines' lines, a table (wall and CPU ms per member-step, the
# FLOPs of a member-step counted from the Go graph, GFLOP/s, % of the
# machine's peak measured by cbrnn bench --peak) and the ratio
#   PyTorch ms per member-step / Go ms per member-step   (> 1: Go is faster).
# Test hook: COMPARE_GO_OUTPUT="<text>" skips building and running Go and parses
# that text instead.
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=cb-rnn seqlen=60 batch=64 steps=20 warmup=3 ensemble=1 threads="$(nproc)" executors=0 ptflags=()
while [ $# -gt 0 ]; do
	case "$1" in
	--model) model="$2"; shift 2 ;;
	--seq-len) seqlen="$2"; shift 2 ;;
	--batch) batch="$2"; shift 2 ;;
	--steps) steps="$2"; shift 2 ;;
	--warmup) warmup="$2"; shift 2 ;;
	--ensemble) ensemble="$2"; shift 2 ;;
	--threads) threads="$2"; shift 2 ;;
	--executors) executors="$2"; shift 2 ;;
	--flush-denormal) ptflags+=(--flush-denormal); shift ;;
	-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$model" in cb-rnn | rnn) ;; *) echo "compare.sh: the PyTorch baseline has cb-rnn and rnn only" >&2; exit 2 ;; esac

# member_ms TEXT: the ms per member-step in a bench line: "Y" of
# "X ms/step (Y ms/member-step)", else "X" of "X ms/step" (one member).
member_ms() {
	local m
	m="$(grep -oE '[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)? ms/member-step' <<<"$1" | tail -n 1 | awk '{print $1}')"
	[ -n "$m" ] || m="$(grep -oE '[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)? ms/step' <<<"$1" | tail -n 1 | awk '{print $1}')"
	echo "$m"
}

/usr/bin/python3 -c 'import torch' 2>/dev/null || {
	echo "compare.sh: Debian's python3-torch is missing: run scripts/setup.sh --with-torch" >&2; exit 1; }

args=(--model "$model" --seq-len "$seqlen" --batch "$batch" --steps "$steps" --warmup "$warmup")
[ "$ensemble" -gt 1 ] && args+=(--ensemble "$ensemble")

if [ -n "${COMPARE_GO_OUTPUT:-}" ]; then
	go_out="$COMPARE_GO_OUTPUT"
else
	# GoMLX's SIMD matmul kernels, as make and reproduce.sh build it.
	(cd "$root" && GOEXPERIMENT="${GOEXPERIMENT:-simd}" go build -o bin/cbrnn ./cmd/cbrnn)
	go_out="$("$root/bin/cbrnn" bench "${args[@]}" --executors "$executors" --peak 2>&1)" || {
		echo "$go_out" >&2; echo "compare.sh: cbrnn bench failed" >&2; exit 1; }
fi
go_line="$(grep -E 'ms/step' <<<"$go_out" | tail -n 1 || true)"
go_ms="$(member_ms "$go_line")"
[ -n "$go_ms" ] || { echo "$go_out" >&2; echo "compare.sh: no 'X ms/step (Y ms/member-step)' line in cbrnn bench's output" >&2; exit 1; }

pt_line="$(/usr/bin/python3 "$root/bench/pytorch_baseline.py" "${args[@]}" --threads "$threads" "${ptflags[@]}")"
pt_ms="$(member_ms "$pt_line")"
[ -n "$pt_ms" ] || { echo "$pt_line" >&2; echo "compare.sh: cannot parse the PyTorch line" >&2; exit 1; }

# The Go side's work line: "work: F MFLOP per member-step (compiled graph), G
# GFLOP/s[, P % of the peak Q GFLOP/s]; CPU C ms per member-step (…)".
work="$(grep -E '^work:' <<<"$go_out" | tail -n 1 || true)"
num() { grep -oE "[0-9]+(\.[0-9]+)? $1" <<<"$work" | tail -n 1 | awk '{print $1}'; }
mflop="$(num 'MFLOP')" go_cpu="$(num 'ms per member-step')"
peak="$(grep -oE 'peak [0-9.]+ GFLOP/s' <<<"$work" | awk '{print $2}' || true)"
pt_cpu="$(grep -oE 'cpu/member-step=[0-9.]+' <<<"$pt_line" | cut -d= -f2)"

echo "go:      $go_line"
grep -E '^(layout|peak|work):' <<<"$go_out" | sed 's/^/         /'
echo "pytorch: $pt_line"
echo
awk -v p="$pt_ms" -v g="$go_ms" -v k="$ensemble" -v f="${mflop:-0}" -v pk="${peak:-0}" \
	-v gc="${go_cpu:-0}" -v pc="${pt_cpu:-0}" 'BEGIN {
	printf "%-10s %15s %15s %18s %9s %10s\n", "engine", "ms/member-step", "CPU ms/m-step", "MFLOP/member-step", "GFLOP/s", "% of peak"
	row("go", g, gc); row("pytorch", p, pc)
	if (pk > 0) printf "peak %.1f GFLOP/s: a 1024³ DotGeneral on the Go backend (cbrnn bench --peak)\n", pk
	printf "MFLOP: the DotGenerals of the Go training graph (the same network and step for both)\n"
	printf "ratio (PyTorch / Go, ms per member-step, K=%d): %.2f  [%.1f / %.1f]\n", k, p / g, p, g }
	function row(name, ms, cpu) {
		gf = (ms > 0) ? f / ms : 0
		pct = (pk > 0) ? sprintf("%.1f", 100 * gf / pk) : "-"
		printf "%-10s %15.1f %15.1f %18.1f %9.2f %10s\n", name, ms, cpu, f, gf, pct }'
