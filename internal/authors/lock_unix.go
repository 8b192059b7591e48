//go:build unix

package authors

import (
	"os"
	"syscall"
)

// lockFile creates path holding an exclusive flock for as long as the
// process lives or until release. It is locked under a temporary name and
// then renamed into place, so that no one ever sees path unlocked while its
// owner lives.
func lockFile(path string) (release func(), err error) {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return func() { os.Remove(path); f.Close() }, nil
}

// abandoned says whether the lock file at path is held by no one: its
// owner has died (the kernel drops a dead process's flocks), so what it
// guarded may be removed. The lock is kept until release, so that no
// other sweeper races on the same folder.
func abandoned(path string) (release func(), ok bool) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}
