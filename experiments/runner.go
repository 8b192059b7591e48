package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// Env is where experiments run: env.Env (the repository, the backend, the
// task source) and how the figure layer spreads its runs over them.
type Env struct {
	*env.Env
	// Jobs is how many ensembles train at once; 0 = automatic: one per core
	// on the Go backend (up to the number of ensembles), one on an
	// accelerator. On the Go backend the running ensembles share the cores
	// and spread their members over single-threaded executors (env.Cores).
	Jobs int
	// MaxEnsemble caps how many runs share one graph; 0 = automatic: 8 on
	// the Go backend (its cost grows linearly with the members, so smaller
	// ensembles spread better over the jobs), 64 on an accelerator (where
	// members are nearly free).
	MaxEnsemble int
	// Offline: never train. Ensure fails with an *UnfinishedError when a
	// run is not finished; All then draws the figures whose runs all are and
	// lists the others in paper/results.md. The figures job of a cluster
	// submission is offline: it must not train on one node what a failed
	// array task left.
	Offline bool
	// RunNote, if set, adds a note to each unfinished run that All reports
	// (a cluster submission names the array task and its log).
	RunNote func(runPath string) string
}

// RunsDir is where runs are cached, one directory per config hash.
func (e *Env) RunsDir() string { return filepath.Join(e.OutDir(), "runs") }

// FiguresDir is where figures are written (the default profile's layout;
// FiguresDirOf is a profile's).
func (e *Env) FiguresDir() string { return filepath.Join(e.OutDir(), "figures") }

// ResultsPath is the reproduction report (the default profile's layout;
// ResultsPathOf is a profile's).
func (e *Env) ResultsPath() string { return filepath.Join(e.OutDir(), "paper", "results.md") }

// ProfileSubdir is figdata.ProfileSubdir: p.Dir in the repository itself,
// "" in an output folder of one's own.
func ProfileSubdir(out, root string, p Profile) string { return figdata.ProfileSubdir(out, root, p) }

// FiguresDirOf is where profile p's figures are written: figures/, or
// figures/<p.Dir>/ in the repository (ProfileSubdir).
func (e *Env) FiguresDirOf(p Profile) string {
	return filepath.Join(e.OutDir(), "figures", ProfileSubdir(e.OutDir(), e.Root, p))
}

// ResultsPathOf is profile p's report: paper/results.md, or
// paper/<p.Dir>/results.md in the repository (ProfileSubdir).
func (e *Env) ResultsPathOf(p Profile) string {
	return filepath.Join(e.OutDir(), "paper", ProfileSubdir(e.OutDir(), e.Root, p), "results.md")
}

// RunPath is the cache directory of a config.
func (e *Env) RunPath(c trainer.Config) (string, error) {
	h, err := rundir.Hash(c)
	if err != nil {
		return "", err
	}
	return filepath.Join(e.RunsDir(), c.Task+"-"+c.ModelName+"-"+h), nil
}

// Ensure makes sure every config has a finished run: finished ones are
// reused, interrupted ones resume, missing ones train. Runs of the same
// shape train together as ensembles. It returns the run directories in the
// order of cfgs. With Offline set it trains nothing and fails with an
// *UnfinishedError naming the runs that are not finished.
func (e *Env) Ensure(ctx context.Context, cfgs []trainer.Config) ([]*rundir.Dir, error) {
	if e.Offline {
		return e.finishedOnly(ctx, cfgs)
	}
	dirs := make([]*rundir.Dir, len(cfgs))
	var pending []trainer.Run
	seen := map[string]bool{}
	for i, c := range cfgs {
		p, err := e.RunPath(c)
		if err != nil {
			return nil, err
		}
		d, err := rundir.Create(p, c)
		if err != nil {
			return nil, err
		}
		dirs[i] = d
		done, err := d.Done()
		if err != nil {
			return nil, err
		}
		if done && !seen[p] {
			// A cache hit: reused only if the task plugin is still the one
			// that made the run's data.
			if err := trainer.CheckReuse(ctx, e.Source, d, e.Accept); err != nil {
				return nil, err
			}
		}
		if done || seen[p] {
			seen[p] = true
			continue
		}
		seen[p] = true
		pending = append(pending, trainer.Run{Config: c, Dir: d})
	}
	jobs, maxK := e.parallelism()
	var chunks [][]trainer.Run
	for _, idx := range ensembles(pending, func(r trainer.Run) trainer.Config { return r.Config }, maxK) {
		ch := make([]trainer.Run, len(idx))
		for j, i := range idx {
			ch[j] = pending[i]
		}
		chunks = append(chunks, ch)
	}
	if len(chunks) == 0 {
		return dirs, nil
	}
	longestFirst(chunks)
	if e.Jobs <= 0 && env.IsGoBackend(e.Backend) {
		jobs = min(jobs, len(chunks))
	}
	pool := env.NewCores(len(chunks))
	share := max(1, env.NumCores()/jobs)
	sem := make(chan struct{}, jobs)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, ch := range chunks {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, ch []trainer.Run) {
			defer wg.Done()
			defer func() { <-sem }()
			if e.Progress != nil {
				fmt.Fprintf(e.Progress, "▶ ensemble %d/%d: %d run(s) of %s\n", i+1, len(chunks), len(ch), describe(ch[0].Config))
			}
			var progress io.Writer
			if e.Progress != nil {
				progress = prefixWriter{w: e.Progress, prefix: fmt.Sprintf("[%d/%d] ", i+1, len(chunks))}
			}
			opt := trainer.Options{Backend: e.Backend, Source: e.Source, Progress: progress, Accept: e.Accept}
			if env.IsGoBackend(e.Backend) {
				var release func()
				opt.Layout, release = pool.Layout(e.Backend, share)
				defer release()
			}
			err := trainLocked(ctx, ch, opt)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}(i, ch)
	}
	wg.Wait()
	return dirs, firstErr
}

// longestFirst orders ensembles by their cost, largest first: members ×
// epochs × parameters (a step's work is about proportional to the
// parameters), so that the end of a plan is not one long ensemble alone.
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

// ensembles groups runs into the ensembles that train them: runs that can
// share one graph (compatKey), key by key in sorted order, in their given
// order within a key, at most maxK per ensemble. It returns indices into
// items. Ensure and a cluster plan (Pending) both group with it, so an
// array task trains exactly the ensemble a local run would.
func ensembles[T any](items []T, config func(T) trainer.Config, maxK int) [][]int {
	byKey := map[string][]int{}
	for i, it := range items {
		k := compatKey(config(it))
		byKey[k] = append(byKey[k], i)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out [][]int
	for _, k := range keys {
		idx := byKey[k]
		for len(idx) > 0 {
			n := min(maxK, len(idx))
			out = append(out, idx[:n])
			idx = idx[n:]
		}
	}
	return out
}

func (e *Env) parallelism() (jobs, maxK int) {
	goBackend := env.IsGoBackend(e.Backend)
	jobs, maxK = e.Jobs, e.MaxEnsemble
	if jobs <= 0 {
		jobs = 1
		if goBackend {
			jobs = env.NumCores()
		}
	}
	if maxK <= 0 {
		maxK = 64
		if goBackend {
			maxK = 8
		}
	}
	return jobs, maxK
}

// trainLocked holds every run's lock while training, so two processes never
// write the same run.
func trainLocked(ctx context.Context, rs []trainer.Run, opt trainer.Options) error {
	for _, r := range rs {
		unlock, err := r.Dir.Lock()
		if err != nil {
			return err
		}
		defer unlock()
	}
	return trainer.Train(ctx, rs, opt)
}

// compatKey groups runs that can share one graph: same model config, batch,
// steps per epoch and optimiser.
func compatKey(c trainer.Config) string {
	b, _ := json.Marshal(struct {
		M        any
		B, S, TS int
		O        any
	}{c.Model, c.Batch, c.Steps, c.TestSteps, c.Optim})
	return string(b)
}

func describe(c trainer.Config) string { return c.ModelName + ": " + c.Model.Describe() }

// prefixWriter tags each progress line with its ensemble, so that the lines
// of ensembles training at once can be told apart. Each trainer line is one
// Write.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}
