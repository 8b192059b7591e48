// Package host runs task plugins for the trainer and the CLI: it finds the
// binaries, checks them against the build's SHA-256 manifest, launches each
// lazily (one process per task, reused), validates every batch, restarts a
// crashed plugin once, and kills every child on Close, on cancellation of
// the context given to Open, and (through the kernel) when the host process
// dies. It implements task.Source, the trainer's only view of tasks.
package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cbrnn/cbrnn/taskplugins/internal/wire"
	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// PathEnv overrides where plugins are looked for: a list of directories
// separated by os.PathListSeparator, each with its own manifest.json.
const PathEnv = "CBRNN_TASK_PATH"

// DefaultDir is where `make plugins` puts the binaries, relative to the
// repository root.
const DefaultDir = "taskplugins/bin"

// Options configures a Host; the zero value is usable.
type Options struct {
	// Path lists plugin directories (os.PathListSeparator-separated). Empty
	// means $CBRNN_TASK_PATH, else the first taskplugins/bin found from the
	// working directory upwards (so notebooks and tests in subdirectories
	// find the repository's plugins).
	Path string
	// Timeout bounds one Batch call; default 10 s. A plugin that does not
	// answer in time is killed (and restarted on the next request).
	Timeout time.Duration
	// StartTimeout bounds launch, handshake and Describe; default 20 s.
	StartTimeout time.Duration
	// MaxRestarts caps crash restarts per plugin over the host's life
	// (a request is retried after at most one); default 3, negative none.
	MaxRestarts int
	// Logger receives go-plugin's logs; default: errors only, to stderr,
	// so training output stays readable.
	Logger hclog.Logger
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
	opts    Options
	dirs    []string
	logger  hclog.Logger
	entries map[string]*entry
	closed  atomic.Bool
	stop    func() bool // stops the context watcher
}

var _ task.Source = (*Host)(nil)

// entry is one plugin binary and its (at most one) running process.
type entry struct {
	Plugin
	sum []byte // expected SHA-256

	mu       sync.Mutex
	proc     *proc
	desc     *task.Description
	restarts int
}

// proc is one running plugin process.
type proc struct {
	client *plugin.Client
	stub   taskpb.TaskProviderClient
	cmd    *exec.Cmd
	stderr *tail
	pid    int
}

// Open finds the plugins; it launches nothing. When ctx is cancelled the
// host closes itself, killing every plugin (cbrnn's main cancels its context
// on Ctrl-C and SIGTERM).
func Open(ctx context.Context, opts Options) (*Host, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
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
	h := &Host{opts: opts, logger: opts.Logger, entries: map[string]*entry{}}
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
	if ctx != nil {
		h.stop = context.AfterFunc(ctx, func() { h.Close() })
	}
	return h, nil
}

// DefaultPath is the plugin path used when Options.Path is empty.
func DefaultPath() string {
	if p := os.Getenv(PathEnv); p != "" {
		return p
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			c := filepath.Join(dir, DefaultDir)
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return DefaultDir
}

// scan adds the executables of dir; earlier directories win.
func (h *Host) scan(dir string) error {
	files, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("task plugins: %w", err)
	}
	m, merr := ReadManifest(dir)
	for _, f := range files {
		name := f.Name()
		if strings.HasPrefix(name, ".") || name == ManifestFile || strings.HasSuffix(name, ".tmp") {
			continue
		}
		if _, dup := h.entries[name]; dup {
			continue
		}
		info, err := f.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
			continue
		}
		e := &entry{Plugin: Plugin{Name: name, Path: filepath.Join(dir, name)}}
		switch {
		case merr != nil:
			e.Err = e.fail(nil, ErrUnverified, fmt.Errorf("no usable manifest in %s (%v); rebuild with `make plugins`", dir, merr))
		case m.Plugins[name] == "":
			e.Err = e.fail(nil, ErrUnverified, fmt.Errorf("%s is not listed in %s, so it was not built by `make plugins`; rebuild with `make plugins` (taskplugins/build.sh)",
				e.Path, filepath.Join(dir, ManifestFile)))
		default:
			sum, err := hex.DecodeString(m.Plugins[name])
			if err != nil || len(sum) != sha256.Size {
				e.Err = e.fail(nil, ErrUnverified, fmt.Errorf("bad SHA-256 for %s in %s; rebuild with `make plugins`", name, filepath.Join(dir, ManifestFile)))
			}
			e.sum = sum
		}
		h.entries[name] = e
	}
	return nil
}

// Plugins lists the binaries found, sorted by name.
func (h *Host) Plugins() []Plugin {
	out := make([]Plugin, 0, len(h.entries))
	for _, e := range h.entries {
		out = append(out, e.Plugin)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
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
		return nil, &Error{Plugin: name, Path: strings.Join(h.dirs, string(os.PathListSeparator)), Kind: ErrNotFound,
			Err: fmt.Errorf("found %v; build the plugins with `make plugins` or point %s at them", names, PathEnv)}
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

// Batch fetches one batch and validates it against the declaration: shape,
// finite values, label ranges, T within the bounds for N.
func (h *Host) Batch(ctx context.Context, r task.Request) (*task.Batch, error) {
	desc, err := h.Describe(ctx, r.Task)
	if err != nil {
		return nil, withRequest(err, r)
	}
	e := h.entries[r.Task]
	if err := desc.CheckRequest(r); err != nil {
		return nil, e.fail(&r, ErrBadRequest, err)
	}
	req, err := wire.RequestToProto(r)
	if err != nil {
		return nil, e.fail(&r, ErrBadRequest, err)
	}
	retried := false
	for {
		e.mu.Lock()
		p, err := h.running(e)
		e.mu.Unlock()
		if err != nil {
			return nil, withRequest(err, r)
		}
		cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
		resp, err := p.stub.Batch(cctx, req)
		timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			b, err := wire.BatchFromProto(resp)
			if err == nil {
				err = b.Validate(desc, r)
			}
			if err != nil {
				return nil, e.fail(&r, ErrMalformed, err)
			}
			return b, nil
		case ctx.Err() != nil:
			// The caller gave up; the plugin is not at fault.
			return nil, fmt.Errorf("%v: %w", r, ctx.Err())
		case timedOut:
			h.discard(e, p, true)
			return nil, e.fail(&r, ErrTimeout, fmt.Errorf("no answer within %v; killed pid %d (the next request starts a fresh process)", h.opts.Timeout, p.pid))
		case p.dead(err):
			detail := p.exitDetail()
			if !retried && h.restart(e, p) {
				retried = true
				h.logger.Warn("task plugin crashed, restarting", "plugin", e.Name, "request", r.String(), "exit", detail)
				continue
			}
			return nil, e.fail(&r, ErrCrashed, fmt.Errorf("%s (restarts used: %d); last words: %s", detail, e.restartsUsed(), p.stderr.String()))
		default:
			return nil, e.fail(&r, ErrRefused, errors.New(status.Convert(err).Message()))
		}
	}
}

// withRequest returns a copy of a plugin error that names r.
func withRequest(err error, r task.Request) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	c := *pe
	c.Request = &r
	return &c
}

func (e *entry) restartsUsed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.restarts
}

// running returns e's process, starting it if needed; e.mu must be held.
func (h *Host) running(e *entry) (*proc, error) {
	if h.closed.Load() {
		return nil, e.fail(nil, ErrClosed, nil)
	}
	if e.proc != nil {
		return e.proc, nil
	}
	if e.Err != nil {
		return nil, e.Err
	}
	// Start from a fresh goroutine: the kernel's parent-death signal fires
	// when the forking *thread* exits, and a caller locked to its thread
	// (runtime.LockOSThread, as some cgo code does) might take that thread
	// down with it. A new goroutine never runs on a locked thread.
	type started struct {
		p    *proc
		desc task.Description
		err  error
	}
	done := make(chan started, 1)
	go func() {
		p, d, err := h.start(e)
		done <- started{p, d, err}
	}()
	st := <-done
	if st.err != nil {
		return nil, st.err
	}
	p := st.p
	e.proc, e.desc = p, &st.desc
	return p, nil
}

// start launches e's binary, performs the go-plugin handshake (which checks
// the SHA-256 first) and asks for the declaration.
func (h *Host) start(e *entry) (*proc, task.Description, error) {
	cmd := exec.Command(e.Path)
	killWithParent(cmd)
	p := &proc{cmd: cmd, stderr: &tail{max: 2048}}
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          wire.PluginSet(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		SecureConfig:     &plugin.SecureConfig{Checksum: e.sum, Hash: sha256.New()},
		Logger:           h.logger,
		StartTimeout:     h.opts.StartTimeout,
		Stderr:           p.stderr,
		SyncStderr:       p.stderr, // what the plugin writes to os.Stderr
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(wire.MaxMessage), grpc.MaxCallSendMsgSize(wire.MaxMessage))},
	})
	fail := func(kind, err error) (*proc, task.Description, error) {
		p.client.Kill()
		if s := p.stderr.text(); s != "" && kind != ErrUnverified {
			err = fmt.Errorf("%w; plugin stderr: %s", err, s)
		}
		return nil, task.Description{}, e.fail(nil, kind, err)
	}
	rpc, err := p.client.Client()
	if err != nil {
		switch {
		case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
			return fail(ErrUnverified, fmt.Errorf("SHA-256 of %s does not match %s (modified or replaced since the build); rebuild with `make plugins`",
				e.Path, filepath.Join(filepath.Dir(e.Path), ManifestFile)))
		case strings.Contains(err.Error(), "incompatible API version"):
			return fail(ErrHandshake, fmt.Errorf("it speaks another task protocol version than this host (v%d); rebuild it against this cbrnn with `make plugins`: %w",
				wire.ProtocolVersion, err))
		}
		return fail(ErrHandshake, err)
	}
	if cmd.Process != nil {
		p.pid = cmd.Process.Pid
	}
	raw, err := rpc.Dispense(wire.PluginName)
	if err != nil {
		return fail(ErrHandshake, err)
	}
	p.stub = raw.(taskpb.TaskProviderClient)
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.StartTimeout)
	defer cancel()
	pd, err := p.stub.Describe(ctx, &taskpb.DescribeRequest{})
	if err != nil {
		return fail(ErrHandshake, fmt.Errorf("Describe: %w", err))
	}
	d := wire.DescriptionFromProto(pd)
	if d.Name != e.Name {
		return fail(ErrHandshake, fmt.Errorf("the binary %q declares the task %q; a plugin's file name must be its task's name", e.Name, d.Name))
	}
	if err := d.CheckDescription(); err != nil {
		return fail(ErrHandshake, err)
	}
	return p, d, nil
}

// dead says whether a failed call means the process is gone.
func (p *proc) dead(err error) bool {
	if p.client.Exited() {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled:
		return true
	}
	return false
}

// exitDetail waits briefly for the process to be reaped and describes how
// it ended.
func (p *proc) exitDetail() string {
	deadline := time.Now().Add(time.Second)
	for !p.client.Exited() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if p.client.Exited() && p.cmd.ProcessState != nil {
		return fmt.Sprintf("pid %d ended: %v", p.pid, p.cmd.ProcessState)
	}
	return fmt.Sprintf("pid %d lost its connection", p.pid)
}

// restart forgets the crashed process p so the next call starts a fresh
// one; false when the restart budget is spent. Concurrent callers that saw
// the same crash restart it only once.
func (h *Host) restart(e *entry, p *proc) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc != p {
		return true // someone else already replaced it
	}
	if e.restarts >= h.opts.MaxRestarts {
		return false
	}
	e.restarts++
	e.proc = nil
	go kill(p, true)
	return true
}

// discard forgets p (if still current) and kills it.
func (h *Host) discard(e *entry, p *proc, hard bool) {
	e.mu.Lock()
	if e.proc == p {
		e.proc = nil
	}
	e.mu.Unlock()
	kill(p, hard)
}

// kill ends a process: hard sends SIGKILL first (for a plugin that hangs);
// otherwise go-plugin asks it to shut down and kills it after 2 s.
func kill(p *proc, hard bool) {
	if hard && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	p.client.Kill()
}

// Close kills every plugin process and waits for them to be reaped. It is
// idempotent; the host cannot be used afterwards.
func (h *Host) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
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
	return nil
}

// tail keeps the last max bytes written: a crashed plugin's last words.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

func (t *tail) String() string {
	if s := t.text(); s != "" {
		return s
	}
	return "(nothing on stderr)"
}
