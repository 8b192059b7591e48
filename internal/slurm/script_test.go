package slurm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeBin writes executable shell scripts into a folder.
func fakeBin(t *testing.T, dir string, scripts map[string]string) {
	t.Helper()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestArrayScriptOnSignals runs array.sbatch outside Slurm, with squeue,
// scontrol and cbrnn faked, and checks what it does when SIGTERM comes: at a
// time limit (job RUNNING) it requeues its own task once cbrnn has saved;
// when Slurm is ending the job (requeue, preemption, scancel: COMPLETING)
// it leaves the decision to Slurm; past the requeue budget it stops.
func TestArrayScriptOnSignals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		state     string // what squeue says during the SIGTERM
		restarts  string
		signal    bool
		wantExit  int
		wantQueue bool
	}{
		{"time limit warning", "RUNNING", "0", true, 0, true},
		{"requeue, preemption or scancel", "COMPLETING", "0", true, ExitRequeue, false},
		{"requeue budget spent", "RUNNING", "20", true, ExitRequeue, false},
		{"no signal", "RUNNING", "0", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			os.Mkdir(bin, 0o755)
			log := filepath.Join(dir, "cbrnn.log")
			fakeBin(t, bin, map[string]string{
				// cbrnn trains until SIGTERM, then "saves" and exits 75.
				"cbrnn": `echo "args: $*" >>"$FAKE_LOG"
trap 'kill $sleeper; echo saved >>"$FAKE_LOG"; exit 75' TERM
if [ "$FAKE_SIGNAL" = 1 ]; then sleep 30 >/dev/null 2>&1 & sleeper=$!; wait; fi
echo finished >>"$FAKE_LOG"`,
				"squeue":   `echo "$FAKE_STATE"`,
				"scontrol": `echo "scontrol $*" >>"$FAKE_LOG"`,
			})
			in := testInput(t, Options{})
			in.Binary = filepath.Join(bin, "cbrnn")
			p, err := Make(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Write(); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", filepath.Join(in.Dir, ArrayFile))
			sig := "0"
			if tc.signal {
				sig = "1"
			}
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_LOG="+log, "FAKE_STATE="+tc.state,
				"FAKE_SIGNAL="+sig, "SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_JOB_ID=77", "SLURM_RESTART_COUNT="+tc.restarts)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.signal {
				waitFor(t, func() bool { b, _ := os.ReadFile(log); return strings.Contains(string(b), "args:") })
				time.Sleep(100 * time.Millisecond) // the fake's trap is set
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			err = cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(log)
			got := string(b)
			if code != tc.wantExit {
				t.Errorf("exit %d, want %d\nscript:\n%s\nfakes:\n%s", code, tc.wantExit, out.String(), got)
			}
			if !strings.Contains(got, "args: slurm-task --plan "+filepath.Join(in.Dir, PlanFile)+" --task 3") {
				t.Errorf("cbrnn was not run for task 3:\n%s", got)
			}
			if tc.signal && !strings.Contains(got, "saved") {
				t.Errorf("cbrnn did not get the SIGTERM:\n%s", got)
			}
			if queued := strings.Contains(got, "scontrol requeue 77_3"); queued != tc.wantQueue {
				t.Errorf("requeued: %v, want %v\n%s\n%s", queued, tc.wantQueue, got, out.String())
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
