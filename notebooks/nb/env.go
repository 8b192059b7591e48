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

	"github.com/cbrnn/cbrnn/figdata"
	"github.com/janpfeifer/gonb/gonbui"
)

// Root is the repository: $CBRNN_ROOT, else found upwards from the working
// directory (GoNB runs cells in the notebook's folder).
func Root() string {
	r, err := figdata.FindRoot("")
	Check(err)
	return r
}

// Out is where runs/, figures/ and the notebooks' caches go: $CBRNN_OUT
// (reproduce.sh --out), else the repository.
func Out() string {
	if o := Must(figdata.FindOut("")); o != "" {
		return o
	}
	return Root()
}

// ProfileName is $CBRNN_PROFILE: smoke (CI, minutes), quick (the default)
// or paper.
func ProfileName() string {
	if p := strings.TrimSpace(os.Getenv(figdata.ProfileVar)); p != "" {
		return p
	}
	return "quick"
}

// Profile is the experiments profile named by $CBRNN_PROFILE.
func Profile() figdata.Profile {
	p, err := figdata.LookupProfile(ProfileName())
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

// JobsVar is the variable Jobs reads (env.JobsVar; a test checks the two
// agree: this package links no GoMLX, env does).
const JobsVar = "CBRNN_JOBS"

// Jobs is $CBRNN_JOBS, the number of ensembles trained at once (0: one per
// core on the Go backend).
func Jobs() int {
	v := strings.TrimSpace(os.Getenv(JobsVar))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		Check(fmt.Errorf("%s=%q: not an integer", JobsVar, v))
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
// holds, such as a compiler's output), runs the OnStop functions (the live
// package's closes its Env so that its plugins end now), and exits.
func stopCell(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	for _, f := range OnStop {
		f()
	}
	os.Exit(1)
}

// OnStop are called, in order, when Check stops a cell in a notebook.
var OnStop []func()
