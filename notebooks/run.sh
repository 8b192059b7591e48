#!/usr/bin/env bash
# run.sh — execute the GoNB notebooks headlessly.
#
#   notebooks/run.sh [-k] [--write DIR] [name …]
#                         names: the notebooks in notebooks/ (default: all of them)
#   -k           keep going after a failing notebook (default: stop at the first)
#   --write DIR  write each executed notebook, normalised so that it can be
#                committed, to DIR/<name>.ipynb and its thumbnail to
#                DIR/thumbs/<name>.png, then check them (go run ./notebooks/nbcheck
#                -outputs). DIR = notebooks commits the outputs (reproduce.sh does);
#                a notebook that fails is never written there.
#
# Environment (passed through to the kernel and the cells):
#   CBRNN_PROFILE     smoke | quick (default) | paper
#   CBRNN_JOBS        concurrent runs, passed to experiments.Env.Jobs (default: unset → 0, the package decides)
#   CBRNN_ROOT        repository root (default: this script's parent folder; always exported)
#   CBRNN_OUT         where runs/ and figures/ are (default: the repository)
#   CBRNN_NB_OUT      where executed copies and kernel logs go (default: notebooks/.out, gitignored)
#   CBRNN_NB_TIMEOUT  per-cell timeout in seconds (default 172800; 0: none)
#   CBRNN_SKIP_SETUP  1: do not call scripts/setup.sh first
#
# Every notebook is first type-checked against the current packages
# (nbcheck -compile, seconds), then executed with nbclient (the engine of
# `jupyter nbconvert --execute`, via notebooks/execute.py) so that a failing
# notebook is still written and the failing cell's own output (compiler
# errors, panics) is printed. Any cell error makes the script exit non-zero,
# naming the notebook and the cell. The time each notebook took is printed.
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep_going=0 write=""
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	-k) keep_going=1; shift ;;
	--write) write="${2:?--write needs a folder}"; shift 2 ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown flag $1" >&2; exit 2 ;;
	*) names+=("$(basename "${1%.ipynb}")"); shift ;;
	esac
done
if [ ${#names[@]} -eq 0 ]; then
	for f in "$root"/notebooks/*.ipynb; do names+=("$(basename "$f" .ipynb)"); done
fi
for n in "${names[@]}"; do
	[ -f "$root/notebooks/$n.ipynb" ] || { echo "run.sh: no notebook notebooks/$n.ipynb" >&2; exit 2; }
done

[ "${CBRNN_SKIP_SETUP:-0}" = 1 ] || "$root/scripts/setup.sh"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
export CBRNN_ROOT="${CBRNN_ROOT:-$root}"
export CBRNN_PROFILE="${CBRNN_PROFILE:-quick}"
[ -n "${CBRNN_JOBS:-}" ] && export CBRNN_JOBS
out="${CBRNN_NB_OUT:-$root/notebooks/.out}"
mkdir -p "$out"
[ -z "$write" ] || { mkdir -p "$write/thumbs"; write="$(cd "$write" && pwd)"; }

paths=()
for n in "${names[@]}"; do paths+=("notebooks/$n.ipynb"); done
echo "run.sh: type-checking ${#names[@]} notebook(s) against the current packages"
if ! (cd "$root" && go run ./notebooks/nbcheck -compile "${paths[@]}"); then
	echo "run.sh: notebook cells do not compile (see above); nothing was executed" >&2
	exit 1
fi

failed=() written=()
total_start=$(date +%s)
for n in "${names[@]}"; do
	echo "run.sh: $n (profile $CBRNN_PROFILE${CBRNN_JOBS:+, jobs $CBRNN_JOBS})"
	# Debian's Python prints debugger warnings about frozen modules; the
	# kernel logs to stderr: both go to the log, the verdict to stdout.
	if ! PYDEVD_DISABLE_FILE_VALIDATION=1 /usr/bin/python3 -Xfrozen_modules=off "$root/notebooks/execute.py" \
		--kernel gonb --timeout "${CBRNN_NB_TIMEOUT:-172800}" ${write:+--normalise} \
		"$root/notebooks/$n.ipynb" "$out" 2>"$out/$n.log"; then
		echo "run.sh: notebook $n FAILED (executed copy: $out/$n.ipynb, kernel log: $out/$n.log)" >&2
		failed+=("$n")
		[ "$keep_going" = 1 ] || exit 1
		continue
	fi
	if [ -n "$write" ]; then
		cp "$out/$n.ipynb" "$write/$n.ipynb.tmp" && mv "$write/$n.ipynb.tmp" "$write/$n.ipynb"
		written+=("$write/$n.ipynb")
	fi
done
echo "run.sh: ${#names[@]} notebook(s) in $(($(date +%s) - total_start)) s"
if [ ${#written[@]} -gt 0 ]; then
	echo "run.sh: checking the written notebooks and drawing their thumbnails into $write/thumbs"
	(cd "$root" && go run ./notebooks/nbcheck -outputs -thumbs "$write/thumbs" "${written[@]}") || failed+=("(nbcheck)")
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "run.sh: FAILED: ${failed[*]}" >&2
	exit 1
fi
