package host

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cbrnn/cbrnn/internal/suggest"

	"github.com/hashicorp/go-hclog"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Options configures a Host; the zero value is usable.
type Options struct {
	// Path lists plugin directories (os.PathListSeparator-separated). Empty
	// means $CBRNN_TASK_PATH, else the first taskplugins/bin found from the
	// working directory upwards (so notebooks and tests in subdirectories
	// find the repository's plugins).
	Path string
	// Timeout bounds one request's service time: a plugin with requests
	// waiting that delivers no batch for this long is killed (and restarted
	// on the next request). Time a request spends queued behind others in
	// a plugin that serves one at a time does not count. Zero means
	// $CBRNN_BATCH_TIMEOUT, else the plugin's entry in its manifest's
	// batch_timeouts, else DefaultTimeout.
	Timeout time.Duration
	// StartTimeout bounds launch, handshake and Describe; default 20 s.
	StartTimeout time.Duration
	// MaxRestarts caps crash restarts per plugin over the host's life
	// (a request is retried after at most one); default 3, negative none.
	MaxRestarts int
	// Logger receives go-plugin's logs; default: errors only, to stderr,
	// so training output stays readable.
	Logger hclog.Logger
	// Warnings receives warnings about the plugin folders (one that anyone
	// may write to); default os.Stderr.
	Warnings io.Writer
}

// Plugin is a binary found on the path.
type Plugin struct {
	Name string // the file name, which is the task's name
	Path string
	// Err is non-nil when the binary will be refused (ErrUnverified).
	Err error
}

// Host launches and talks to task plugins. It is safe for concurrent use.
type Host struct {
	opts       Options
	envTimeout time.Duration // from TimeoutEnv
	dirs       []string
	logger     hclog.Logger
	entries    map[string]*entry
	closed     atomic.Bool
	closeOnce  sync.Once
	stop       func() bool // stops the context watcher

	privMu  sync.Mutex
	private *privateDir // made at the first launch
}

var _ task.Source = (*Host)(nil)

// entry is one plugin binary and its (at most one) running process.
type entry struct {
	Plugin
	sum     []byte        // expected SHA-256
	timeout time.Duration // longest service time of one request

	mu       sync.Mutex
	staged   string // the verified private copy that runs
	proc     *proc
	desc     *task.Description
	restarts int
}

// Open finds the plugins; it launches nothing, but ends what dead hosts
// left behind (see cleanStale). When ctx is cancelled the
// host closes itself, killing every plugin (cbrnn's main cancels its context
// on Ctrl-C and SIGTERM).
func Open(ctx context.Context, opts Options) (*Host, error) {
	var envTimeout time.Duration
	if v := os.Getenv(TimeoutEnv); v != "" && opts.Timeout <= 0 {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("task plugins: %s=%q is not a positive duration such as 30s", TimeoutEnv, v)
		}
		envTimeout = d
	}
	if opts.Warnings == nil {
		opts.Warnings = os.Stderr
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = 3
	}
	if opts.Path == "" {
		opts.Path = DefaultPath()
	}
	h := &Host{opts: opts, envTimeout: envTimeout, logger: opts.Logger, entries: map[string]*entry{}}
	if h.logger == nil {
		h.logger = hclog.New(&hclog.LoggerOptions{Name: "taskplugins", Level: hclog.Error, Output: os.Stderr})
	}
	for _, d := range filepath.SplitList(opts.Path) {
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		h.dirs = append(h.dirs, abs)
		if err := h.scan(abs); err != nil {
			return nil, err
		}
	}
	cleanStaleHosts()
	if ctx != nil {
		h.stop = context.AfterFunc(ctx, func() { h.Close() })
	}
	return h, nil
}

func (h *Host) lookup(name string) (*entry, error) {
	if h.closed.Load() {
		return nil, &Error{Plugin: name, Path: "-", Kind: ErrClosed}
	}
	e, ok := h.entries[name]
	if !ok {
		names := make([]string, 0, len(h.entries))
		for n := range h.entries {
			names = append(names, n)
		}
		sort.Strings(names)
		where := strings.Join(h.dirs, string(os.PathListSeparator))
		err := fmt.Errorf("%w; the task plugins are in %s", suggest.Unknown("task", name, names), where)
		if len(names) == 0 {
			err = fmt.Errorf("no task plugins in %s: build them with `make plugins` (taskplugins/build.sh) or point %s at them", where, PathEnv)
		}
		return nil, &Error{Plugin: name, Path: where, Kind: ErrNotFound, Err: err}
	}
	return e, nil
}

func (e *entry) fail(r *task.Request, kind, err error) *Error {
	return &Error{Plugin: e.Name, Path: e.Path, Request: r, Kind: kind, Err: err}
}

// Describe returns the task's declaration, launching its plugin if needed.
func (h *Host) Describe(ctx context.Context, name string) (task.Description, error) {
	e, err := h.lookup(name)
	if err != nil {
		return task.Description{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.desc == nil {
		if _, err := h.running(e); err != nil {
			return task.Description{}, err
		}
	}
	return *e.desc, nil
}

// Binary names the binary that serves the task and its SHA-256 as the
// manifest gives it (the host runs only bytes with that hash), for a run
// to record what made its data; ok is false for an unknown or unusable
// plugin.
func (h *Host) Binary(name string) (path, sha256 string, ok bool) {
	e, found := h.entries[name]
	if !found || e.Err != nil || len(e.sum) == 0 {
		return "", "", false
	}
	return e.Path, hex.EncodeToString(e.sum), true
}

// PID is the process id of name's plugin, 0 when it is not running.
func (h *Host) PID(name string) int {
	e, ok := h.entries[name]
	if !ok {
		return 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc == nil || e.proc.client.Exited() {
		return 0
	}
	return e.proc.pid
}

// Close kills every plugin process and waits for them to be reaped. It is
// idempotent; the host cannot be used afterwards.
func (h *Host) Close() error {
	// Every caller waits for the one close: the context watcher may be
	// closing the host while main returns and calls Close on its way out,
	// and the process must not exit with the private folder half removed.
	h.closeOnce.Do(h.close)
	return nil
}

func (h *Host) close() {
	h.closed.Store(true)
	if h.stop != nil {
		h.stop()
	}
	var wg sync.WaitGroup
	for _, e := range h.entries {
		e.mu.Lock()
		p := e.proc
		e.proc = nil
		e.mu.Unlock()
		if p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); kill(p, false) }()
		}
	}
	wg.Wait()
	h.privMu.Lock()
	if h.private != nil {
		h.private.close()
	}
	h.privMu.Unlock()
}
