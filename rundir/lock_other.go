//go:build !unix

package rundir

import "fmt"

// Lock is not available on this platform: run directories are locked with
// flock, which only Unix systems have.
func (d *Dir) Lock() (unlock func(), err error) {
	return nil, fmt.Errorf("run %s: locking run directories is not supported on this platform", d.Path)
}
