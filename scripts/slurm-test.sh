#!/usr/bin/env bash
# slurm-test.sh — the smoke profile through a real Slurm cluster (what
# `make slurm-test`, and so `make test` and .ci/run, run).
#
#   scripts/slurm-test.sh [LOCAL_SMOKE_DIR]
#
# Installs slurm-wlm if missing (scripts/setup.sh --with-slurm), starts a
# single-node cluster in a temporary folder (scripts/slurm-cluster.sh), runs
# the Go test TestSmokeOnSlurm (internal/slurm/cluster_test.go): it runs
# `./reproduce.sh --slurm --profile smoke --wait` into .cache/slurm-smoke,
# requeues one array task mid-run with `scontrol requeue`, and compares every
# run with the local smoke reproduction in LOCAL_SMOKE_DIR (default
# .cache/smoke, written by `make smoke`; without it the test trains one).
# The daemons it started are stopped, by their PIDs, however it ends.
set -Eeuo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
local_smoke="${1:-.cache/smoke}"
[ -d "$local_smoke" ] && local_smoke="$(cd "$local_smoke" && pwd)"

scripts/setup.sh --with-slurm
cluster="$(mktemp -d "${TMPDIR:-/tmp}/cbrnn-slurm.XXXXXX")"
trap 'scripts/slurm-cluster.sh stop "$cluster"; rm -rf "$cluster"' EXIT
eval "$(scripts/slurm-cluster.sh start "$cluster")"
export SLURM_CONF
[ -d "$local_smoke/runs" ] && export CBRNN_LOCAL_SMOKE="$local_smoke"
go build -o bin/cbrnn ./cmd/cbrnn
CBRNN_SLURM_TEST=1 go test -count=1 -timeout 15m -run '^TestSmokeOnSlurm$' -v ./internal/slurm
