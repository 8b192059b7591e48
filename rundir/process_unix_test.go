//go:build unix

package rundir

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/safetensors"
)

// The helper process: the test binary re-executed with helperEnv set to a
// mode and helperDirEnv to a run directory.
const (
	helperEnv    = "RUNDIR_TEST_HELPER"
	helperDirEnv = "RUNDIR_TEST_DIR"
)

// bigTensors is a resume state large enough that a kill often lands in the
// middle of writing it.
func bigTensors(v float32) []safetensors.Tensor {
	ts := []safetensors.Tensor{
		{Name: "w", Shape: []int{128, 128}, Data: make([]float32, 128*128)},
		{Name: "momentum/w", Shape: []int{128, 128}, Data: make([]float32, 128*128)},
	}
	for i := range ts[0].Data {
		ts[0].Data[i], ts[1].Data[i] = v, -v
	}
	return ts
}

// TestHelperProcess is not a test: it is the child process of the tests
// below.
//
//	churn: resume the run as the trainer does, then commit epochs
//	       (checkpoint, stats line, state) as fast as it can; it prints
//	       "ready" after the first and runs until killed (20 s at most).
//	lock:  take the run's lock, print "locked" (or the error), hold the lock
//	       until stdin closes, then release it and exit.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	dir := os.Getenv(helperDirEnv)
	switch mode {
	case "churn":
		d, err := Create(dir, cfgA)
		if err != nil {
			fail(err)
		}
		var m stateMeta
		if _, _, err := d.LoadState(&m); err != nil {
			fail(err)
		}
		if err := d.TruncateStats(m.Epoch); err != nil {
			fail(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for epoch := m.Epoch + 1; time.Now().Before(deadline); epoch++ {
			v := float32(epoch)
			if err := d.SaveCheckpoint(2+epoch%4, bigTensors(v)[:1], map[string]string{"epoch": strconv.Itoa(epoch)}); err != nil {
				fail(err)
			}
			if err := d.AppendStats(rec{Epoch: epoch, Loss: float64(epoch) / 3}); err != nil {
				fail(err)
			}
			if err := d.SaveState(stateMeta{epoch}, bigTensors(v)); err != nil {
				fail(err)
			}
			if epoch == m.Epoch+1 {
				fmt.Println("ready")
			}
		}
		os.Exit(0)
	case "lock":
		d, err := Open(dir)
		if err != nil {
			fail(err)
		}
		unlock, err := d.Lock()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(0)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		unlock()
		os.Exit(0)
	}
	fail(fmt.Errorf("unknown mode %q", mode))
}

type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startHelper(t *testing.T, mode, dir string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			h.cmd.Process.Kill()
			h.cmd.Wait()
		}
	})
	return h
}

// line reads the helper's next line of output.
func (h *helper) line(t *testing.T) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := h.out.ReadString('\n')
		ch <- result{strings.TrimSpace(s), err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("helper exited without output: %v", r.err)
		}
		return r.s
	case <-time.After(15 * time.Second):
		t.Fatal("helper did not answer in 15 s")
	}
	return ""
}

// TestKill9 kills a process committing epochs at random moments, and checks
// after each kill that the run reads back consistently and resumes.
func TestKill9(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	lastEpoch := 0
	for round := range 5 {
		h := startHelper(t, "churn", dir)
		if s := h.line(t); s != "ready" {
			t.Fatalf("round %d: helper said %q", round, s)
		}
		time.Sleep(time.Duration(rand.IntN(100_000)) * time.Microsecond)
		if err := h.cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		h.cmd.Wait()

		d, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var m stateMeta
		ts, found, err := d.LoadState(&m)
		if err != nil || !found {
			t.Fatalf("round %d: LoadState: found=%v, %v", round, found, err)
		}
		if m.Epoch <= lastEpoch {
			t.Errorf("round %d: state at epoch %d, not past the previous round's %d", round, m.Epoch, lastEpoch)
		}
		lastEpoch = m.Epoch
		for _, x := range ts {
			want := float32(m.Epoch)
			if x.Name == "momentum/w" {
				want = -want
			}
			if len(x.Data) != 128*128 || x.Data[0] != want || x.Data[len(x.Data)-1] != want {
				t.Fatalf("round %d: tensor %s does not belong to the state of epoch %d", round, x.Name, m.Epoch)
			}
		}
		st, err := ReadStats[rec](d)
		if err != nil {
			t.Fatalf("round %d: ReadStats: %v", round, err)
		}
		if len(st) < m.Epoch {
			t.Fatalf("round %d: %d stats records, fewer than the state's %d epochs", round, len(st), m.Epoch)
		}
		for i, r := range st {
			if r.Epoch != i+1 {
				t.Fatalf("round %d: stats record %d is epoch %d", round, i+1, r.Epoch)
			}
		}
		ns, err := d.CheckpointNs()
		if err != nil || len(ns) == 0 {
			t.Fatalf("round %d: CheckpointNs = %v, %v", round, ns, err)
		}
		for _, n := range ns {
			ts, meta, err := d.LoadCheckpoint(n)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if e, _ := strconv.Atoi(meta["epoch"]); ts[0].Data[0] != float32(e) || meta["n"] != strconv.Itoa(n) {
				t.Fatalf("round %d: checkpoint N=%d inconsistent: meta %v, data %v", round, n, meta, ts[0].Data[0])
			}
		}
		t.Logf("round %d: killed at state epoch %d, %d stats records", round, m.Epoch, len(st))
	}
	// Resuming clears what the kills left behind.
	d, _ := Open(dir)
	if err := d.SaveState(stateMeta{lastEpoch}, bigTensors(float32(lastEpoch))); err != nil {
		t.Fatal(err)
	}
	assertNoStrays(t, d)
}

func TestLockAcrossProcesses(t *testing.T) {
	d := newDir(t)
	busy := fmt.Sprintf("run %s is in use by another process", d.Path)

	// Another process holds the lock: this one and a third are refused.
	a := startHelper(t, "lock", d.Path)
	if s := a.line(t); s != "locked" {
		t.Fatalf("first helper: %q", s)
	}
	_, err := d.Lock()
	wantErr(t, err, busy)
	b := startHelper(t, "lock", d.Path)
	if s := b.line(t); !strings.Contains(s, busy) {
		t.Errorf("second helper: %q, want %q", s, busy)
	}
	b.cmd.Wait()

	// Released by the holder: this process gets it, and excludes others,
	// including a second Lock of its own.
	a.stdin.Close()
	a.cmd.Wait()
	unlock, err := d.Lock()
	if err != nil {
		t.Fatalf("Lock after the holder released it: %v", err)
	}
	_, err = d.Lock()
	wantErr(t, err, busy)
	c := startHelper(t, "lock", d.Path)
	if s := c.line(t); !strings.Contains(s, busy) {
		t.Errorf("helper while this process holds the lock: %q", s)
	}
	c.cmd.Wait()
	unlock()
	unlock() // idempotent

	// A holder killed with SIGKILL releases the lock too.
	e := startHelper(t, "lock", d.Path)
	if s := e.line(t); s != "locked" {
		t.Fatalf("helper after unlock: %q", s)
	}
	e.cmd.Process.Kill()
	e.cmd.Wait()
	unlock, err = d.Lock()
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	unlock()
}
