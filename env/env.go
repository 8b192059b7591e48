package env

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// Options choose where and how a program runs; the zero value means the
// repository found from the working directory, the default backend and task
// plugins, and progress on stderr.
type Options struct {
	Root string // repository root; "" = $CBRNN_ROOT, else found from the working directory
	// Out is where runs/, figures/ and paper/results.md go; "" = $CBRNN_OUT,
	// else Root.
	Out      string
	Progress io.Writer
	// TaskPath overrides where task plugins are found (see PluginPath).
	TaskPath string
	// BatchTimeout bounds one task plugin request (0: host.Options' default).
	BatchTimeout time.Duration
	// Accept lets cached runs be reused, and interrupted ones resumed,
	// despite a changed task plugin or numerics; $CBRNN_ACCEPT_PLUGIN_CHANGE=1
	// and $CBRNN_ACCEPT_NUMERICS_CHANGE=1 set it too (for notebooks).
	Accept trainer.Accept
}

// Env is where a program runs: the repository, where its outputs go, the
// compute backend and the task source.
type Env struct {
	Root string
	// Out is where runs/, figures/ and paper/results.md are written; ""
	// means Root (OutDir resolves it).
	Out      string
	Backend  compute.Backend
	Source   task.Source
	Progress io.Writer
	// Accept lets runs be resumed or reused despite a changed task plugin
	// or numerics (trainer.ChangedError).
	Accept trainer.Accept

	closer io.Closer // the plugin host, when Open started it
}

// Open starts an Env: the compute backend (said once on Progress, with why:
// GOMLX_BACKEND, SIMD) and the task plugin host. Close it to stop the
// plugins.
func Open(ctx context.Context, opt Options) (*Env, error) {
	root, err := FindRoot(opt.Root)
	if err != nil {
		return nil, err
	}
	out, err := FindOut(opt.Out)
	if err != nil {
		return nil, err
	}
	if opt.Progress == nil {
		opt.Progress = os.Stderr
	}
	backend, why, err := gm.NewBackend()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(opt.Progress, "backend: %s\n", why)
	h, err := host.Open(ctx, host.Options{Path: pluginPath(opt.TaskPath, root), Timeout: opt.BatchTimeout})
	if err != nil {
		return nil, err
	}
	acc := opt.Accept
	acc.PluginChange = acc.PluginChange || os.Getenv(AcceptPluginChangeVar) == "1"
	acc.NumericsChange = acc.NumericsChange || os.Getenv(AcceptNumericsChangeVar) == "1"
	acc.MissingProvenance = acc.MissingProvenance || os.Getenv(AcceptMissingProvenanceVar) == "1"
	return &Env{Root: root, Out: out, Backend: backend, Source: h, Progress: opt.Progress, Accept: acc, closer: h}, nil
}

// Close stops the task plugins.
func (e *Env) Close() error {
	if e.closer != nil {
		return e.closer.Close()
	}
	return nil
}

// OutDir is where runs/, figures/ and paper/results.md go: Out, else Root.
func (e *Env) OutDir() string {
	if e.Out != "" {
		return e.Out
	}
	return e.Root
}

// PluginPath is where task plugins are looked for: path if given, else
// $CBRNN_TASK_PATH, else taskplugins/bin of the repository FindRoot finds
// (from $CBRNN_ROOT, the working directory or the binary), else what
// host.DefaultPath finds. Every command finds plugins this way.
func PluginPath(path string) string {
	root, err := FindRoot("")
	if err != nil {
		root = ""
	}
	return pluginPath(path, root)
}

func pluginPath(path, root string) string {
	switch {
	case path != "":
		return path
	case os.Getenv(TaskPathVar) != "":
		return os.Getenv(TaskPathVar)
	case root != "":
		return filepath.Join(root, host.DefaultDir)
	}
	return host.DefaultPath()
}

// FindOut returns dir if given, else $CBRNN_OUT, as an absolute path; ""
// when neither is set (outputs then go into the repository).
func FindOut(dir string) (string, error) { return figdata.FindOut(dir) }

// FindRoot returns dir if given, else $CBRNN_ROOT, else the nearest
// directory upwards from the working directory, or from the running binary,
// that holds this module's go.mod (figdata.FindRoot: the notebooks find it
// without this package's GoMLX).
func FindRoot(dir string) (string, error) { return figdata.FindRoot(dir) }
