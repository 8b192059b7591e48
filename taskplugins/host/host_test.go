package host_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// dir holds the plugins every test uses: the paper's, the deliberately
// faulty one under several names, a tampered copy and an unlisted one.
var dir string

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helper()
		return
	}
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		code = 1
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	d, err := os.MkdirTemp("", "cbrnn-host-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(d)
	dir = d
	specs := append(append([]string{}, plugintest.Paper...), "taskplugins/host/testdata/faulty")
	if plugintest.HasPython() {
		specs = append(specs, plugintest.Python)
	}
	names, err := plugintest.Build(dir, specs...)
	if err != nil {
		return 1, err
	}
	for _, alias := range []string{"badversion", "mute", "liar"} {
		if err := plugintest.Copy(filepath.Join(dir, "faulty"), filepath.Join(dir, alias)); err != nil {
			return 1, err
		}
		names = append(names, alias)
	}
	if err := plugintest.Copy(filepath.Join(dir, "dms"), filepath.Join(dir, "tampered")); err != nil {
		return 1, err
	}
	if err := host.WriteManifest(dir, append(names, "tampered")); err != nil {
		return 1, err
	}
	// Modify tampered after the manifest; stranger is never listed.
	f, err := os.OpenFile(filepath.Join(dir, "tampered"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return 1, err
	}
	f.Write([]byte("extra"))
	f.Close()
	if err := plugintest.Copy(filepath.Join(dir, "dms"), filepath.Join(dir, "stranger")); err != nil {
		return 1, err
	}
	code := m.Run()
	if left := plugintest.Children(dir); len(left) > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "orphan plugin processes after all tests: %v\n", left)
		code = 1
	}
	return code, nil
}

// open opens a host on dir that the test's end closes, after which no
// plugin process of dir may remain.
func open(t testing.TB, opts host.Options) *host.Host {
	t.Helper()
	return openN(t, opts, 1)[0]
}

// openN opens n independent hosts (n sets of processes).
func openN(t testing.TB, opts host.Options, n int) []*host.Host {
	t.Helper()
	opts.Path = dir
	var hs []*host.Host
	for range n {
		h, err := host.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	t.Cleanup(func() {
		for _, h := range hs {
			h.Close()
		}
		noOrphans(t)
	})
	return hs
}

// noOrphans fails unless every plugin process of the test directory is gone.
func noOrphans(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		left := plugintest.Children(dir)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin processes still alive: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && len(raw) > 0
}

func equal(t *testing.T, a, b *task.Batch, what string) {
	t.Helper()
	if a.T != b.T || a.B != b.B || a.I != b.I || !reflect.DeepEqual(a.X, b.X) || !reflect.DeepEqual(a.Labels, b.Labels) {
		t.Fatalf("%s: batches differ (T %d vs %d)", what, a.T, b.T)
	}
}

// Every paper plugin serves exactly its in-process generator: the same
// declaration and the same bytes, so labels checked in package tasks hold
// for what the trainer receives.
func TestPluginsMatchInProcess(t *testing.T) {
	h := open(t, host.Options{})
	ctx := context.Background()
	for _, g := range tasks.All {
		t.Run(g.Desc.Name, func(t *testing.T) {
			d, err := h.Describe(ctx, g.Desc.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, withoutDomains(g.Desc)) {
				t.Fatalf("declaration over the wire\n%+v\nin-process\n%+v", d, g.Desc)
			}
			for _, n := range []int{2, 9, 30} {
				for _, split := range []task.Split{task.Train, task.Test} {
					r := task.Request{Task: g.Desc.Name, N: n, B: 16, Seed: 42, Index: uint64(n), Split: split}
					got, err := h.Batch(ctx, r)
					if err != nil {
						t.Fatal(err)
					}
					want, err := g.Batch(r)
					if err != nil {
						t.Fatal(err)
					}
					equal(t, got, want, r.String())
				}
			}
		})
	}
}

// withoutDomains is d as it arrives over the wire: parameter domains are
// checked in the plugin and not sent.
func withoutDomains(d task.Description) task.Description {
	d.Params = append([]task.Param(nil), d.Params...)
	for i := range d.Params {
		d.Params[i].Domain = nil
	}
	return d
}

func TestDeterminismAcrossProcesses(t *testing.T) {
	hs := openN(t, host.Options{}, 2)
	h1, h2 := hs[0], hs[1]
	ctx := context.Background()
	r := task.Request{Task: "parity", N: 12, B: 64, Seed: 7, Index: 3}
	a, err := h1.Batch(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	// Other requests in between, in another order, in another process.
	for i := uint64(10); i > 0; i-- {
		if _, err := h2.Batch(ctx, task.Request{Task: "parity", N: 12, B: 64, Seed: 7, Index: i + 3}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := h2.Batch(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if h1.PID("parity") == h2.PID("parity") || h1.PID("parity") == 0 {
		t.Fatalf("want two processes, got pids %d and %d", h1.PID("parity"), h2.PID("parity"))
	}
	equal(t, a, b, "same request, two processes")
	c, _ := h1.Batch(ctx, r)
	equal(t, a, c, "same request twice")
	r.Split = task.Test
	d, _ := h1.Batch(ctx, r)
	if reflect.DeepEqual(a.X, d.X) {
		t.Fatal("train and test batch with the same index are equal")
	}
}

func errorMentions(t *testing.T, err error, kind error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q is not %v", err, kind)
	}
	var pe *host.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %q is not a *host.Error", err)
	}
	t.Log(err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func faulty(mode string, n int) task.Request {
	return task.Request{Task: "faulty", N: n, B: 8, Params: map[string]string{"mode": mode}}
}

func TestMalformedBatches(t *testing.T) {
	h := open(t, host.Options{})
	cases := []struct{ mode, want string }{
		{"shape", "x has 79 values"},
		{"nan", "not finite"},
		{"label", "label[0] = 5 outside [0, 2)"},
		{"tlong", "outside the declared bounds"},
		{"heads", "2 label heads, task declares 1"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			r := faulty(c.mode, 2) // T = 10 at N=2 and index 0 (see below)
			if c.mode == "shape" {
				b, err := tasks.DMS.Batch(task.Request{N: 2, B: 8})
				if err != nil {
					t.Fatal(err)
				}
				c.want = fmt.Sprintf("x has %d values", len(b.X)-1)
			}
			_, err := h.Batch(context.Background(), r)
			errorMentions(t, err, host.ErrMalformed, `"faulty"`, "mode:"+c.mode, c.want)
		})
	}
	// A malformed batch does not cost the process: the next one is fine.
	if _, err := h.Batch(context.Background(), faulty("ok", 2)); err != nil {
		t.Fatal(err)
	}
}

func TestKilledMidRunIsRestarted(t *testing.T) {
	h := open(t, host.Options{})
	ctx := context.Background()
	r := task.Request{Task: "dms", N: 5, B: 32}
	if _, err := h.Batch(ctx, r); err != nil {
		t.Fatal(err)
	}
	pid := h.PID("dms")
	syscall.Kill(pid, syscall.SIGKILL)
	for alive(pid) {
		time.Sleep(5 * time.Millisecond)
	}
	r.Index = 1
	got, err := h.Batch(ctx, r)
	if err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	want, _ := tasks.DMS.Batch(r)
	equal(t, got, want, "batch from the restarted plugin")
	if p := h.PID("dms"); p == pid || p == 0 {
		t.Fatalf("pid %d after restart, was %d", p, pid)
	}
}

func TestCrashingTwiceGivesUp(t *testing.T) {
	h := open(t, host.Options{})
	_, err := h.Batch(context.Background(), faulty("crash", 3))
	errorMentions(t, err, host.ErrCrashed, `"faulty"`, "mode:crash", "exit status 3", "crashing on purpose")
	// The budget is per host; a good request still works (fresh process).
	if _, err := h.Batch(context.Background(), faulty("ok", 3)); err != nil {
		t.Fatal(err)
	}
}

func TestHangTimesOut(t *testing.T) {
	h := open(t, host.Options{Timeout: 300 * time.Millisecond})
	if _, err := h.Batch(context.Background(), faulty("ok", 3)); err != nil {
		t.Fatal(err)
	}
	pid := h.PID("faulty")
	start := time.Now()
	_, err := h.Batch(context.Background(), faulty("hang", 3))
	errorMentions(t, err, host.ErrTimeout, `"faulty"`, "mode:hang", "300ms")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
	if alive(pid) {
		t.Errorf("hung plugin pid %d still alive", pid)
	}
	if _, err := h.Batch(context.Background(), faulty("ok", 3)); err != nil {
		t.Fatalf("after a hang: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	h := open(t, host.Options{StartTimeout: time.Second})
	ctx := context.Background()
	cases := []struct {
		name string
		r    task.Request
		kind error
		want []string
	}{
		{"panic", faulty("panic", 3), host.ErrRefused, []string{"generator panicked", "panicking on purpose"}},
		{"N out of range", task.Request{Task: "dms", N: 1, B: 4}, host.ErrBadRequest, []string{"not sent", "N=1"}},
		{"unknown parameter", task.Request{Task: "dms", N: 3, B: 4, Params: map[string]string{"x": "1"}}, host.ErrRefused, []string{`no parameter "x"`}},
		{"not in manifest", task.Request{Task: "stranger", N: 3, B: 4}, host.ErrUnverified, []string{"stranger", "not listed", "make plugins"}},
		{"modified binary", task.Request{Task: "tampered", N: 3, B: 4}, host.ErrUnverified, []string{"tampered", "does not match", "make plugins"}},
		{"other protocol version", task.Request{Task: "badversion", N: 3, B: 4}, host.ErrHandshake, []string{"badversion", "protocol version", "Plugin version: 2"}},
		{"never answers the handshake", task.Request{Task: "mute", N: 3, B: 4}, host.ErrHandshake, []string{"mute", "timeout"}},
		{"declares another name", task.Request{Task: "liar", N: 3, B: 4}, host.ErrHandshake, []string{`declares the task "parity"`}},
		{"no such plugin", task.Request{Task: "nope", N: 3, B: 4}, host.ErrNotFound, []string{"nope", "dms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.Batch(ctx, c.r)
			errorMentions(t, err, c.kind, c.want...)
		})
	}
	var unverified []string
	for _, p := range h.Plugins() {
		if p.Err != nil {
			unverified = append(unverified, p.Name)
		}
	}
	if !reflect.DeepEqual(unverified, []string{"stranger"}) {
		t.Errorf("unverified at discovery: %v, want [stranger]", unverified)
	}
}

func TestNoManifest(t *testing.T) {
	d := t.TempDir()
	if err := plugintest.Copy(filepath.Join(dir, "dms"), filepath.Join(d, "dms")); err != nil {
		t.Fatal(err)
	}
	h, err := host.Open(context.Background(), host.Options{Path: d})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Describe(context.Background(), "dms")
	errorMentions(t, err, host.ErrUnverified, "no usable manifest", "make plugins")
}

func TestCloseAndCancelKillChildren(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h, err := host.Open(ctx, host.Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, name := range []string{"dms", "parity", "switch"} {
		if _, err := h.Batch(ctx, task.Request{Task: name, N: 3, B: 2}); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, h.PID(name))
	}
	cancel() // as Ctrl-C does through cbrnn's main
	noOrphans(t)
	for _, p := range pids {
		if alive(p) {
			t.Errorf("pid %d alive after cancel", p)
		}
	}
	_, err = h.Batch(context.Background(), task.Request{Task: "dms", N: 3, B: 2})
	if !errors.Is(err, host.ErrClosed) {
		t.Fatalf("after cancel: %v", err)
	}
}

// The host process dying in any way takes its plugins with it.
const helperEnv = "CBRNN_HOST_TEST_HELPER"

// helper is the body of a child test process: it starts plugins, prints
// their pids, then dies as told.
func helper() {
	if os.Getenv(helperEnv) == "spawn" {
		spawnHelper()
		return
	}
	h, err := host.Open(context.Background(), host.Options{Path: os.Getenv("CBRNN_TASK_PATH")})
	if err != nil {
		panic(err)
	}
	var pids []string
	for _, name := range []string{"dms", "parity"} {
		if _, err := h.Batch(context.Background(), task.Request{Task: name, N: 3, B: 2}); err != nil {
			panic(err)
		}
		pids = append(pids, fmt.Sprint(h.PID(name)))
	}
	fmt.Println("PIDS", strings.Join(pids, " "))
	switch os.Getenv(helperEnv) {
	case "panic-deferred":
		defer h.Close()
		panic("helper panics with a deferred Close")
	case "panic-goroutine":
		go func() { panic("helper panics in a goroutine, no defer runs") }()
	}
	time.Sleep(time.Minute) // killed from outside
}

func TestHostDeathKillsChildren(t *testing.T) {
	for _, mode := range []string{"panic-deferred", "panic-goroutine", "sigkill", "sigterm"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode, "CBRNN_TASK_PATH="+dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var a, b int
			if _, err := fmt.Fscanf(out, "PIDS %d %d\n", &a, &b); err != nil {
				cmd.Process.Kill()
				t.Fatalf("helper: %v", err)
			}
			switch mode {
			case "sigkill":
				cmd.Process.Signal(syscall.SIGKILL)
			case "sigterm":
				cmd.Process.Signal(syscall.SIGTERM)
			}
			go io.Copy(io.Discard, out)
			cmd.Wait()
			deadline := time.Now().Add(3 * time.Second)
			for alive(a) || alive(b) {
				if time.Now().After(deadline) {
					t.Fatalf("plugins %d, %d outlived their host (%s)", a, b, mode)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestConcurrentBatches(t *testing.T) {
	h := open(t, host.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := task.Request{Task: "multitask", N: 6, B: 16, Index: uint64(i)}
			got, err := h.Batch(context.Background(), r)
			if err != nil {
				errs <- err
				return
			}
			want, _ := tasks.Multitask.Batch(r)
			if !reflect.DeepEqual(got.X, want.X) || !reflect.DeepEqual(got.Labels, want.Labels) {
				errs <- fmt.Errorf("%v differs from in-process", r)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPythonPlugin(t *testing.T) {
	if !plugintest.HasPython() {
		t.Skip("/usr/bin/python3 with grpcio and protobuf not available")
	}
	hs := openN(t, host.Options{}, 2)
	h1, h2 := hs[0], hs[1]
	ctx := context.Background()
	d, err := h1.Describe(ctx, "py_parity")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "py_parity" || d.Inputs != 1 || !reflect.DeepEqual(d.Heads, []int{2}) {
		t.Fatalf("declaration %+v", d)
	}
	for idx := range uint64(5) {
		for _, n := range []int{1, 4, 30} {
			r := task.Request{Task: "py_parity", N: n, B: 64, Seed: 9, Index: idx}
			b, err := h1.Batch(ctx, r) // validated by the host
			if err != nil {
				t.Fatal(err)
			}
			for bi := range b.B {
				s := 0
				for tt := b.T - n; tt < b.T; tt++ {
					s += int(b.At(tt, bi, 0))
				}
				if int32(s%2) != b.Labels[0][bi] {
					t.Fatalf("%v trial %d: label %d, parity %d", r, bi, b.Labels[0][bi], s%2)
				}
			}
			b2, err := h2.Batch(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, b, b2, "Python plugin, two processes")
		}
	}
	_, err = h1.Batch(ctx, task.Request{Task: "py_parity", N: 0, B: 4})
	errorMentions(t, err, host.ErrBadRequest, "N=0")
	// The Python plugin checks requests itself too.
	_, err = h1.Batch(ctx, task.Request{Task: "py_parity", N: 3, B: 4, Params: map[string]string{"k": "v"}})
	errorMentions(t, err, host.ErrRefused, "no parameters")
}

func TestPrefetch(t *testing.T) {
	h := open(t, host.Options{})
	var reqs []task.Request
	for i := range 40 {
		reqs = append(reqs, task.Request{Task: "parity", N: 8, B: 32, Seed: 1, Index: uint64(i)})
	}
	s := task.Prefetch(context.Background(), h, reqs, 4)
	defer s.Close()
	for i, r := range reqs {
		b, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tasks.Parity.Batch(r)
		equal(t, b, want, fmt.Sprintf("batch %d in order", i))
	}
	if _, err := s.Next(); err != io.EOF {
		t.Fatalf("after the last batch: %v", err)
	}
}

func TestPrefetchStopsAtError(t *testing.T) {
	h := open(t, host.Options{})
	reqs := make([]task.Request, 10)
	for i := range reqs {
		reqs[i] = faulty("ok", 3)
		reqs[i].Index = uint64(i)
	}
	reqs[5] = faulty("label", 3)
	s := task.Prefetch(context.Background(), h, reqs, 3)
	defer s.Close()
	for i := range 5 {
		if _, err := s.Next(); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	_, err := s.Next()
	errorMentions(t, err, host.ErrMalformed, "mode:label")
	if _, err := s.Next(); !errors.Is(err, task.ErrStreamClosed) {
		t.Fatalf("after an error: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv(host.PathEnv, "/a"+string(os.PathListSeparator)+"/b")
	if p := host.DefaultPath(); p != "/a:/b" {
		t.Fatalf("DefaultPath = %q", p)
	}
	t.Setenv(host.PathEnv, "")
	if p := host.DefaultPath(); !strings.HasSuffix(p, host.DefaultDir) {
		t.Fatalf("DefaultPath = %q", p)
	}
}

// A plugin first used from a goroutine locked to its OS thread survives that
// thread's exit (the parent-death signal is tied to the forking thread).
func TestLockedThreadCallerDoesNotKillPlugin(t *testing.T) {
	h := open(t, host.Options{})
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		_, err := h.Batch(context.Background(), task.Request{Task: "mod3", N: 3, B: 2})
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pid := h.PID("mod3")
	time.Sleep(200 * time.Millisecond)
	if !alive(pid) {
		t.Fatal("plugin died with the caller's thread")
	}
	if _, err := h.Batch(context.Background(), task.Request{Task: "mod3", N: 3, B: 2, Index: 1}); err != nil {
		t.Fatal(err)
	}
	if h.PID("mod3") != pid {
		t.Fatal("plugin was restarted")
	}
}
