package experiments

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/trainer"
)

// Options choose where and how experiments run; the zero value means the
// quick profile, the repository found from the working directory, one job,
// the default backend, and progress on stderr.
type Options struct {
	Profile string
	Root    string // repository root; "" = $CBRNN_ROOT, else found from the working directory
	// Out is where runs/, figures/ and paper/results.md go; "" = $CBRNN_OUT,
	// else Root.
	Out      string
	Jobs     int
	Progress io.Writer
	// TaskPath overrides where task plugins are found (default: Root/taskplugins/bin).
	TaskPath string
	// BatchTimeout bounds one task plugin request (0: host.Options' default).
	BatchTimeout time.Duration
	// Accept lets cached runs be reused, and interrupted ones resumed,
	// despite a changed task plugin or numerics; the environment variables
	// CBRNN_ACCEPT_PLUGIN_CHANGE=1 and CBRNN_ACCEPT_NUMERICS_CHANGE=1 set it
	// too (for notebooks).
	Accept trainer.Accept
}

// Open starts an Env: the compute backend (said once, with why) and the
// task plugin host. Close it to stop the plugins.
func Open(ctx context.Context, opt Options) (*Env, error) {
	root, err := FindRoot(opt.Root)
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
	out := opt.Out
	if out == "" {
		out = os.Getenv("CBRNN_OUT")
	}
	if out != "" {
		if out, err = filepath.Abs(out); err != nil {
			return nil, err
		}
	}
	acc := opt.Accept
	acc.PluginChange = acc.PluginChange || os.Getenv("CBRNN_ACCEPT_PLUGIN_CHANGE") == "1"
	acc.NumericsChange = acc.NumericsChange || os.Getenv("CBRNN_ACCEPT_NUMERICS_CHANGE") == "1"
	return &Env{Root: root, Out: out, Backend: backend, Source: h, Jobs: opt.Jobs, Progress: opt.Progress, Accept: acc, closer: h}, nil
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
	case os.Getenv(host.PathEnv) != "":
		return os.Getenv(host.PathEnv)
	case root != "":
		return filepath.Join(root, host.DefaultDir)
	}
	return host.DefaultPath()
}

// Close stops the task plugins.
func (e *Env) Close() error {
	if e.closer != nil {
		return e.closer.Close()
	}
	return nil
}

// FindRoot returns dir if given, else the nearest directory upwards from the
// working directory that holds this module's go.mod.
func FindRoot(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	if r := os.Getenv("CBRNN_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	starts := []string{wd}
	// A built binary (bin/cbrnn) also finds the repository it was built in.
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && containsModule(b) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("cannot find the cbrnn repository above %s (set CBRNN_ROOT)", wd)
}

func containsModule(gomod []byte) bool {
	const want = "module github.com/cbrnn/cbrnn\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}
