package env

import (
	"runtime"
	"strings"
	"sync"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// How ensembles are spread over the machine.
//
// Several ensembles may train at once. On the Go backend the cores are
// shared among them: each starts with its share of the cores (at least one)
// and spreads its members over that many single-threaded executors
// (gomlx_models.ExecutorsFor; one member gets one backend with those
// threads). When an ensemble finishes and none is waiting, its cores go to
// those still running, which move onto more executors at their next epoch:
// the last ensemble of a plan gets the whole machine instead of one core.
// A run's numbers do not depend on any of this (gomlx_models/exact.go).
//
// On an accelerator every ensemble runs on the one backend.

// Cores is the pool of cores the running ensembles share.
type Cores struct {
	mu      sync.Mutex
	free    int // held by no ensemble
	waiting int // ensembles not started yet
}

// NewCores is a pool of every core for the given number of ensembles.
func NewCores(ensembles int) *Cores { return &Cores{free: NumCores(), waiting: ensembles} }

// start takes an ensemble's first share of the free cores (its share, or
// what is free: with more jobs than cores an ensemble may hold none and
// still run, on one core shared with others).
func (c *Cores) start(share int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting--
	n := min(share, c.free)
	c.free -= n
	return n
}

// grow gives a running ensemble that holds `held` cores and could use
// `want` the free ones, once no ensemble is waiting for them.
func (c *Cores) grow(held, want int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting > 0 || want <= held || c.free == 0 {
		return held
	}
	extra := min(want-held, c.free)
	c.free -= extra
	return held + extra
}

// release returns an ensemble's cores.
func (c *Cores) release(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.free += n
}

// Layout starts one ensemble on the pool with share cores, and returns its
// trainer.Options.Layout and a function that releases its cores when it is
// done.
func (c *Cores) Layout(base compute.Backend, share int) (func(K int) []compute.Backend, func()) {
	var mu sync.Mutex
	held := c.start(share)
	made := map[[2]int][]compute.Backend{} // (K, cores) → executors
	f := func(K int) []compute.Backend {
		mu.Lock()
		defer mu.Unlock()
		held = c.grow(held, max(K, 1))
		n := max(1, min(held, K))
		if K <= 1 {
			n = max(1, held) // one member: one backend with every core held
		}
		key := [2]int{min(K, 2), n} // the executors depend on K only through K = 1
		if bs, ok := made[key]; ok {
			return bs
		}
		bs, err := gm.ExecutorsFor(base, K, n)
		if err != nil {
			return nil // the trainer falls back to Options.Backend
		}
		made[key] = bs
		return bs
	}
	return f, func() {
		mu.Lock()
		defer mu.Unlock()
		c.release(held)
		held = 0
	}
}

// WholeMachine is a trainer.Options.Layout that gives one ensemble every
// core (the ensemble of `cbrnn train --seeds N`); nil off the Go backend.
func WholeMachine(base compute.Backend) func(K int) []compute.Backend {
	if !IsGoBackend(base) {
		return nil
	}
	f, _ := NewCores(1).Layout(base, NumCores())
	return f
}

// IsGoBackend reports whether b is GoMLX's Go backend (CPU).
func IsGoBackend(b compute.Backend) bool {
	return b != nil && strings.Contains(strings.ToLower(b.Name()), "go")
}

// NumCores is the cores the ensembles may use.
func NumCores() int { return runtime.NumCPU() }
