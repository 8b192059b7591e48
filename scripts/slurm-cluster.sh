#!/usr/bin/env bash
# slurm-cluster.sh — a real single-node Slurm cluster in a folder, for the
# tests and for trying `cbrnn figures --slurm` on a laptop.
#
#   scripts/slurm-cluster.sh start DIR   start munged, slurmctld and slurmd; print the SLURM_CONF line
#   scripts/slurm-cluster.sh stop DIR    stop the daemons started in DIR, by the PIDs in their pid files
#   scripts/slurm-cluster.sh env DIR     print `export SLURM_CONF=DIR/slurm.conf`
#
# Everything lives under DIR: slurm.conf, a munge key made with dd, munged's
# own socket (so a munged already running on the machine is neither used nor
# disturbed), state and spool folders, pid files and logs. The ports are
# chosen free at start, so two clusters on one machine do not collide. The
# node is this host, with every CPU, in partition `main`. Accounting is off
# (no slurmdbd): `sacct` does not work, `squeue`, `scontrol` and `sbatch` do.
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm
# (scripts/setup.sh --with-slurm installs it).
#
# Seen working (Debian 12, Slurm 22.05): daemons up in about 3 s. Clients
# need SLURM_CONF=DIR/slurm.conf; `eval "$(scripts/slurm-cluster.sh env DIR)"`.
set -Eeuo pipefail

usage() { sed -n '2,20p' "$0"; exit 2; }
[ $# -eq 2 ] || usage
cmd="$1"
mkdir -p "$2"
dir="$(cd "$2" && pwd)"
conf="$dir/slurm.conf"

pid_of() { [ -s "$dir/$1.pid" ] && cat "$dir/$1.pid" || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop() {
	local name pid
	for name in slurmd slurmctld munged; do
		pid="$(pid_of "$name")"
		if alive "$pid"; then
			kill -TERM "$pid"
			for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
			alive "$pid" && kill -KILL "$pid"
			echo "slurm-cluster: stopped $name (pid $pid)"
		fi
		rm -f "$dir/$name.pid"
	done
}

free_port() { # a TCP port nobody listens on, from a random start
	local p=$((20000 + RANDOM % 20000))
	while ss -Hltn "sport = :$p" | grep -q . || ss -Hltn "sport = :$((p + 1))" | grep -q .; do p=$((p + 2)); done
	echo "$p"
}

start() {
	for b in munged slurmctld slurmd sbatch; do
		command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
			{ echo "slurm-cluster: $b not found: install slurm-wlm (scripts/setup.sh --with-slurm)" >&2; exit 1; }
	done
	[ "$(id -u)" = 0 ] || { echo "slurm-cluster: must run as root (slurmd starts jobs as their user)" >&2; exit 1; }
	if alive "$(pid_of slurmctld)"; then
		echo "slurm-cluster: already running in $dir" >&2
		echo "export SLURM_CONF=$conf"
		return
	fi
	stop >/dev/null
	mkdir -p "$dir/state" "$dir/spool" "$dir/log"
	local host cpus port
	host="$(hostname -s)"
	cpus="$(nproc)"
	port="$(free_port)"
	[ -f "$dir/munge.key" ] || { dd if=/dev/urandom bs=1 count=1024 of="$dir/munge.key" 2>/dev/null; chmod 400 "$dir/munge.key"; }
	cat >"$conf" <<EOF
# Written by scripts/slurm-cluster.sh: a single-node cluster on $host.
ClusterName=cbrnn-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Seconds between SIGTERM and SIGKILL when a job is cancelled, requeued or
# preempted: the trainer saves at the next batch boundary within it.
KillWait=30
# Finished jobs stay visible to squeue -t all for this many seconds.
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
	munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
		--pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munged.seed"
	export SLURM_CONF="$conf"
	slurmctld -f "$conf"
	slurmd -f "$conf"
	for _ in $(seq 150); do
		if sinfo -h -o '%T' 2>/dev/null | grep -q '^idle'; then
			echo "slurm-cluster: up in $dir (slurmctld pid $(pid_of slurmctld), slurmd pid $(pid_of slurmd), munged pid $(pid_of munged))" >&2
			echo "export SLURM_CONF=$conf"
			return
		fi
		sleep 0.2
	done
	echo "slurm-cluster: the node did not come up in 30 s; logs in $dir/log:" >&2
	tail -n 20 "$dir"/log/*.log >&2 || true
	stop >&2
	exit 1
}

case "$cmd" in
start) start ;;
stop) stop ;;
env) echo "export SLURM_CONF=$conf" ;;
*) usage ;;
esac
