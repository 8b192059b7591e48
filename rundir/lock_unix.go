//go:build unix

package rundir

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// Lock takes an exclusive advisory lock (flock) on the run's lock file, so
// that two processes never train the same run. It fails at once, with an
// error saying the run is in use, if another process (or another Lock in
// this one) holds it. The kernel releases the lock when the process dies,
// however it dies; unlock releases it earlier.
func (d *Dir) Lock() (unlock func(), err error) {
	f, err := os.OpenFile(d.file(LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", d.Path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("run %s is in use by another process", d.Path)
		}
		return nil, fmt.Errorf("run %s: locking %s: %w", d.Path, LockFile, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		})
	}, nil
}
