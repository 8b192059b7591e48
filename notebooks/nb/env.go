package nb

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	cbenv "github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
)

// Root is the repository: $CBRNN_ROOT, else found upwards from the working
// directory (GoNB runs cells in the notebook's folder).
func Root() string {
	r, err := cbenv.FindRoot("")
	Check(err)
	return r
}

// Out is where runs/, figures/ and the notebooks' caches go: $CBRNN_OUT
// (reproduce.sh --out), else the repository.
func Out() string {
	if o := Must(cbenv.FindOut("")); o != "" {
		return o
	}
	return Root()
}

// ProfileName is $CBRNN_PROFILE: smoke (CI, minutes), quick (the default)
// or paper.
func ProfileName() string {
	if p := strings.TrimSpace(os.Getenv(cbenv.ProfileVar)); p != "" {
		return p
	}
	return "quick"
}

// Profile is the experiments profile named by $CBRNN_PROFILE.
func Profile() experiments.Profile {
	p, err := experiments.LookupProfile(ProfileName())
	Check(err)
	return p
}

// Budget picks a size for a notebook's own small experiments: quick under
// the quick and paper profiles, smoke under smoke (CI), so that the same
// cell runs in seconds in CI and shows something worth reading otherwise.
func Budget(quick, smoke int) int {
	if ProfileName() == "smoke" {
		return smoke
	}
	return quick
}

// Jobs is $CBRNN_JOBS, the number of ensembles trained at once (0: one per
// core on the Go backend).
func Jobs() int {
	v := strings.TrimSpace(os.Getenv(cbenv.JobsVar))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		panic(fmt.Sprintf("%s=%q: not an integer", cbenv.JobsVar, v))
	}
	return n
}

var (
	ctxOnce sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
)

// Context is cancelled by Jupyter's interrupt (SIGINT), SIGTERM, or the
// death of the kernel that started the cell (see watchKernel), so a long
// training stops cleanly, keeping every finished epoch.
func Context() context.Context {
	ctxOnce.Do(func() {
		var c context.Context
		c, cancel = context.WithCancel(context.Background())
		ctx, _ = signal.NotifyContext(c, os.Interrupt, syscall.SIGTERM)
	})
	return ctx
}

var (
	envOnce sync.Once
	env     *experiments.Env
	backend string
)

// Env is the notebook's experiments.Env: the repository, $CBRNN_OUT, the
// compute backend, the task plugins and $CBRNN_JOBS; training progress
// shows as one updating line (see Progress). It is opened once per cell and
// closed when the cell's program exits (the plugins die with it).
func Env() *experiments.Env {
	envOnce.Do(func() {
		// Open says which backend it chose; the notebook does not need that
		// line in every cell (Backend returns it).
		var said strings.Builder
		e, err := experiments.Open(Context(), experiments.Options{Root: Root(), Jobs: Jobs(), Progress: &said})
		Check(err)
		backend = strings.TrimSpace(strings.TrimPrefix(said.String(), "backend: "))
		e.Progress = NewProgress("")
		env = e
	})
	return env
}

// Backend says which compute backend Env uses, and why (GOMLX_BACKEND,
// SIMD).
func Backend() string {
	Env()
	return backend
}

// Must returns v, or panics with err: cells read as the science, and a
// failure stops the cell with the error (GoNB shows it).
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Check panics if err is not nil.
func Check(err error) {
	if err != nil {
		panic(err)
	}
}
