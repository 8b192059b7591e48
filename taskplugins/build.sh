#!/usr/bin/env bash
# Builds every task plugin into taskplugins/bin (or the directory given as
# $1) and writes its manifest.json: the SHA-256 of each binary, which the
# host checks before launching anything. `make plugins` runs this.
#
# A plugin is any taskplugins/<name>/ directory with a main.go (the binary is
# named <name>, which must be its task's name), plus the Python example
# (py_parity) when /usr/bin/python3 has grpc. Idempotent and fast when up to
# date: go build reuses its cache and leaves unchanged binaries untouched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${1:-$here/bin}
mkdir -p "$bin"
bin=$(cd "$bin" && pwd)
cd "$root"

pkgs=() names=()
for d in taskplugins/*/; do
  n=$(basename "$d")
  [[ -f $d/main.go ]] || continue
  pkgs+=("./taskplugins/$n")
  names+=("$n")
done
# -buildvcs=false: a plugin's hash is its code's, not the commit's. With
# the revision stamped in, every commit changed every plugin's SHA-256, and
# every cached run then refused to resume or be reused ("task plugin
# changed") though no plugin had changed.
go build -trimpath -buildvcs=false -o "$bin/" "${pkgs[@]}"

py=/usr/bin/python3
if [[ -x $py ]] && "$py" -c 'import grpc, google.protobuf' 2>/dev/null; then
  "$py" taskplugins/python/build_pyz.py "$bin/py_parity"
  names+=(py_parity)
else
  echo "build.sh: $py with grpcio and protobuf not found; skipping the Python example plugin" >&2
  rm -f "$bin/py_parity"
fi

# The manifest lists exactly what was built here: anything else dropped into
# bin/ is refused by the host. A plugin slower than the host's default batch
# timeout (10 s of service time per batch) says so in a one-line file
# batch_timeout in its source folder (a Go duration such as 30s); it goes
# into the manifest's batch_timeouts.
srcdir() { if [[ $1 == py_parity ]]; then echo taskplugins/python; else echo "taskplugins/$1"; fi; }
tmp="$bin/manifest.json.tmp"
{
  printf '{\n  "version": 1,\n  "plugins": {'
  sep=
  for n in $(printf '%s\n' "${names[@]}" | sort); do
    sum=$(sha256sum "$bin/$n" | cut -d' ' -f1)
    printf '%s\n    "%s": "%s"' "$sep" "$n" "$sum"
    sep=,
  done
  printf '\n  }'
  sep=
  for n in $(printf '%s\n' "${names[@]}" | sort); do
    f="$(srcdir "$n")/batch_timeout"
    [[ -f $f ]] || continue
    [[ -z $sep ]] && printf ',\n  "batch_timeouts": {'
    printf '%s\n    "%s": "%s"' "$sep" "$n" "$(tr -d '[:space:]' <"$f")"
    sep=,
  done
  [[ -n $sep ]] && printf '\n  }'
  printf '\n}\n'
} >"$tmp"
mv "$tmp" "$bin/manifest.json"
echo "build.sh: ${#names[@]} task plugins in $bin"
