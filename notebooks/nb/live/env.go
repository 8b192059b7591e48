package live

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/notebooks/nb"
	"github.com/cbrnn/cbrnn/taskplugins/host"
)

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
		nb.Check(ensurePlugins(nb.Root(), os.Stdout))
		e, err := experiments.Open(nb.Context(), experiments.Options{Root: nb.Root(), Jobs: nb.Jobs(), Progress: &said})
		nb.Check(err)
		backend = strings.TrimSpace(strings.TrimPrefix(said.String(), "backend: "))
		e.Progress = nb.NewProgress("")
		env = e
		nb.OnStop = append(nb.OnStop, func() { e.Close() })
	})
	return env
}

// Backend says which compute backend Env uses, and why (GOMLX_BACKEND,
// SIMD).
func Backend() string {
	Env()
	return backend
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
