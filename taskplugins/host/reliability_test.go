package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

func faultyArg(mode, arg string, n int) task.Request {
	r := faulty(mode, n)
	r.Params["arg"] = arg
	return r
}

// The batch timeout is one request's service time. A plugin
// that serves one request at a time, slower than the timeout divided by
// the prefetch depth, trains; before, requests queued behind others timed
// out (at 1.5 s a batch, 8 in flight and a 10 s limit, the 8th waited 12 s).
func TestSlowSerialPluginTrains(t *testing.T) {
	h := open(t, host.Options{Timeout: 500 * time.Millisecond})
	reqs := make([]task.Request, 8)
	for i := range reqs {
		reqs[i] = faultyArg("slow", "150", 3) // 8 × 150 ms queued = 1.2 s > 500 ms
		reqs[i].Index = uint64(i)
	}
	s := task.Prefetch(context.Background(), h, reqs, 8)
	defer s.Close()
	for i := range reqs {
		if _, err := s.Next(); err != nil {
			t.Fatalf("batch %d of a slow but working plugin: %v", i, err)
		}
	}
}

// writeManifest writes dir/manifest.json for the named binaries with the
// given batch timeouts.
func writeManifest(t *testing.T, dir string, names []string, timeouts map[string]string) {
	t.Helper()
	m := host.Manifest{Version: 1, Plugins: map[string]string{}, BatchTimeouts: timeouts}
	for _, n := range names {
		sum, err := host.FileSHA256(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		m.Plugins[n] = sum
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, host.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The timeout is settable by option (flag), environment and
// the plugin's manifest entry, in that order of precedence.
func TestBatchTimeoutSources(t *testing.T) {
	d := t.TempDir()
	if err := plugintest.Copy(filepath.Join(dir, "faulty"), filepath.Join(d, "faulty")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, d, []string{"faulty"}, map[string]string{"faulty": "200ms"})
	for _, c := range []struct {
		name string
		opt  time.Duration
		env  string
		want string
	}{
		{"manifest", 0, "", "200ms"},
		{"environment over manifest", 0, "250ms", "250ms"},
		{"option over environment", 300 * time.Millisecond, "250ms", "300ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(host.TimeoutEnv, c.env)
			h, err := host.Open(context.Background(), host.Options{Path: d, Timeout: c.opt})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			_, err = h.Batch(context.Background(), faulty("hang", 3))
			errorMentions(t, err, host.ErrTimeout, c.want)
		})
	}
	t.Setenv(host.TimeoutEnv, "soon")
	if _, err := host.Open(context.Background(), host.Options{Path: d}); err == nil || !strings.Contains(err.Error(), host.TimeoutEnv+`="soon"`) {
		t.Errorf("a bad %s: %v", host.TimeoutEnv, err)
	}
	t.Setenv(host.TimeoutEnv, "")
	writeManifest(t, d, []string{"faulty"}, map[string]string{"faulty": "-1s"})
	h, err := host.Open(context.Background(), host.Options{Path: d})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Describe(context.Background(), "faulty")
	errorMentions(t, err, host.ErrUnverified, `batch_timeouts["faulty"] = "-1s" is not a positive duration`)
}

// What a Go plugin writes to os.Stderr right before it dies
// reaches the error (go-plugin forwards os.Stderr over gRPC, which dies with
// the process, so the SDK points os.Stderr back at fd 2).
func TestCrashKeepsLastWords(t *testing.T) {
	h := open(t, host.Options{})
	_, err := h.Batch(context.Background(), faulty("crash-stderr", 3))
	errorMentions(t, err, host.ErrCrashed, "exit status 4", "faulty: last words before dying")
}

func pidIn(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func gone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("%s (pid %d) outlived its host", what, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A plugin's own children end with it: each plugin runs in its
// own process group, which the host ends.
func TestPluginChildrenEndWithHost(t *testing.T) {
	h, err := host.Open(context.Background(), host.Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pid")
	if _, err := h.Batch(context.Background(), faultyArg("spawn", file, 3)); err != nil {
		h.Close()
		t.Fatal(err)
	}
	child := pidIn(t, file)
	h.Close()
	gone(t, child, "the plugin's child")
}

// helperHost starts this test binary as a host that serves one plugin
// batch (helperEnv=spawn, with env added) and returns once it printed its
// plugin's pid; kill ends it with SIGKILL, as a killed job would.
func helperHost(t *testing.T, env ...string) (kill func(), plugin int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"=spawn", "CBRNN_TASK_PATH="+dir), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fscanf(out, "PIDS %d\n", &plugin); err != nil {
		cmd.Process.Kill()
		t.Fatalf("helper: %v", err)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGKILL)
		go io.Copy(io.Discard, out)
		cmd.Wait()
	}, plugin
}

// A host killed with SIGKILL can clean up nothing; the next
// host does: it ends the processes of stale private folders and removes
// the folders.
func TestStaleHostIsCleanedUp(t *testing.T) {
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	file := filepath.Join(t.TempDir(), "pid")
	kill, plugin := helperHost(t, "CBRNN_TEST_PIDFILE="+file)
	child := pidIn(t, file)
	kill()
	gone(t, plugin, "the plugin")
	if !alive(child) {
		t.Fatal("the plugin's child died with the host; nothing left to clean up")
	}
	stale, _ := filepath.Glob(filepath.Join(rt, "cbrnn-tasks", "host-*"))
	if len(stale) != 1 {
		t.Fatalf("private folders after a kill -9: %v, want the dead host's one", stale)
	}
	h, err := host.Open(context.Background(), host.Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	gone(t, child, "the child of a plugin of a dead host")
	if _, err := os.Stat(stale[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead host's private folder %s is still there (%v)", stale[0], err)
	}
}

// pidsIn reads the space-separated pids a plugin wrote to file.
func pidsIn(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// killAll ends what a failed test left behind.
func killAll(pids []int) {
	for _, pid := range pids {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

var treeNames = []string{"the plugin's child", "its setsid child", "its setsid child with a scrubbed environment"}

// Close ends every descendant of a plugin, those that left its process
// group (setsid) and those that dropped its host's mark from their
// environment included.
func TestCloseEndsEveryDescendant(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	h, err := host.Open(context.Background(), host.Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pids")
	if _, err := h.Batch(context.Background(), faultyArg("spawn-tree", file, 3)); err != nil {
		h.Close()
		t.Fatal(err)
	}
	pids := pidsIn(t, file)
	t.Cleanup(func() { killAll(pids) })
	h.Close()
	for i, pid := range pids {
		gone(t, pid, treeNames[i])
	}
}

// A host killed with SIGKILL runs no Close: the next host to open ends
// every descendant of its plugins, setsid ones and ones without the mark
// included (the dead host recorded them in its private folder).
func TestKilledHostsDescendantsAreSwept(t *testing.T) {
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	file := filepath.Join(t.TempDir(), "pids")
	kill, plugin := helperHost(t, "CBRNN_TEST_MODE=spawn-tree", "CBRNN_TEST_PIDFILE="+file)
	pids := pidsIn(t, file)
	t.Cleanup(func() { killAll(pids) })
	kill()
	gone(t, plugin, "the plugin")
	h, err := host.Open(context.Background(), host.Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i, pid := range pids {
		gone(t, pid, treeNames[i]+" of a plugin of a host killed with SIGKILL")
	}
}

// spawnHelper is the body of TestStaleHostIsCleanedUp's child process.
func spawnHelper() {
	h, err := host.Open(context.Background(), host.Options{Path: os.Getenv("CBRNN_TASK_PATH")})
	if err != nil {
		panic(err)
	}
	mode := os.Getenv("CBRNN_TEST_MODE")
	if mode == "" {
		mode = "spawn"
	}
	if _, err := h.Batch(context.Background(), faultyArg(mode, os.Getenv("CBRNN_TEST_PIDFILE"), 3)); err != nil {
		panic(err)
	}
	fmt.Println("PIDS", h.PID("faulty"))
	time.Sleep(time.Minute) // killed from outside
}

// Crashes, timeouts and Close leave no plugin sockets or
// py-task-* folders in the temporary folder, nor private folders behind.
func TestNoTempFilesLeft(t *testing.T) {
	tmp, rt := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	h, err := host.Open(context.Background(), host.Options{Path: dir, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := h.Batch(ctx, task.Request{Task: "dms", N: 3, B: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Batch(ctx, faulty("crash", 3)); !errors.Is(err, host.ErrCrashed) {
		t.Fatalf("crash: %v", err)
	}
	if _, err := h.Batch(ctx, faulty("hang", 3)); !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("hang: %v", err)
	}
	if plugintest.HasPython() {
		if _, err := h.Batch(ctx, task.Request{Task: "py_parity", N: 3, B: 2}); err != nil {
			t.Fatal(err)
		}
	}
	h.Close()
	noOrphans(t)
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left in the temporary folder: %s", e.Name())
	}
	private, _ := filepath.Glob(filepath.Join(rt, "cbrnn-tasks", "*"))
	for _, p := range private {
		t.Errorf("left in the runtime folder: %s", p)
	}
}

// A symbolic link, a folder or a non-executable file among the
// plugins is reported, not skipped without a word.
func TestSkippedEntriesAreReported(t *testing.T) {
	d := t.TempDir()
	if err := plugintest.Copy(filepath.Join(dir, "dms"), filepath.Join(d, "dms")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, d, []string{"dms"}, nil)
	os.Symlink(filepath.Join(d, "dms"), filepath.Join(d, "dmslink"))
	os.Mkdir(filepath.Join(d, "old"), 0o755)
	os.WriteFile(filepath.Join(d, "notes"), []byte("x"), 0o644)
	h, err := host.Open(context.Background(), host.Options{Path: d})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	want := map[string]string{"dmslink": "is a symbolic link", "old": "is a folder", "notes": "is not executable"}
	for _, p := range h.Plugins() {
		w, ok := want[p.Name]
		if !ok {
			continue
		}
		delete(want, p.Name)
		if p.Err == nil || !strings.Contains(p.Err.Error(), w) {
			t.Errorf("%s: %v, want it reported as %q", p.Name, p.Err, w)
		}
	}
	for n := range want {
		t.Errorf("%s is not reported", n)
	}
	_, err = h.Describe(context.Background(), "dmslink")
	errorMentions(t, err, host.ErrNotPlugin, "dmslink", "symbolic link")
}

// The host executes exactly the bytes it verified. Here the
// binary is swapped back and forth, by rename, with an unverified program
// while hosts launch it: no launch may run the unverified one. (Hashing a
// path and then executing the path ran it in 7 of 30 launches.)
func TestExecutesVerifiedBytes(t *testing.T) {
	d := t.TempDir()
	good, evil := filepath.Join(d, ".good"), filepath.Join(d, ".evil")
	if err := plugintest.Copy(filepath.Join(dir, "dms"), good); err != nil {
		t.Fatal(err)
	}
	if err := plugintest.Copy(filepath.Join(dir, "faulty"), evil); err != nil {
		t.Fatal(err)
	}
	if err := plugintest.Copy(good, filepath.Join(d, "dms")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, d, []string{"dms"}, nil)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // swap dms between the two programs, atomically each time
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			src := good
			if i%2 == 1 {
				src = evil
			}
			tmp := filepath.Join(d, ".swap")
			os.Remove(tmp)
			if os.Link(src, tmp) == nil {
				os.Rename(tmp, filepath.Join(d, "dms"))
			}
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()
	ran, refused := 0, 0
	for range 30 {
		h, err := host.Open(context.Background(), host.Options{Path: d})
		if err != nil {
			t.Fatal(err)
		}
		desc, err := h.Describe(context.Background(), "dms")
		h.Close()
		switch {
		case errors.Is(err, host.ErrUnverified):
			refused++
		case err != nil:
			t.Fatalf("launch: %v", err)
		case strings.Contains(desc.Summary, "misbehaves"):
			ran++
		}
	}
	t.Logf("30 launches during swaps: %d refused as unverified, %d ran the unverified program", refused, ran)
	if ran > 0 {
		t.Fatalf("the unverified program ran in %d of 30 launches", ran)
	}
}

// A plugin folder or binary that anyone may write is warned
// about.
func TestWorldWritableWarning(t *testing.T) {
	d := t.TempDir()
	if err := plugintest.Copy(filepath.Join(dir, "dms"), filepath.Join(d, "dms")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, d, []string{"dms"}, nil)
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{d, 0o777 | os.ModeSticky}, {filepath.Join(d, "dms"), 0o777}} {
		if err := os.Chmod(c.path, c.mode); err != nil {
			t.Fatal(err)
		}
	}
	var warn bytes.Buffer
	h, err := host.Open(context.Background(), host.Options{Path: d, Warnings: &warn})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, p := range []string{d, filepath.Join(d, "dms")} {
		if !strings.Contains(warn.String(), p+" is world-writable") {
			t.Errorf("no warning about %s in %q", p, warn.String())
		}
	}
	t.Log(warn.String())
}

// The batch timeout, with the numbers that once broke it: one request at a
// time, 1.5 s each, 8 in flight, the default 10 s timeout. Before, the 8th request (12 s after the
// first was sent) timed out.
func TestSlowSerialPluginEightInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 12 s")
	}
	h := open(t, host.Options{})
	reqs := make([]task.Request, 8)
	for i := range reqs {
		reqs[i] = faultyArg("slow", "1500", 3)
		reqs[i].Index = uint64(i)
	}
	s := task.Prefetch(context.Background(), h, reqs, 8)
	defer s.Close()
	for i := range reqs {
		if _, err := s.Next(); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
}

// Close waits for a close already under way (the context watcher's), so a
// process that exits right after Close returns leaves no half-removed
// private folder.
func TestCloseWaitsForTheWatchersClose(t *testing.T) {
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	ctx, cancel := context.WithCancel(context.Background())
	h, err := host.Open(ctx, host.Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dms", "parity", "mod3"} {
		if _, err := h.Batch(context.Background(), task.Request{Task: name, N: 3, B: 2}); err != nil {
			t.Fatal(err)
		}
	}
	cancel() // the watcher starts closing the host
	time.Sleep(20 * time.Millisecond)
	h.Close()
	if left, _ := filepath.Glob(filepath.Join(rt, "cbrnn-tasks", "host-*")); len(left) > 0 {
		t.Errorf("Close returned with %v still there", left)
	}
}

// A mistyped task name gets one line naming the nearest task and the known
// ones; advice to build the plugins is for when there are none.
func TestUnknownTaskSuggests(t *testing.T) {
	h := open(t, host.Options{})
	_, err := h.Describe(context.Background(), "partiy")
	if !errors.Is(err, host.ErrNotFound) {
		t.Fatalf("unknown task: %v, want ErrNotFound", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `unknown task "partiy": did you mean parity? (known: `) || strings.Contains(msg, "\n") || strings.Contains(msg, "make plugins") {
		t.Errorf("unknown task: %q, want one line starting `unknown task \"partiy\": did you mean parity? (known: ` and no advice to build", msg)
	}
	empty, err := host.Open(context.Background(), host.Options{Path: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	_, err = empty.Describe(context.Background(), "parity")
	errorMentions(t, err, host.ErrNotFound, "no task plugins in", "make plugins")
}
