//go:build !linux

package rundir

// LockHeld cannot tell, outside Linux, whether a run's lock is held without
// taking it: known is always false.
func (d *Dir) LockHeld() (held, known bool) { return false, false }
