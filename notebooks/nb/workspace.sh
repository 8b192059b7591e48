#!/usr/bin/env bash
# workspace.sh — join GoNB's scratch module to the cbrnn repository, so that a
# notebook's cells can import github.com/cbrnn/cbrnn/... at the versions in
# the repository's go.mod. A notebook's first cell runs it with GoNB's `!*`
# (in GoNB's scratch directory): it creates go.work there if missing and adds
# the scratch module and the repository to it. Silent on success.
#
# The repository is $CBRNN_ROOT when set (notebooks/run.sh sets it), else the
# parent of this script's notebooks/ folder.
set -euo pipefail
root="${CBRNN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if ! grep -qs '^module github.com/cbrnn/cbrnn$' "$root/go.mod"; then
	echo "workspace.sh: $root is not the cbrnn repository (set CBRNN_ROOT)" >&2
	exit 1
fi
[ -f go.work ] || go work init
go work use . "$root"
