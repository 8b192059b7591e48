#!/usr/bin/env bash
# run.sh — execute the GoNB notebooks headlessly.
#
#   notebooks/run.sh [-k] [--write DIR] [name …]
#                names: notebooks in notebooks/, e.g. fig2a explore (default: all of them);
#                a figure id told by a notebook of another name (seed-loss → seed,
#                its metadata.cbrnn.figures) runs that notebook, once
#   -k           keep going after a failing notebook (default: stop at the first)
#   --write DIR  write each executed notebook, normalised so that it can be
#                committed (execute.py --normalise), to DIR/<name>.ipynb and its
#                thumbnail to DIR/thumbs/<name>.png, then check them (nbcheck
#                -outputs). DIR = notebooks commits the outputs (reproduce.sh
#                does); a notebook that fails is never written there.
#
# Environment (passed through to the kernel and the cells):
#   CBRNN_PROFILE     smoke | quick (default) | standard | paper
#   CBRNN_JOBS        concurrent runs, passed to experiments.Env.Jobs (default: unset → 0, the package decides)
#   CBRNN_ROOT        repository root (default: this script's parent folder; always exported)
#   CBRNN_OUT         where runs/ and figures/ are (default: the repository)
#   CBRNN_NB_OUT      where executed copies and kernel logs go (default: notebooks/.out, gitignored)
#   CBRNN_NB_TIMEOUT  per-cell timeout in seconds (default 172800; 0: none)
#   CBRNN_SKIP_SETUP  1: do not call scripts/setup.sh first
#   GOEXPERIMENT      default simd, as make and reproduce.sh build: the kernel
#                     compiles the cells with it (each notebook's first cell
#                     sets it too), so a notebook run computes the same
#                     round-off as the rest (runs record whether they were
#                     trained with SIMD and refuse to be resumed without it)
#
# Ctrl-C stops with exit status 130 and one line saying which notebook was
# interrupted (none with CBRNN_QUIET_INTERRUPT=1, as reproduce.sh sets).
#
# The notebooks are first type-checked against the current packages
# (go run ./notebooks/nbcheck -compile, seconds), then executed with
# nbclient (the engine of `jupyter nbconvert --execute`, via
# notebooks/execute.py) so that a failing notebook is still written, to
# $CBRNN_NB_OUT/<name>.ipynb with the kernel's log in $CBRNN_NB_OUT/<name>.log,
# and the failing cell's own output (compiler errors, panics) is printed.
# Any cell error makes the script exit non-zero, naming the notebook and the
# cell. Without --write the notebooks in notebooks/ are never rewritten.
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep_going=0 write=""
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	-k) keep_going=1; shift ;;
	--write)
		[ $# -ge 2 ] && [ -n "$2" ] || { echo "run.sh: --write needs a folder" >&2; exit 2; }
		write="$2"; shift 2 ;;
	-h | --help) sed -n '2,37p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown flag $1" >&2; exit 2 ;;
	*) names+=("$(basename "${1%.ipynb}")"); shift ;;
	esac
done
if [ ${#names[@]} -eq 0 ]; then
	for f in "$root"/notebooks/*.ipynb; do names+=("$(basename "$f" .ipynb)"); done
fi
# notebookOf names the notebook that claims figure $1 in its
# metadata.cbrnn.figures (none: empty).
notebookOf() {
	python3 - "$root/notebooks" "$1" <<'PY'
import glob, json, os, sys
for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.ipynb"))):
    with open(p) as f:
        figs = json.load(f).get("metadata", {}).get("cbrnn", {}).get("figures", [])
    if sys.argv[2] in figs:
        print(os.path.basename(p)[:-len(".ipynb")])
        break
PY
}
resolved=()
for n in "${names[@]}"; do
	if [ ! -f "$root/notebooks/$n.ipynb" ]; then
		nb="$(notebookOf "$n")"
		[ -n "$nb" ] || { echo "run.sh: no notebook notebooks/$n.ipynb, and none tells figure $n" >&2; exit 2; }
		n="$nb"
	fi
	case " ${resolved[*]-} " in *" $n "*) ;; *) resolved+=("$n") ;; esac
done
names=("${resolved[@]}")

[ "${CBRNN_SKIP_SETUP:-0}" = 1 ] || "$root/scripts/setup.sh"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
# GoMLX's SIMD kernels, as the Makefile and reproduce.sh build: runs record
# it and refuse to resume under other numerics.
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"
export CBRNN_ROOT="${CBRNN_ROOT:-$root}"
export CBRNN_PROFILE="${CBRNN_PROFILE:-quick}"
[ -n "${CBRNN_JOBS:-}" ] && export CBRNN_JOBS
out="${CBRNN_NB_OUT:-$root/notebooks/.out}"
mkdir -p "$out"
[ -z "$write" ] || { mkdir -p "$write/thumbs"; write="$(cd "$write" && pwd)"; }

# interrupted ends the script after Ctrl-C (exit status 130, what a child
# killed by SIGINT, or one that handled it, returns).
interrupted() {
	[ "${CBRNN_QUIET_INTERRUPT:-0}" = 1 ] || echo "run.sh: interrupted while $1; rerunning resumes (runs already trained are cached)" >&2
	exit 130
}
trap 'interrupted "$doing"' INT TERM

paths=()
for n in "${names[@]}"; do paths+=("notebooks/$n.ipynb"); done
doing="type-checking the notebooks"
echo "run.sh: type-checking ${#names[@]} notebook(s) against the current packages"
rc=0
(cd "$root" && go run ./notebooks/nbcheck -compile "${paths[@]}") || rc=$?
[ "$rc" = 130 ] && interrupted "$doing"
if [ "$rc" != 0 ]; then
	echo "run.sh: notebook cells do not compile (see above); nothing was executed" >&2
	exit 1
fi

failed=() written=()
started=$(date +%s)
for n in "${names[@]}"; do
	doing="executing notebook $n"
	echo "run.sh: $n (profile $CBRNN_PROFILE${CBRNN_JOBS:+, jobs $CBRNN_JOBS})"
	# Debian's Python prints debugger warnings about frozen modules; the
	# kernel logs to stderr: both go to the log, the verdict to stdout
	# (execute.py says itself, on stderr, if it was interrupted).
	rc=0
	PYDEVD_DISABLE_FILE_VALIDATION=1 CBRNN_QUIET_INTERRUPT=1 /usr/bin/python3 -Xfrozen_modules=off "$root/notebooks/execute.py" \
		--kernel gonb --timeout "${CBRNN_NB_TIMEOUT:-172800}" ${write:+--normalise} \
		"$root/notebooks/$n.ipynb" "$out" 2>"$out/$n.log" || rc=$?
	[ "$rc" = 130 ] && interrupted "$doing"
	if [ "$rc" != 0 ]; then
		echo "run.sh: notebook $n FAILED (executed copy: $out/$n.ipynb, kernel log: $out/$n.log)" >&2
		failed+=("$n")
		[ "$keep_going" = 1 ] || exit 1
		continue
	fi
	if [ -n "$write" ]; then
		cp "$out/$n.ipynb" "$write/.$n.ipynb.tmp" && mv "$write/.$n.ipynb.tmp" "$write/$n.ipynb"
		written+=("$write/$n.ipynb")
	fi
done
echo "run.sh: ${#names[@]} notebook(s) executed in $(($(date +%s) - started)) s"
if [ ${#written[@]} -gt 0 ]; then
	doing="checking the written notebooks"
	echo "run.sh: checking the written notebooks; thumbnails into $write/thumbs"
	rc=0
	(cd "$root" && go run ./notebooks/nbcheck -outputs -thumbs "$write/thumbs" "${written[@]}") || rc=$?
	[ "$rc" = 130 ] && interrupted "$doing"
	[ "$rc" = 0 ] || failed+=("(nbcheck: the written notebooks)")
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "run.sh: FAILED notebooks: ${failed[*]}" >&2
	exit 1
fi
