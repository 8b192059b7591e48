//go:build unix

package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// privateEnv marks every plugin process (and, by inheritance, its children)
// with its host's private folder, so that the processes of a host that died
// without cleaning up can be found later.
const privateEnv = "CBRNN_TASK_HOST_DIR"

// privateDir is one host's own folder, where its plugins' sockets, their
// temporary files and the verified copies of their binaries live. It sits
// under $XDG_RUNTIME_DIR/cbrnn-tasks (else $TMPDIR/cbrnn-tasks-UID), is
// readable by its owner only, and is removed on Close. While the host lives
// it holds an flock on the folder's lock file; the kernel drops it when the
// host dies however it dies, which is how a later host tells a stale folder
// (a host killed by SIGKILL, say) from a live one, and cleans it up.
type privateDir struct {
	path string
	lock *os.File
}

const (
	privatePrefix = "host-"
	privateLock   = ".lock"
)

// privateBase returns the folder holding the hosts' private folders,
// creating it (0700) if needed. It must be a folder owned by this user that
// no one else may write to.
func privateBase() (string, error) {
	base := filepath.Join(os.TempDir(), fmt.Sprintf("cbrnn-tasks-%d", os.Getuid()))
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if st, err := os.Stat(rt); err == nil && st.IsDir() {
			base = filepath.Join(rt, "cbrnn-tasks")
		}
	}
	if err := os.Mkdir(base, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("task plugins: private folder: %w", err)
	}
	st, err := os.Lstat(base)
	if err != nil {
		return "", fmt.Errorf("task plugins: private folder: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || (ok && int(sys.Uid) != os.Getuid()) || st.Mode().Perm()&0o022 != 0 {
		return "", fmt.Errorf("task plugins: %s must be a folder of user %d that others cannot write to (it holds the plugins' sockets and verified binaries); remove it", base, os.Getuid())
	}
	return base, nil
}

// cleanStaleHosts cleans up the private folders of dead hosts (making the
// base folder if there is none yet).
func cleanStaleHosts() {
	if base, err := privateBase(); err == nil {
		cleanStale(base)
	}
}

// newPrivateDir cleans up the stale folders of dead hosts and makes this
// host's.
func newPrivateDir() (*privateDir, error) {
	base, err := privateBase()
	if err != nil {
		return nil, err
	}
	cleanStale(base)
	path, err := os.MkdirTemp(base, privatePrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("task plugins: private folder: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(path, privateLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = flock(lock, false)
	}
	if err != nil {
		os.RemoveAll(path)
		return nil, fmt.Errorf("task plugins: private folder: %w", err)
	}
	for _, sub := range []string{"bin", "tmp"} {
		if err := os.Mkdir(filepath.Join(path, sub), 0o700); err != nil {
			lock.Close()
			os.RemoveAll(path)
			return nil, fmt.Errorf("task plugins: private folder: %w", err)
		}
	}
	return &privateDir{path: path, lock: lock}, nil
}

func flock(f *os.File, nonBlocking bool) error {
	how := syscall.LOCK_EX
	if nonBlocking {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// close removes the folder and everything in it, then drops the lock.
func (p *privateDir) close() {
	removeAll(p.path)
	if p.lock != nil {
		p.lock.Close()
	}
}

// removeAll removes a private folder, its lock file last: a removal cut
// short (the process killed meanwhile) leaves a folder whose unlocked lock
// file marks it as stale for the next host.
func removeAll(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != privateLock {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	os.Remove(filepath.Join(dir, privateLock))
	os.Remove(dir)
}

// cleanStale removes the private folders whose host is gone, after ending
// the processes its record names (see sweep) and every process that still
// carries their mark (a plugin's children, which the kernel's parent-death
// signal does not reach). A folder without a lock
// file is a host caught between creating it and locking it, or one that
// died there: it is left alone for a minute.
func cleanStale(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), privatePrefix) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		f, err := os.Open(filepath.Join(dir, privateLock))
		if err != nil {
			if info, ierr := e.Info(); ierr == nil && time.Since(info.ModTime()) > time.Minute {
				sweepRecorded(dir)
				killMarked(dir)
				removeAll(dir)
			}
			continue
		}
		if flock(f, true) != nil { // its host is alive
			f.Close()
			continue
		}
		sweepRecorded(dir)
		killMarked(dir)
		(&privateDir{path: dir, lock: f}).close()
	}
}

// killMarked sends SIGKILL to every process of this user whose environment
// names dir as its host's private folder (Linux /proc; elsewhere nothing).
func killMarked(dir string) {
	mark := privateEnv + "=" + dir
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err != nil || !containsEnv(env, mark) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// containsEnv reports whether the NUL-separated environment env holds the
// entry.
func containsEnv(env []byte, entry string) bool {
	for _, e := range bytes.Split(env, []byte{0}) {
		if string(e) == entry {
			return true
		}
	}
	return false
}

// killGroup ends what is left of a plugin's process group (its children).
func killGroup(pgid int) {
	if pgid > 0 {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
