//go:build unix

package trainer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// childEnv names the run directory a re-executed test binary trains in,
// and regimeEnv which of killConfigs it trains.
const (
	childEnv  = "CBRNN_TRAINER_KILL_CHILD"
	regimeEnv = "CBRNN_TRAINER_KILL_REGIME"
)

// killConfigs are the runs killed: the paper's curriculum and the continual
// one, whose state (per-task N, streaks, phase clock, the regime's phase) and named
// checkpoints must survive a kill as well.
var killConfigs = map[string]func() Config{
	"single": func() Config {
		c := tiny("dms", 11)
		c.Epochs, c.Steps = 8, 6
		return c
	},
	"continual": func() Config {
		c := tinyOn("switch", 2, 2, nil, 12)
		c.Epochs, c.Steps = 8, 6
		c.Regime, c.Curricula = PerTaskOnce, Curricula{Curriculum: Continual, Plan: "dms,parity,dms", EpochsPerPhase: 3}
		return c
	},
}

func killConfig() Config { return killConfigs[os.Getenv(regimeEnv)]() }

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
	for _, regime := range []string{"single", "continual"} {
		t.Run(regime, func(t *testing.T) {
			t.Setenv(regimeEnv, regime)
			resumeAfterKill9(t)
		})
	}
}

func resumeAfterKill9(t *testing.T) {
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
	a, b := stats(t, full.Dir), stats(t, d)
	sameStats(t, "killed and resumed vs uninterrupted", a, b, 1e-6)
	for i := range a {
		if a[i].Active != b[i].Active || a[i].PlanPhase != b[i].PlanPhase || !slices.Equal(a[i].HeadN, b[i].HeadN) {
			t.Fatalf("epoch %d: task %s phase %d Ns %v, uninterrupted %s %d %v", i+1, b[i].Active, b[i].PlanPhase, b[i].HeadN, a[i].Active, a[i].PlanPhase, a[i].HeadN)
		}
	}
	ca, _ := full.Dir.NamedCheckpoints()
	cb, _ := d.NamedCheckpoints()
	if !slices.Equal(ca, cb) {
		t.Errorf("named checkpoints %v, uninterrupted %v", cb, ca)
	}
}
