#!/usr/bin/env bash
# run.sh — execute the GoNB notebooks headlessly.
#
#   notebooks/run.sh [-k] [id …]      ids: fig2a fig2b fig3 fig4 fig5 fig6 appB appC appG appH table4 continual curricula controls smoke
#                                     (default: every notebook except smoke)
#   -k   keep going after a failing notebook (default: stop at the first)
#
# Environment (passed through to the kernel and the cells):
#   CBRNN_PROFILE     smoke | quick (default) | paper
#   CBRNN_JOBS        concurrent runs, passed to experiments.Options.Jobs (default: unset → 0, the package decides)
#   CBRNN_ROOT        repository root (default: this script's parent folder; always exported)
#   CBRNN_NB_OUT      where executed notebooks and kernel logs go (default: notebooks/.out, gitignored)
#   CBRNN_NB_TIMEOUT  per-cell timeout in seconds (default 172800; 0: none)
#   CBRNN_SKIP_SETUP  1: do not call scripts/setup.sh first
#   GOEXPERIMENT      default simd, as make and reproduce.sh build: the kernel
#                     compiles the cells with it, so a notebook run computes
#                     the same round-off as the rest (runs record whether
#                     they were trained with SIMD and refuse to be resumed
#                     without it)
#
# Ctrl-C stops with exit status 130 and one line saying which notebook was
# interrupted (none with CBRNN_QUIET_INTERRUPT=1, as reproduce.sh sets).
#
# The committed notebooks are never rewritten: executed copies go to
# $CBRNN_NB_OUT/<id>.ipynb, the kernel's log to $CBRNN_NB_OUT/<id>.log.
# Execution uses nbclient (the engine of `jupyter nbconvert --execute`, via
# notebooks/execute.py) so that a failing notebook is still written and the
# failing cell's own output (compiler errors, panics) is printed. Any cell
# error makes the script exit non-zero, naming the notebook and the cell.
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep_going=0
ids=()
for a in "$@"; do
	case "$a" in
	-k) keep_going=1 ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown flag $a" >&2; exit 2 ;;
	*) ids+=("${a%.ipynb}") ;;
	esac
done
if [ ${#ids[@]} -eq 0 ]; then
	for f in "$root"/notebooks/*.ipynb; do
		id="$(basename "$f" .ipynb)"
		[ "$id" = smoke ] || ids+=("$id")
	done
fi
for id in "${ids[@]}"; do
	[ -f "$root/notebooks/$id.ipynb" ] || { echo "run.sh: no notebook notebooks/$id.ipynb" >&2; exit 2; }
done

[ "${CBRNN_SKIP_SETUP:-0}" = 1 ] || "$root/scripts/setup.sh"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
# GoMLX's SIMD kernels, as the Makefile and reproduce.sh build (issue 13).
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"
export CBRNN_ROOT="${CBRNN_ROOT:-$root}"
export CBRNN_PROFILE="${CBRNN_PROFILE:-quick}"
[ -n "${CBRNN_JOBS:-}" ] && export CBRNN_JOBS
out="${CBRNN_NB_OUT:-$root/notebooks/.out}"
mkdir -p "$out"

# interrupted ends the script after Ctrl-C (exit status 130, what a child
# killed by SIGINT, or one that handled it, returns).
interrupted() {
	[ "${CBRNN_QUIET_INTERRUPT:-0}" = 1 ] || echo "run.sh: interrupted while $1; rerunning resumes (runs already trained are cached)" >&2
	exit 130
}
trap 'interrupted "$doing"' INT TERM
doing="checking the notebooks against their generator"

# The committed notebooks must match their generator.
rc=0
(cd "$root" && go run ./notebooks/gen -check) || rc=$?
[ "$rc" = 130 ] && interrupted "$doing"
if [ "$rc" != 0 ]; then
	echo "run.sh: notebooks are stale: run 'go run ./notebooks/gen' and commit the result" >&2
	exit 1
fi

failed=()
for id in "${ids[@]}"; do
	doing="executing notebook $id"
	echo "run.sh: $id (profile $CBRNN_PROFILE${CBRNN_JOBS:+, jobs $CBRNN_JOBS})"
	# Debian's Python prints debugger warnings about frozen modules; the
	# kernel logs to stderr: both go to the log, the verdict to stdout
	# (execute.py says itself, on stderr, if it was interrupted).
	rc=0
	PYDEVD_DISABLE_FILE_VALIDATION=1 CBRNN_QUIET_INTERRUPT=1 /usr/bin/python3 -Xfrozen_modules=off "$root/notebooks/execute.py" \
		--kernel gonb --timeout "${CBRNN_NB_TIMEOUT:-172800}" \
		"$root/notebooks/$id.ipynb" "$out" 2>"$out/$id.log" || rc=$?
	[ "$rc" = 130 ] && interrupted "$doing"
	if [ "$rc" != 0 ]; then
		echo "run.sh: notebook $id FAILED (executed copy: $out/$id.ipynb, kernel log: $out/$id.log)" >&2
		failed+=("$id")
		[ "$keep_going" = 1 ] || exit 1
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "run.sh: FAILED notebooks: ${failed[*]}" >&2
	exit 1
fi
