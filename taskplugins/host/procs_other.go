//go:build !linux

package host

// Without /proc a plugin's descendants cannot be listed: only its process
// group is ended (killGroup).

type procStat struct {
	pid, ppid, pgid, sid int
	start                uint64
}

func readStat(int) (procStat, bool)   { return procStat{}, false }
func descendants(procStat) []procStat { return nil }
func sweep([]procStat, int)           {}
func writeRecord(string, []procStat)  {}
func sweepRecorded(string)            {}
