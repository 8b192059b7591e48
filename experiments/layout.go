package experiments

import (
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/trainer"
)

// How the runner spreads ensembles over the machine (issue 14).
//
// Jobs ensembles train at once. On the Go backend the cores are shared
// among them: each starts with ⌊cores/jobs⌋ cores (at least one) and
// spreads its members over that many single-threaded executors
// (gomlx_models.ExecutorsFor; one member gets one backend with those
// threads). When an ensemble finishes and none is waiting, its cores go to
// those still running, which move onto more executors at their next epoch:
// the last ensemble of a plan gets the whole machine instead of one core.
// A run's numbers do not depend on any of this (gomlx_models/exact.go).
// Ensembles start longest first (members × epochs × parameters), so that
// the end of a plan is not one long ensemble alone.
//
// On an accelerator every ensemble runs on the one backend, one at a time
// by default.

// cores is the pool of cores the running ensembles share.
type cores struct {
	mu      sync.Mutex
	free    int // held by no ensemble
	waiting int // ensembles not started yet
}

// start takes an ensemble's first share of the free cores (its share, or
// what is free: with more jobs than cores an ensemble may hold none and
// still run, on one core shared with others).
func (c *cores) start(share int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting--
	n := min(share, c.free)
	c.free -= n
	return n
}

// grow gives a running ensemble that holds `held` cores and could use
// `want` the free ones, once no ensemble is waiting for them.
func (c *cores) grow(held, want int) int {
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
func (c *cores) release(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.free += n
}

// layout returns an ensemble's trainer.Options.Layout on the pool, and a
// function that releases its cores when it is done.
func (c *cores) layout(base compute.Backend, share int) (func(K int) []compute.Backend, func()) {
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
	if !isGoBackend(base) {
		return nil
	}
	f, _ := (&cores{free: numCores(), waiting: 1}).layout(base, numCores())
	return f
}

// isGoBackend reports whether b is GoMLX's Go backend (CPU).
func isGoBackend(b compute.Backend) bool {
	return b != nil && strings.Contains(strings.ToLower(b.Name()), "go")
}

// numCores is the cores the runner may use.
var numCores = runtime.NumCPU

// longestFirst orders ensembles by their cost, largest first: members ×
// epochs × parameters (a step's work is about proportional to the
// parameters).
func longestFirst(chunks [][]trainer.Run) {
	cost := func(ch []trainer.Run) float64 {
		var s float64
		for _, r := range ch {
			s += float64(r.Config.Epochs) * float64(r.Config.Steps+r.Config.TestSteps) * float64(r.Config.Model.Count().Total)
		}
		return s
	}
	sort.SliceStable(chunks, func(i, j int) bool { return cost(chunks[i]) > cost(chunks[j]) })
}
