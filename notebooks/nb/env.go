package nb

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/janpfeifer/gonb/gonbui"

	cbenv "github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/taskplugins/host"
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
		Check(fmt.Errorf("%s=%q: not an integer", cbenv.JobsVar, v))
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
		Check(ensurePlugins(Root(), os.Stdout))
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

// Must returns v, or stops the cell with err (see Check): cells read as
// the science, without error plumbing.
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Check stops the cell if err is not nil. In a notebook it prints the
// error as it is, "error: unknown task "partiy": did you mean parity?
// (known: …)", and ends the cell's program with status 1: a panic would
// bury that line under a goroutine trace. Outside a notebook (tests, go
// run) it panics with err, which a caller may recover.
func Check(err error) {
	if err != nil {
		fail(err)
	}
}

// fail is what Check does with an error; stopCell in a notebook.
var fail = func(err error) { panic(err) }

func init() {
	if gonbui.IsNotebook {
		fail = stopCell
	}
}

// stopCell prints err on one line (plus whatever lines the error itself
// holds, such as a compiler's output), closes the Env so that its plugins
// end now, and exits.
func stopCell(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	if env != nil {
		env.Close()
	}
	os.Exit(1)
}

// ensurePlugins builds the repository's task plugins (taskplugins/build.sh)
// when none are built yet, so that the README's way in (make setup, then
// jupyter notebook) trains at the first cell; $CBRNN_TASK_PATH, when set,
// names plugins built elsewhere and is left to the plugin host.
func ensurePlugins(root string, w io.Writer) error {
	if os.Getenv(host.PathEnv) != "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(root, host.DefaultDir, host.ManifestFile)); err == nil {
		return nil
	}
	fmt.Fprintf(w, "nb: the task plugins are not built yet; building them once (taskplugins/build.sh) …\n")
	cmd := exec.Command(filepath.Join(root, "taskplugins", "build.sh"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the task plugins (taskplugins/build.sh): %w\n%s", err, out)
	}
	return nil
}
