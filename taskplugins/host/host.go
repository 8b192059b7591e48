// Package host runs task plugins for the trainer and the CLI: it finds the
// binaries, checks them against the build's SHA-256 manifest, launches each
// lazily (one process per task, reused) from a verified private copy,
// validates every batch, restarts a crashed plugin once, and kills every
// child (and its process group) on Close, on cancellation of the context
// given to Open, and (through the kernel) when the host process dies. Its
// plugins' sockets and temporary files live in a private folder that Close
// removes, and that the next host removes if this one was killed. It
// implements task.Source, the trainer's only view of tasks.
package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// TimeoutEnv sets Options.Timeout when it is zero: a Go duration ("30s").
const TimeoutEnv = "CBRNN_BATCH_TIMEOUT"

// DefaultTimeout bounds one batch when nothing else does.
const DefaultTimeout = 10 * time.Second

// pluginEnv tells a plugin process (and the tests' process table) which
// binary it was verified as, since it runs from a private copy.
const pluginEnv = "CBRNN_TASK_PLUGIN"

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

// proc is one running plugin process.
type proc struct {
	client *plugin.Client
	stub   taskpb.TaskProviderClient
	cmd    *exec.Cmd
	stderr *tail
	pid    int

	// The service-time watchdog: requests in flight, and when the plugin
	// last delivered a batch (or received a request while idle).
	mu       sync.Mutex
	inflight int
	progress time.Time
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

// scan adds the executables of dir; earlier directories win. What cannot
// be a plugin (a symbolic link, a folder, a file that is not executable)
// is listed with the reason it is skipped, so that it is not skipped
// without a word.
func (h *Host) scan(dir string) error {
	files, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("task plugins: %w", err)
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o002 != 0 {
		fmt.Fprintf(h.opts.Warnings, "warning: task plugin folder %s is world-writable: anyone on this machine can replace its plugins and its manifest; chmod o-w it\n", dir)
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
		e := &entry{Plugin: Plugin{Name: name, Path: filepath.Join(dir, name)}}
		h.entries[name] = e
		info, err := f.Info()
		if err != nil {
			e.Err = e.fail(nil, ErrNotPlugin, err)
			continue
		}
		if skip := notPlugin(e.Path, info); skip != "" {
			e.Err = e.fail(nil, ErrNotPlugin, fmt.Errorf("%s %s, so it is skipped", e.Path, skip))
			continue
		}
		if info.Mode().Perm()&0o002 != 0 {
			fmt.Fprintf(h.opts.Warnings, "warning: task plugin %s is world-writable: anyone on this machine can change it; chmod o-w it\n", e.Path)
		}
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
		e.timeout = h.timeoutFor(name, m)
	}
	return nil
}

// notPlugin says why a directory entry cannot be a plugin binary, or "".
func notPlugin(path string, info fs.FileInfo) string {
	switch mode := info.Mode(); {
	case mode&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return fmt.Sprintf("is a symbolic link (to %s): the host runs only regular files, verified against the manifest; put the binary built by `make plugins` there instead", target)
	case mode.IsDir():
		return "is a folder, not a plugin binary"
	case !mode.IsRegular():
		return "is not a regular file"
	case mode.Perm()&0o111 == 0:
		return "is not executable (plugins are built by `make plugins`)"
	}
	return ""
}

// timeoutFor resolves a plugin's batch timeout: the option, else the
// environment, else its manifest entry, else DefaultTimeout.
func (h *Host) timeoutFor(name string, m *Manifest) time.Duration {
	switch {
	case h.opts.Timeout > 0:
		return h.opts.Timeout
	case h.envTimeout > 0:
		return h.envTimeout
	case m != nil && m.BatchTimeouts[name] != "":
		d, _ := time.ParseDuration(m.BatchTimeouts[name]) // checked by ReadManifest
		return d
	}
	return DefaultTimeout
}

// Timeout is the batch timeout in force for the named plugin.
func (h *Host) Timeout(name string) time.Duration {
	if e, ok := h.entries[name]; ok && e.timeout > 0 {
		return e.timeout
	}
	return DefaultTimeout
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
		resp, timedOut, err := p.call(ctx, e.timeout, req)
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
			detail := fmt.Sprintf("no batch within %v of service time; killed pid %d (the next request starts a fresh process). A task this slow can be given more time with --batch-timeout, $%s or batch_timeouts in its manifest",
				e.timeout, p.pid, TimeoutEnv)
			if words := p.stderr.text(); words != "" {
				detail += "; last words: " + words
			}
			return nil, e.fail(&r, ErrTimeout, errors.New(detail))
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

// privateFolder returns the host's private folder, making it at the first
// launch (which also cleans up the stale folders of dead hosts).
func (h *Host) privateFolder() (string, error) {
	h.privMu.Lock()
	defer h.privMu.Unlock()
	if h.private == nil {
		p, err := newPrivateDir()
		if err != nil {
			return "", err
		}
		h.private = p
	}
	return h.private.path, nil
}

// stage copies e's binary into the private folder, hashing the bytes as it
// copies them, and returns the copy if they match the manifest. The copy is
// what runs: it is read-only, in a folder only this user can enter, so the
// program that runs is exactly the one that was verified, whatever happens
// to e.Path meanwhile. (Hashing e.Path and then executing e.Path, as
// go-plugin's SecureConfig does, runs whatever is there at exec time.)
func (h *Host) stage(e *entry, priv string) (string, error) {
	if e.staged != "" {
		return e.staged, nil
	}
	src, err := os.Open(e.Path)
	if err != nil {
		return "", e.fail(nil, ErrHandshake, err)
	}
	defer src.Close()
	bin := filepath.Join(priv, "bin")
	tmp, err := os.CreateTemp(bin, "."+e.Name+"-*")
	if err != nil {
		return "", e.fail(nil, ErrHandshake, fmt.Errorf("copying into the private folder: %w", err))
	}
	sum := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, sum), src)
	if err == nil {
		err = tmp.Chmod(0o500)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", e.fail(nil, ErrHandshake, fmt.Errorf("copying into the private folder: %w", err))
	}
	if !bytes.Equal(sum.Sum(nil), e.sum) {
		os.Remove(tmp.Name())
		return "", e.fail(nil, ErrUnverified, fmt.Errorf("SHA-256 of %s does not match %s (modified or replaced since the build); rebuild with `make plugins`",
			e.Path, filepath.Join(filepath.Dir(e.Path), ManifestFile)))
	}
	dst := filepath.Join(bin, e.Name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return "", e.fail(nil, ErrHandshake, err)
	}
	e.staged = dst
	return dst, nil
}

// pluginEnviron is the environment of a plugin process: the host's, with
// the plugin's sockets and temporary files sent to the private folder, and
// the marks that let a later host find its processes.
func pluginEnviron(priv, binary string) []string {
	set := map[string]string{
		plugin.EnvUnixSocketDir: priv,
		"TMPDIR":                filepath.Join(priv, "tmp"),
		privateEnv:              priv,
		pluginEnv:               binary,
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); set[k] == "" {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// start launches e's verified copy, performs the go-plugin handshake and
// asks for the declaration.
func (h *Host) start(e *entry) (*proc, task.Description, error) {
	priv, err := h.privateFolder()
	if err != nil {
		return nil, task.Description{}, e.fail(nil, ErrHandshake, err)
	}
	path, err := h.stage(e, priv)
	if err != nil {
		return nil, task.Description{}, err
	}
	var p *proc
	var rpc plugin.ClientProtocol
	// A just-written binary can be briefly "busy" when another goroutine
	// forks meanwhile (the child holds the write descriptor until it
	// execs): retry then.
	for try := 0; ; try++ {
		p, rpc, err = h.launch(e, path, priv)
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || try == 20 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	fail := func(kind, err error) (*proc, task.Description, error) {
		kill(p, true)
		if s := p.stderr.text(); s != "" && kind != ErrUnverified {
			err = fmt.Errorf("%w; plugin stderr: %s", err, s)
		}
		return nil, task.Description{}, e.fail(nil, kind, err)
	}
	if err != nil {
		if strings.Contains(err.Error(), "incompatible API version") {
			return fail(ErrHandshake, fmt.Errorf("it speaks another task protocol version than this host (v%d); rebuild it against this cbrnn with `make plugins`: %w",
				wire.ProtocolVersion, err))
		}
		return fail(ErrHandshake, err)
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

// launch starts the process at path and performs the handshake. Its
// argv[0] is the plugin's own path, so it knows its name and the process
// table shows which plugin it is.
func (h *Host) launch(e *entry, path, priv string) (*proc, plugin.ClientProtocol, error) {
	cmd := exec.Command(path)
	cmd.Args[0] = e.Path
	cmd.Env = pluginEnviron(priv, e.Path)
	killWithParent(cmd)
	p := &proc{cmd: cmd, stderr: &tail{max: 2048}}
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          wire.PluginSet(nil),
		Cmd:              cmd,
		SkipHostEnv:      true, // cmd.Env has it, with the private folder's settings
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           h.logger,
		StartTimeout:     h.opts.StartTimeout,
		Stderr:           p.stderr,
		SyncStderr:       p.stderr, // what the plugin writes to os.Stderr
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(wire.MaxMessage), grpc.MaxCallSendMsgSize(wire.MaxMessage))},
	})
	rpc, err := p.client.Client()
	if cmd.Process != nil {
		p.pid = cmd.Process.Pid
	}
	return p, rpc, err
}

// call sends one Batch request under the service-time watchdog: it gives
// up (timedOut) when the plugin, with requests waiting, has delivered no
// batch for timeout. A request queued behind others in a plugin that
// serves one at a time is thus not timed out while those before it are
// being served; a plugin that stops answering is, after timeout.
func (p *proc) call(ctx context.Context, timeout time.Duration, req *taskpb.BatchRequest) (*taskpb.BatchResponse, bool, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.mu.Lock()
	if p.inflight == 0 {
		p.progress = time.Now()
	}
	p.inflight++
	p.mu.Unlock()
	var timedOut atomic.Bool
	done := make(chan struct{})
	go func() {
		t := time.NewTimer(timeout)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.mu.Lock()
				idle := time.Since(p.progress)
				p.mu.Unlock()
				if idle < timeout {
					t.Reset(timeout - idle)
					continue
				}
				timedOut.Store(true)
				cancel()
				return
			}
		}
	}()
	resp, err := p.stub.Batch(cctx, req)
	close(done)
	p.mu.Lock()
	p.inflight--
	p.progress = time.Now()
	p.mu.Unlock()
	return resp, timedOut.Load() && ctx.Err() == nil, err
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

// kill ends a process and then its process group (what it started):
// hard sends SIGKILL first (for a plugin that hangs); otherwise go-plugin
// asks it to shut down and kills it after 2 s.
func kill(p *proc, hard bool) {
	if hard && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	p.client.Kill()
	killGroup(p.pid)
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
