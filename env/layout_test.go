package env

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

func goBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, _, err := gm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	if !IsGoBackend(b) {
		t.Skipf("backend %s: the core pool is the Go backend's", b.Name())
	}
	return b
}

// TestCoresShared: what --jobs means on the Go backend. Two ensembles on 2
// cores start with one single-threaded executor each; once no ensemble is
// waiting, the one still running takes the core the other freed (two
// executors for its 3 members, then one 2-thread backend for its last);
// with more jobs than cores an ensemble still runs, on a shared core.
func TestCoresShared(t *testing.T) {
	be := goBackend(t)
	pool := &Cores{free: 2, waiting: 3}
	a, releaseA := pool.Layout(be, 1)
	b, releaseB := pool.Layout(be, 1)
	if bs := a(3); len(bs) != 1 || !strings.Contains(bs[0].Description(), "parallelism=1") {
		t.Fatalf("first ensemble with another waiting: %d executors (%s), want 1 single-threaded", len(bs), bs[0].Description())
	}
	if bs := b(3); len(bs) != 1 {
		t.Fatalf("second ensemble: %d executors, want 1", len(bs))
	}
	releaseA()
	if bs := b(3); len(bs) != 1 {
		t.Errorf("a third ensemble is waiting: the freed core is its own, got %d executors", len(bs))
	}
	c, releaseC := pool.Layout(be, 1) // the third starts: nobody waits now
	if bs := c(2); len(bs) != 1 {
		t.Errorf("third ensemble: %d executors, want 1", len(bs))
	}
	releaseB()
	if bs := c(2); len(bs) != 2 {
		t.Errorf("alone on the machine with 2 members: %d executors, want 2", len(bs))
	}
	if bs := c(2); len(bs) != 2 {
		t.Errorf("asked again: %d executors", len(bs))
	}
	if bs := c(1); len(bs) != 1 || !strings.Contains(bs[0].Description(), "parallelism=2") {
		t.Errorf("one member left, 2 cores: %d executors (%s), want one 2-thread backend", len(bs), bs[0].Description())
	}
	releaseC()
	if pool.free != 2 {
		t.Errorf("%d cores free after every ensemble ended, want 2", pool.free)
	}

	over := &Cores{free: 1, waiting: 2}
	x, rx := over.Layout(be, 1)
	y, ry := over.Layout(be, 1)
	if len(x(2)) != 1 || len(y(2)) != 1 {
		t.Error("more jobs than cores: each ensemble runs on one executor")
	}
	rx()
	ry()
	if over.free != 1 {
		t.Errorf("%d cores free after oversubscription, want 1", over.free)
	}
}
