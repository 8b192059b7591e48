#!/usr/bin/env bash
# reproduce.sh — regenerate every figure of the paper, and paper/results.md,
# on a fresh machine.
#
#   ./reproduce.sh [--profile smoke|quick|standard|paper] [--jobs N] [--backend go|xla:…] [--out DIR] [--no-notebooks]
#   ./reproduce.sh --slurm [--profile …] [--out DIR] [--no-notebooks] [--wait] [--dry-run]
#                  [--partition P] [--time T] [--cpus-per-task N] [--gpus N] [--account A] [--qos Q]
#                  [--sbatch-arg ARG]… [--costs FILE] [--slurm-dir DIR] [--backend B]
#
#   Every option that takes a value takes it as `--opt VALUE` or `--opt=VALUE`;
#   --sbatch-arg's value is an sbatch option: --sbatch-arg --mem=8G or
#   --sbatch-arg=--mem=8G.
#
#   --profile  smoke: minutes (CI) · quick (default): under an hour on 2 cores,
#              the paper's qualitative findings · standard: overnight on 2
#              cores (under 3 hours), n = 8 per Table 4 group and a budget at
#              which Periodic-core refreshes its core; its figures and report
#              go to figures/standard/ and paper/standard/ (and its executed
#              notebooks to notebooks/standard/) unless --out is given ·
#              paper: METHODS §3 exactly (GPU)
#   --jobs     ensembles trained at once (default: one per core on the Go
#              backend, up to the ensembles to train; 1 on a GPU). On the Go
#              backend they share the cores: an ensemble spreads its members
#              over single-threaded executors on its share (⌊cores/jobs⌋),
#              and those still running take the cores the others free.
#              A run's numbers do not depend on it.
#   --backend  GOMLX_BACKEND for training: go (default), xla:cuda, or
#              xla:/abs/path/xla_cuda_plugin.so (builds bin/cbrnn with -tags xla)
#   --out      write runs/, figures/, paper/results.md and the executed
#              notebooks under DIR instead of the repository (the smoke test
#              uses a scratch folder)
#   --slurm    on a cluster: submit the training as one Slurm job array (one
#              ensemble per task) and a job, after it, that draws the figures,
#              writes paper/results.md and executes the notebooks; the other
#              options are `cbrnn figures --slurm`'s (README "On a cluster");
#              --backend is then the array tasks' GOMLX_BACKEND. Without
#              --wait the script returns once the jobs are submitted.
#
# Ctrl-C stops it with exit status 130 and one line saying which step was
# interrupted; rerunning the same command resumes (finished runs are cached).
#
# Steps: install what is missing (Jupyter, GoNB, the kernel) → build the CLI
# and the task plugins → train every run the figures need (cached in runs/
# by config hash: a rerun skips finished runs and resumes interrupted ones)
# and draw the figures → execute every notebook headlessly through Jupyter
# and GoNB (each recomputes its figure from the cached runs; any cell error
# fails the script) and write it back with its outputs, into notebooks/ (to
# be committed) or DIR/notebooks with --out, with the thumbnails of
# notebooks/README.md → list what was produced.
set -Eeuo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

usage_error() { echo "reproduce.sh: $*" >&2; exit 2; }
# value FLAG WHAT "$@": the value after FLAG, or a clear error if there is
# none. A value that starts with "--" is taken for a forgotten value before
# the next option, except when given as FLAG=VALUE or to --sbatch-arg
# (whose values are sbatch options: --sbatch-arg --mem=8G).
value() {
	local flag="$1" what="$2"
	shift 2
	[ $# -ge 2 ] && [ -n "$2" ] || usage_error "$flag needs a value: $what (see --help)"
	if [ "$joined" = 0 ] && [ "$flag" != --sbatch-arg ] && [ "${2#--}" != "$2" ]; then
		usage_error "$flag needs a value: $what (see --help)"
	fi
	printf '%s' "$2"
}
# novalue FLAG: FLAG is a switch; FLAG=VALUE is an error.
novalue() { [ "$joined" = 0 ] || usage_error "$1 takes no value (see --help)"; }
profile=quick jobs=0 backend="" out="" notebooks=1 slurm=0 gpus=0
slurm_args=()
while [ $# -gt 0 ]; do
	# --flag=value is --flag value (for every option that takes a value).
	joined=0
	case "$1" in
	--*=*) joined=1; set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	esac
	case "$1" in
	--profile) profile="$(value --profile "smoke, quick, standard or paper" "$@")" || exit; shift 2 ;;
	--jobs) jobs="$(value --jobs "0 (automatic) or a number of ensembles trained at once" "$@")" || exit; shift 2 ;;
	--backend) backend="$(value --backend "go, xla:cuda or xla:/abs/path/xla_cuda_plugin.so" "$@")" || exit; shift 2 ;;
	--out) out="$(value --out "a folder" "$@")" || exit; shift 2 ;;
	--no-notebooks) novalue "$1"; notebooks=0; shift ;;
	--slurm) novalue "$1"; slurm=1; shift ;;
	--wait | --dry-run) novalue "$1"; slurm_args+=("$1"); shift ;;
	--gpus) gpus="$(value --gpus "GPUs per array task" "$@")" || exit; slurm_args+=("$1=$gpus"); shift 2 ;;
	--partition | --time | --cpus-per-task | --account | --qos | --sbatch-arg | --costs | --slurm-dir | --figures-time)
		v="$(value "$1" "see README \"On a cluster\"" "$@")" || exit; slurm_args+=("$1=$v"); shift 2 ;;
	-h | --help) novalue "$1"; sed -n '2,/^set -E/p' "$0" | sed '$d'; exit 0 ;;
	*) usage_error "unknown argument $1 (see --help)" ;;
	esac
done
case "$profile" in smoke | quick | standard | paper) ;; *) usage_error "unknown profile $profile (smoke, quick, standard or paper)" ;; esac
# A profile with its own folder (experiments.Profile.Dir: standard) writes
# its figures, report and executed notebooks into figures/<dir>/,
# paper/<dir>/ and notebooks/<dir>/ of the repository, next to quick's
# committed ones; with --out DIR the layout under DIR stays flat.
sub=""
case "$profile" in standard) sub=standard ;; esac
case "$jobs" in
'' | *[!0-9]*) usage_error "--jobs $jobs: want 0 (automatic: one per core on the Go backend, 1 on a GPU) or a positive number of ensembles trained at once" ;;
esac
if [ "$slurm" = 0 ] && [ ${#slurm_args[@]} -gt 0 ]; then
	usage_error "${slurm_args[*]} only go with --slurm"
fi

# Ctrl-C reaches every process of the job; the ones this script starts
# stop quietly (CBRNN_QUIET_INTERRUPT) with status 130, and this script
# says, in one line, what was interrupted.
export CBRNN_QUIET_INTERRUPT=1
step="starting"
interrupted=0
trap 'interrupted=1; exit 130' INT TERM
# Each invocation that trains appends a line to a ledger beside the run
# cache when it starts and one when it ends (start, end, how it ended,
# cores), so that a reproduction resumed after an interruption reports the
# sum of its invocations (cbrnn wall; a killed one is told by its start
# line alone).
ledger=""
recorded=0
on_exit() {
	local rc=$? how=failed
	if [ "$rc" = 130 ] || [ "$interrupted" = 1 ]; then
		how=interrupted
		echo "reproduce.sh: interrupted during $step; finished runs are kept in ${CBRNN_OUT:-$root}/runs, and rerunning the same command resumes" >&2
	fi
	if [ -n "$ledger" ] && [ "$recorded" = 0 ]; then
		printf '%s %s %s %s\n' "$start" "$(date +%s)" "$how" "$(nproc)" >>"$ledger"
	fi
}
trap on_exit EXIT

start=$(date +%s)
stamp() { local s=$(($(date +%s) - start)); step="$*"; printf '[%02d:%02d:%02d] %s\n' $((s / 3600)) $((s % 3600 / 60)) $((s % 60)) "$*"; }
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
# GoMLX's SIMD matmul kernels (Go's simd experiment): about 2.4× faster training.
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"

stamp "setup: Jupyter, GoNB, kernel (skipped when present)"
scripts/setup.sh
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"

tags=""
if [ "$slurm" = 1 ]; then
	# The jobs train on $backend; this process only plans (Go backend).
	[ -n "$backend" ] && slurm_args+=("--backend=$backend")
	case "$backend" in xla:*) tags=xla ;; "") [ "$gpus" != 0 ] && tags=xla ;; esac
elif [ -n "$backend" ]; then
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
if [ "$slurm" = 1 ]; then
	[ "$notebooks" = 1 ] || slurm_args+=(--no-notebooks)
	stamp "slurm: plan profile $profile and submit it${slurm_args[*]:+ (${slurm_args[*]})}"
	bin/cbrnn figures --profile "$profile" --slurm ${slurm_args[@]+"${slurm_args[@]}"}
	dest="${CBRNN_OUT:-$root}"
	[ "$dest" = "$root" ] || sub=""
	case " ${slurm_args[*]-} " in
	*" --wait "*)
		stamp "done in $(($(date +%s) - start)) s. Produced:"
		ls -1 "$dest"/figures/${sub:+$sub/}*.png "$dest"/paper/${sub:+$sub/}results.md | sed "s#^$root/##; s#^#  #" ;;
	*" --dry-run "*) stamp "dry run: nothing submitted" ;;
	*) stamp "submitted; follow it with: bin/cbrnn status --profile $profile" ;;
	esac
	exit 0
fi
ledger="${CBRNN_OUT:-$root}/.cache/reproduce-$profile.wall"
mkdir -p "$(dirname "$ledger")"
printf '%s - running %s\n' "$start" "$(nproc)" >>"$ledger"
stamp "train and draw: profile $profile, jobs: $([ "$jobs" = 0 ] && echo auto || echo "$jobs")"
bin/cbrnn figures --profile "$profile" --jobs "$jobs" >/dev/null

nb_s=0
if [ "$notebooks" = 1 ]; then
	nb_start=$(date +%s)
	# The executed notebooks, with their outputs, go back into notebooks/
	# (to be committed) or DIR/notebooks with --out.
	nbdir="${CBRNN_OUT:-$root}/notebooks"
	[ "${CBRNN_OUT:-$root}" != "$root" ] || nbdir="$nbdir${sub:+/$sub}"
	stamp "notebooks: executing every notebook through Jupyter + GoNB, outputs into ${nbdir#"$root"/}"
	CBRNN_PROFILE="$profile" CBRNN_JOBS="$jobs" CBRNN_SKIP_SETUP=1 \
		CBRNN_NB_OUT="${CBRNN_OUT:-$root/notebooks}/.out" notebooks/run.sh --write "$nbdir"
	nb_s=$(($(date +%s) - nb_start))
fi

# The report's first lines: this reproduction's wall time, summed over the
# invocations it resumed from.
bin/cbrnn wall --profile "$profile" --ledger "$ledger" --start "$start" --notebooks-s "$nb_s" --cores "$(nproc)"
printf '%s %s done %s\n' "$start" "$(date +%s)" "$(nproc)" >>"$ledger"
recorded=1

dest="${CBRNN_OUT:-$root}"
[ "$dest" = "$root" ] || sub=""
stamp "done in $(($(date +%s) - start)) s. Produced:"
ls -1 "$dest"/figures/${sub:+$sub/}*.png "$dest"/paper/${sub:+$sub/}results.md | sed "s#^$root/##; s#^#  #"
[ "$notebooks" = 0 ] || ls -1 "$dest"/notebooks/${sub:+$sub/}*.ipynb | sed "s#^$root/##; s#^#  #"
