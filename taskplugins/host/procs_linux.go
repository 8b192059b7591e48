package host

// Process-tree sweeps: ending every descendant of a plugin, those that left
// its process group (setsid) or dropped its host's mark from their
// environment included, now or after the host's death.
//
// Why not the alternatives: making the host a child subreaper
// (PR_SET_CHILD_SUBREAPER) is process-wide, so the whole program would
// inherit every orphan of every subprocess it starts, which os/exec never
// reaps (zombies), and it helps nothing once the host itself is dead;
// cgroups need a delegated cgroup v2 hierarchy that ordinary users rarely
// have. So the host walks /proc: the plugin's descendants by parent links
// while the plugin lives, and, for after a SIGKILL, a record of the plugin
// and the descendants it saw (pid, start time, group, session) kept in its
// private folder, which the next host sweeps.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// procStat is what /proc/<pid>/stat says about a process that a sweep
// needs. start (clock ticks after boot) tells a process from a later one
// that reuses its pid.
type procStat struct {
	pid, ppid, pgid, sid int
	start                uint64
}

// readStat parses /proc/<pid>/stat; false if the process is gone.
func readStat(pid int) (procStat, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields after it start after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(raw[i+1:])
	// f[0] is field 3 (state): ppid is field 4, pgrp 5, session 6,
	// starttime 22.
	if len(f) < 20 {
		return procStat{}, false
	}
	s := procStat{pid: pid}
	s.ppid, _ = strconv.Atoi(string(f[1]))
	s.pgid, _ = strconv.Atoi(string(f[2]))
	s.sid, _ = strconv.Atoi(string(f[3]))
	s.start, _ = strconv.ParseUint(string(f[19]), 10, 64)
	return s, true
}

// allStats reads every process's stat.
func allStats() map[int]procStat {
	dirs, _ := os.ReadDir("/proc")
	out := make(map[int]procStat, len(dirs))
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if s, ok := readStat(pid); ok {
			out[pid] = s
		}
	}
	return out
}

// same says whether the process r names is still that process.
func (r procStat) same(snap map[int]procStat) bool {
	s, ok := snap[r.pid]
	return ok && s.start == r.start
}

// scope is what a sweep ends: the live processes among roots and their
// descendants, and the members of the groups and sessions the roots lead.
// A root whose pid now names another process (a start time that differs)
// is ignored; its group or session id then names a reused pid too, and is
// ignored as well. A dead root's group or session can still have members:
// the kernel does not hand out a pid while it is in use as a group or
// session id, so those members are the root's.
func scope(snap map[int]procStat, roots []procStat) map[int]bool {
	self := os.Getpid()
	in := map[int]bool{}
	leaders := map[int]uint64{} // group/session ids led by a root, with the root's start
	for _, r := range roots {
		if r.pid <= 1 {
			continue // not a process (pid 0 is the kernel's group and session)
		}
		s, alive := snap[r.pid]
		if alive && s.start != r.start {
			continue
		}
		leaders[r.pid] = r.start
		if alive {
			in[r.pid] = true
		}
	}
	children := map[int][]int{}
	for pid, s := range snap {
		children[s.ppid] = append(children[s.ppid], pid)
		for _, id := range []int{s.pgid, s.sid} {
			if start, ok := leaders[id]; ok && s.start >= start {
				in[pid] = true
			}
		}
	}
	queue := make([]int, 0, len(in))
	for pid := range in {
		queue = append(queue, pid)
	}
	for len(queue) > 0 {
		pid := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range children[pid] {
			if !in[c] {
				in[c] = true
				queue = append(queue, c)
			}
		}
	}
	delete(in, self)
	delete(in, 1)
	return in
}

// descendants lists root's live descendants (not root itself).
func descendants(root procStat) []procStat {
	snap := allStats()
	if !root.same(snap) {
		return nil
	}
	var out []procStat
	for pid := range scope(snap, []procStat{root}) {
		if pid != root.pid {
			out = append(out, snap[pid])
		}
	}
	return out
}

// sweep ends every process in scope of roots. It stops them first,
// round after round until no new one appears, so that none can fork a
// process the sweep would miss, and then kills them all. except is spared
// (a plugin that is to be shut down gracefully afterwards).
func sweep(roots []procStat, except int) {
	if len(roots) == 0 {
		return
	}
	stopped := map[int]bool{}
	for range 50 {
		snap := allStats()
		fresh := 0
		for pid := range scope(snap, roots) {
			if stopped[pid] || pid == except {
				continue
			}
			syscall.Kill(pid, syscall.SIGSTOP)
			// Between the snapshot and the signal the pid might have been
			// reused: then let the stranger go on.
			if s, ok := readStat(pid); !ok || s.start != snap[pid].start {
				syscall.Kill(pid, syscall.SIGCONT)
				continue
			}
			stopped[pid] = true
			fresh++
		}
		if fresh == 0 {
			break
		}
	}
	for pid := range stopped {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// recordFile, in a host's private folder, lists its plugins and the
// descendants it saw, one "pid start pgid sid" line each, for the next
// host to sweep if this one dies without closing.
const recordFile = "pids"

func writeRecord(dir string, ps []procStat) {
	if len(ps) == 0 {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, recordFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	var b bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&b, "%d %d %d %d\n", p.pid, p.start, p.pgid, p.sid)
	}
	f.Write(b.Bytes())
}

func readRecord(dir string) []procStat {
	f, err := os.Open(filepath.Join(dir, recordFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []procStat
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p procStat
		if n, _ := fmt.Sscanf(sc.Text(), "%d %d %d %d", &p.pid, &p.start, &p.pgid, &p.sid); n == 4 && p.pid > 1 {
			out = append(out, p)
		}
	}
	return out
}

// sweepRecorded ends what the record in a dead host's folder names.
func sweepRecorded(dir string) { sweep(readRecord(dir), 0) }
