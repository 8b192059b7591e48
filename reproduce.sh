#!/usr/bin/env bash
# reproduce.sh — regenerate every figure of the paper, and paper/results.md,
# on a fresh machine.
#
#   ./reproduce.sh [--profile smoke|quick|paper] [--jobs N] [--backend go|xla:…] [--out DIR] [--no-notebooks]
#
#   --profile  smoke: minutes (CI) · quick (default): about an hour on 2 cores,
#              the paper's qualitative findings · paper: SPEC §3 exactly (GPU)
#   --jobs     ensembles trained at once (default: one per core on the Go
#              backend, whose training step keeps about one core busy; 1 on a GPU)
#   --backend  GOMLX_BACKEND for training: go (default), xla:cuda, or
#              xla:/abs/path/xla_cuda_plugin.so (builds bin/cbrnn with -tags xla)
#   --out      write runs/, figures/, paper/results.md and the executed
#              notebooks under DIR instead of the repository (the smoke test
#              uses a scratch folder)
#
# Steps: install what is missing (Jupyter, GoNB, the kernel) → build the CLI
# and the task plugins → train every run the figures need (cached in runs/
# by config hash: a rerun skips finished runs and resumes interrupted ones)
# and draw the figures → execute every notebook headlessly through Jupyter
# and GoNB (each recomputes its figure from the cached runs; any cell error
# fails the script) and write it back with its outputs — into notebooks/,
# to be committed, or DIR/notebooks with --out — with the thumbnails of
# notebooks/README.md → list what was produced.
set -Eeuo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

profile=quick jobs=0 backend="" out="" notebooks=1
while [ $# -gt 0 ]; do
	case "$1" in
	--profile) profile="$2"; shift 2 ;;
	--jobs) jobs="$2"; shift 2 ;;
	--backend) backend="$2"; shift 2 ;;
	--out) out="$2"; shift 2 ;;
	--no-notebooks) notebooks=0; shift ;;
	-h | --help) sed -n '2,27p' "$0"; exit 0 ;;
	*) echo "reproduce.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case "$profile" in smoke | quick | paper) ;; *) echo "reproduce.sh: unknown profile $profile (smoke, quick or paper)" >&2; exit 2 ;; esac

start=$(date +%s)
stamp() { local s=$(($(date +%s) - start)); printf '[%02d:%02d:%02d] %s\n' $((s / 3600)) $((s % 3600 / 60)) $((s % 60)) "$*"; }
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
# GoMLX's SIMD matmul kernels (Go's simd experiment): about 2.4× faster training.
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"

stamp "setup: Jupyter, GoNB, kernel (skipped when present)"
scripts/setup.sh
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"

tags=""
if [ -n "$backend" ]; then
	export GOMLX_BACKEND="$backend"
	case "$backend" in xla:*) tags=xla ;; esac
fi
stamp "build: bin/cbrnn${tags:+ (-tags $tags)} and the task plugins"
go build -tags "$tags" -o bin/cbrnn ./cmd/cbrnn
taskplugins/build.sh >/dev/null

if [ -n "$out" ]; then
	mkdir -p "$out"
	export CBRNN_OUT="$(cd "$out" && pwd)"
fi
export CBRNN_ROOT="$root"
stamp "train and draw: profile $profile, jobs: $([ "$jobs" = 0 ] && echo auto || echo "$jobs")"
bin/cbrnn figures --profile "$profile" --jobs "$jobs" >/dev/null

if [ "$notebooks" = 1 ]; then
	nbdir="${CBRNN_OUT:-$root}/notebooks"
	stamp "notebooks: executing every notebook through Jupyter + GoNB, outputs into ${nbdir#$root/}"
	CBRNN_PROFILE="$profile" CBRNN_JOBS="$jobs" CBRNN_SKIP_SETUP=1 \
		CBRNN_NB_OUT="${CBRNN_OUT:-$root/notebooks}/.out" notebooks/run.sh --write "$nbdir"
fi

dest="${CBRNN_OUT:-$root}"
stamp "done in $(($(date +%s) - start)) s. Produced:"
ls -1 "$dest"/figures/*.png "$dest"/paper/results.md | sed "s#^$root/##; s#^#  #"
[ "$notebooks" = 0 ] || ls -1 "$dest"/notebooks/*.ipynb | sed "s#^$root/##; s#^#  #"
