//go:build linux

package rundir

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// LockHeld reports whether a process on this machine holds the run's lock
// (is training it), without taking the lock: trying it would make a trainer
// starting at that instant fail with "in use". It reads /proc/locks, which
// lists every flock by device and inode; known is false where that cannot
// be read. Processes on other machines of a shared file system are not
// seen.
func (d *Dir) LockHeld() (held, known bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(d.file(LockFile), &st); err != nil {
		return false, os.IsNotExist(err)
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return false, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 2454 fe:00:9978257 0 EOF"
		fields := strings.Fields(sc.Text())
		if len(fields) >= 6 && fields[1] == "FLOCK" && fields[5] == want {
			return true, true
		}
	}
	return false, sc.Err() == nil
}
