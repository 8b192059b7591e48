//go:build linux

package rundir

import "testing"

// TestLockHeld sees the lock while Lock holds it and not before or after,
// without ever taking it.
func TestLockHeld(t *testing.T) {
	d, err := Create(t.TempDir(), map[string]int{"seed": 1})
	if err != nil {
		t.Fatal(err)
	}
	if held, known := d.LockHeld(); held || !known {
		t.Fatalf("before Lock: held=%v known=%v, want false, true (no lock file yet)", held, known)
	}
	unlock, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if held, known := d.LockHeld(); !held || !known {
		t.Fatalf("while locked: held=%v known=%v", held, known)
	}
	unlock()
	if held, known := d.LockHeld(); held || !known {
		t.Fatalf("after unlock: held=%v known=%v", held, known)
	}
	// LockHeld did not take the lock: Lock still succeeds.
	unlock, err = d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}
