package host

// The process lifecycle: launch and handshake, crash detection, restart
// and kill, and the tail of a plugin's stderr.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cbrnn/cbrnn/taskplugins/internal/wire"
	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// pluginEnv tells a plugin process (and the tests' process table) which
// binary it was verified as, since it runs from a private copy.
const pluginEnv = "CBRNN_TASK_PLUGIN"

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

	// The process and the descendants the host has seen it start, which
	// the host ends with it (see sweep).
	stat  procStat
	known map[int]procStat
	noted time.Time // when descendants were last looked for
}

// roots lists the process and its known descendants.
func (p *proc) roots() []procStat {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []procStat{p.stat}
	for _, d := range p.known {
		out = append(out, d)
	}
	return out
}

// note records p's descendants in the private folder, at most once a
// second, so that the next host can end them if this one is killed
// without closing (the kernel's parent-death signal reaches the plugin,
// not what it started, and a process that calls setsid leaves the
// plugin's process group).
func (h *Host) note(p *proc) {
	p.mu.Lock()
	if time.Since(p.noted) < time.Second || p.stat.pid == 0 {
		p.mu.Unlock()
		return
	}
	p.noted = time.Now()
	p.mu.Unlock()
	var fresh []procStat
	for _, d := range descendants(p.stat) {
		p.mu.Lock()
		if k, ok := p.known[d.pid]; !ok || k.start != d.start {
			if p.known == nil {
				p.known = map[int]procStat{}
			}
			p.known[d.pid] = d
			fresh = append(fresh, d)
		}
		p.mu.Unlock()
	}
	h.record(fresh...)
}

// record appends processes to the private folder's record (recordFile).
func (h *Host) record(ps ...procStat) {
	h.privMu.Lock()
	defer h.privMu.Unlock()
	if h.private != nil {
		writeRecord(h.private.path, ps)
	}
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
		if st, ok := readStat(p.pid); ok {
			p.stat = st
			h.record(st)
		}
	}
	return p, rpc, err
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

// kill ends a process and everything it started: its descendants first
// (while the process lives they are found by their parent links, setsid
// ones included), then the process itself, hard with SIGKILL (for a
// plugin that hangs), otherwise through go-plugin, which asks it to shut
// down and kills it after 2 s; then what is left of its process group and
// whatever it started meanwhile.
func kill(p *proc, hard bool) {
	roots := p.roots()
	if hard {
		sweep(roots, 0)
	} else {
		sweep(roots, p.pid)
	}
	if hard && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	p.client.Kill()
	killGroup(p.pid)
	sweep(roots, 0)
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
