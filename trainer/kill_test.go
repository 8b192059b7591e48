//go:build unix

package trainer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// childEnv names the run directory a re-executed test binary trains in.
const childEnv = "CBRNN_TRAINER_KILL_CHILD"

func killConfig() Config {
	c := tiny("dms", 11)
	c.Epochs, c.Steps = 8, 6
	return c
}

// TestKillChild is the child process of TestResumeAfterKill9: it trains
// until killed. It does nothing in a normal test run.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("child process of TestResumeAfterKill9")
	}
	r := newRun(t, killConfig(), dir)
	if err := Train(context.Background(), []Run{r}, Options{Backend: backend(t), Source: tasks.NewLocal()}); err != nil {
		t.Fatal(err)
	}
}

// TestResumeAfterKill9 kills a training process with SIGKILL at several
// moments and resumes it each time; the final stats must equal those of an
// uninterrupted run.
func TestResumeAfterKill9(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	be := backend(t)
	src := tasks.NewLocal()
	full := newRun(t, killConfig(), filepath.Join(t.TempDir(), "full"))
	if err := Train(context.Background(), []Run{full}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "killed")
	for round, after := range []int{1, 3, 5} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once the child has committed `after` epochs in total: that
		// lands inside an epoch, a stats write, or a state write.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if d, err := rundir.Open(dir); err == nil {
				if st, err := rundir.ReadStats[EpochStats](d); err == nil && len(st) >= after {
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("round %d: child made no progress", round)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	d, err := rundir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if done, _ := d.Done(); done {
		t.Log("the child finished before the last kill; resume is then a no-op")
	}
	resumed := Run{Config: killConfig(), Dir: d}
	if err := Train(context.Background(), []Run{resumed}, Options{Backend: be, Source: src}); err != nil {
		t.Fatal(fmt.Errorf("resume after kill -9: %w", err))
	}
	sameStats(t, "killed and resumed vs uninterrupted", stats(t, full.Dir), stats(t, d), 1e-6)
}
