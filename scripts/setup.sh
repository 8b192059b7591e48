#!/usr/bin/env bash
# setup.sh — install what the notebooks need, idempotently and quietly.
#
#   scripts/setup.sh               Jupyter (Debian packages), GoNB + goimports, the "gonb" kernel
#   scripts/setup.sh --with-torch  also Debian's python3-torch: bench/pytorch_baseline.py and the
#                                  tests against the authors' PyTorch layout (`make test` passes it)
#   scripts/setup.sh --with-slurm  also Debian's slurm-wlm and munge (the test cluster of
#                                  scripts/slurm-cluster.sh, `make slurm-test`)
#
# Prints one line per step that does something; nothing when all is in place.
# Exits non-zero, naming the step, on any failure. Needs root for apt (CI and
# the dev machines run as root). Jupyter is Debian's, on /usr/bin/python3: call
# /usr/bin/jupyter, not whatever `jupyter` is first on PATH. An interrupted
# step (exit status 130) is not reported as a failure: the caller says so.
#
# GoNB and goimports are built from the wrapper module tools/gonb (go.mod and
# go.sum pin their versions): `go install …@version` needs a version-list
# lookup that some module proxies refuse.
set -Eeuo pipefail

step=""
trap 'rc=$?; [ "$rc" = 130 ] && exit 130; echo "setup.sh: FAILED (exit $rc)${step:+ while: $step}" >&2; [ -n "${log:-}" ] && [ -s "$log" ] && tail -n 40 "$log" >&2; exit $rc' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

with_torch=0 with_slurm=0
for a in "$@"; do
	case "$a" in
	--with-torch) with_torch=1 ;;
	--with-slurm) with_slurm=1 ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

say() { echo "setup: $*"; }

# ---- Debian packages -------------------------------------------------------
pkgs=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel jupyter-notebook python3-grpcio python3-protobuf)
[ "$with_torch" = 1 ] && pkgs+=(python3-torch python3-sklearn)
# slurm-wlm brings slurmctld, slurmd, the client commands and munge.
[ "$with_slurm" = 1 ] && pkgs+=(slurm-wlm munge)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step="apt-get install ${missing[*]}"
	say "$step"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$log" 2>&1
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1
fi
step="check /usr/bin/jupyter"
[ -x /usr/bin/jupyter ] || { echo "setup.sh: /usr/bin/jupyter missing after install" >&2; exit 1; }

# ---- Go tools ----------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
	[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
fi
step="find go"
command -v go >/dev/null 2>&1 || { echo "setup.sh: go not found (expected on PATH or /usr/local/go/bin)" >&2; exit 1; }
goroot_bin="$(dirname "$(command -v go)")"
gobin="$(go env GOPATH | cut -d: -f1)/bin"
mkdir -p "$gobin"
export PATH="$gobin:$PATH"

# The pinned version of module $1 in tools/gonb/go.mod.
pinned() { awk -v m="$1" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$root/tools/gonb/go.mod"; }
# The version of module $2 a binary $1 was built from ("" if none).
built() { go version -m "$1" 2>/dev/null | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3; exit }'; }

build_tool() { # binary-name package module
	local bin="$gobin/$1" want
	want="$(pinned "$3")"
	[ -n "$want" ] || { echo "setup.sh: $3 not pinned in tools/gonb/go.mod" >&2; exit 1; }
	if [ "$(built "$bin" "$3")" != "$want" ]; then
		step="build $1 ($3 $want)"
		say "$step"
		GOWORK=off GOFLAGS=-mod=readonly go -C "$root/tools/gonb" build -o "$bin" "$2" >"$log" 2>&1
	fi
}
build_tool gonb github.com/janpfeifer/gonb github.com/janpfeifer/gonb
build_tool goimports golang.org/x/tools/cmd/goimports golang.org/x/tools

# ---- the "gonb" Jupyter kernel -----------------------------------------------
# GoNB installs into $JUPYTER_DATA_DIR or ~/.local/share/jupyter. The kernel's
# PATH gets the Go bin folders in front (jupyter_client substitutes ${PATH}),
# so the kernel finds go and goimports whatever PATH Jupyter starts with.
# gopls (used only for interactive completion) is not built: --force_deps.
# GOFLAGS links every cell's program without symbol table and DWARF: GoNB
# builds each cell as a program, and linking (GoMLX, gonum, gRPC: a 36 MB
# binary) is most of a cell's time; -s -w cuts the link's CPU time by about
# a third (measured: 3.7 → 2.7 s of CPU a cell). Panics keep their stack
# traces (they use the runtime's own tables). It replaces a GOFLAGS of
# Jupyter's environment inside the kernel; %goflags in a cell still wins.
kgoflags="'-ldflags=-s -w'"
kdir="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/gonb"
kpath="$gobin:$goroot_bin:\${PATH}"
kernel_ok() {
	[ -f "$kdir/kernel.json" ] && /usr/bin/python3 - "$kdir/kernel.json" "$gobin/gonb" "$kpath" "$kgoflags" <<'EOF'
import json, sys
k = json.load(open(sys.argv[1]))
env = k.get("env", {})
sys.exit(0 if k["argv"][0] == sys.argv[2] and env.get("PATH") == sys.argv[3] and env.get("GOFLAGS") == sys.argv[4] else 1)
EOF
}
if ! kernel_ok; then
	step="register the gonb Jupyter kernel"
	say "$step"
	"$gobin/gonb" --install --force_deps >"$log" 2>&1 # gopls (completion only) is optional
	/usr/bin/python3 - "$kdir/kernel.json" "$kpath" "$kgoflags" >"$log" 2>&1 <<'EOF'
import json, sys
p = sys.argv[1]
k = json.load(open(p))
k.setdefault("env", {})["PATH"] = sys.argv[2]
k["env"]["GOFLAGS"] = sys.argv[3]
json.dump(k, open(p, "w"), indent=1)
EOF
	kernel_ok || { echo "setup.sh: kernel.json at $kdir not as expected after gonb --install" >&2; exit 1; }
fi
