// Package scripts_test checks the shell entry points (reproduce.sh,
// notebooks/run.sh) from the outside, as a user runs them.
package scripts_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Bad arguments get a clear message and exit status 2, before
// anything is set up or built.
func TestReproduceRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile"}, "reproduce.sh: --profile needs a value: smoke, quick, standard or paper (see --help)"},
		{[]string{"--profile", "--jobs", "2"}, "reproduce.sh: --profile needs a value"},
		{[]string{"--jobs"}, "reproduce.sh: --jobs needs a value"},
		{[]string{"--jobs", "-1"}, "reproduce.sh: --jobs -1: want 0 (automatic"},
		{[]string{"--jobs", "two"}, "reproduce.sh: --jobs two: want 0 (automatic"},
		{[]string{"--out"}, "reproduce.sh: --out needs a value: a folder"},
		{[]string{"--backend"}, "reproduce.sh: --backend needs a value"},
		{[]string{"--profile", "fast"}, "reproduce.sh: unknown profile fast"},
		{[]string{"--frobnicate"}, "reproduce.sh: unknown argument --frobnicate"},
		// --opt=VALUE works for every option that takes a value, and
		// --sbatch-arg's value is an sbatch option, dashes and all: these
		// reach the check that Slurm options need --slurm.
		{[]string{"--sbatch-arg", "--mem=8G"}, "reproduce.sh: --sbatch-arg=--mem=8G only go with --slurm"},
		{[]string{"--sbatch-arg=--mem=8G"}, "reproduce.sh: --sbatch-arg=--mem=8G only go with --slurm"},
		{[]string{"--partition=cpu", "--time=1:00:00"}, "reproduce.sh: --partition=cpu --time=1:00:00 only go with --slurm"},
		{[]string{"--gpus=2"}, "reproduce.sh: --gpus=2 only go with --slurm"},
		{[]string{"--profile=smoke", "--jobs=two"}, "reproduce.sh: --jobs two: want 0 (automatic"},
		{[]string{"--profile=fast"}, "reproduce.sh: unknown profile fast"},
		{[]string{"--out="}, "reproduce.sh: --out needs a value: a folder"},
		{[]string{"--sbatch-arg"}, "reproduce.sh: --sbatch-arg needs a value"},
		{[]string{"--no-notebooks=1"}, "reproduce.sh: --no-notebooks takes no value"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			cmd := exec.Command(filepath.Join(root(), "reproduce.sh"), c.args...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				t.Errorf("exit: %v, want status 2", err)
			}
			if got := strings.TrimSpace(stderr.String()); !strings.HasPrefix(got, c.want) || strings.Count(got, "\n") > 0 {
				t.Errorf("output %q, want one line starting %q", got, c.want)
			}
		})
	}
}

// The values of --sbatch-arg, in both forms, reach the batch scripts that
// a --slurm --dry-run writes (one #SBATCH line each).
func TestReproduceSbatchArgReachesScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and the task plugins")
	}
	out, dir := t.TempDir(), t.TempDir()
	cmd := exec.Command(filepath.Join(root(), "reproduce.sh"), "--slurm", "--dry-run", "--profile", "smoke",
		"--no-notebooks", "--out", out, "--slurm-dir="+dir, "--sbatch-arg", "--mem=8G", "--sbatch-arg=--constraint=h100")
	cmd.Dir = root()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, b)
	}
	scripts, _ := filepath.Glob(filepath.Join(dir, "*.sbatch"))
	n := 0
	for _, f := range scripts {
		s, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, want := range []string{"#SBATCH --mem=8G\n", "#SBATCH --constraint=h100\n"} {
			if !bytes.Contains(s, []byte(want)) {
				t.Errorf("%s lacks %q:\n%s", f, want, s)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d batch scripts in %s (%v), want the array's and the figures job's; output:\n%s", n, dir, scripts, b)
	}
}

// interrupt runs cmd in its own process group, waits until ready reports
// true for a line of its stdout, sends the group SIGINT after settle (as a
// terminal's Ctrl-C does), and returns the exit status and stderr.
func interrupt(t *testing.T, cmd *exec.Cmd, ready func(line string) bool, settle time.Duration, limit time.Duration) (int, string) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	defer syscall.Kill(-pgid, syscall.SIGKILL)
	timer := time.AfterFunc(limit, func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	defer timer.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if ready(sc.Text()) {
			break
		}
	}
	time.Sleep(settle)
	syscall.Kill(-pgid, syscall.SIGINT)
	go func() { // drain
		for sc.Scan() {
		}
	}()
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return code, stderr.String()
}

// oneInterruptLine checks that stderr holds exactly one line about the
// interruption, containing want, and none of the noise an interrupted run
// once printed (a cancelled context, Python tracebacks, a closed host).
func oneInterruptLine(t *testing.T, stderr, want string) {
	t.Helper()
	n := 0
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(strings.ToLower(l), "interrupt") {
			n++
			if !strings.Contains(l, want) {
				t.Errorf("interruption line %q does not mention %q", l, want)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d lines about the interruption, want 1; stderr:\n%s", n, stderr)
	}
	for _, noise := range []string{"context canceled", "AssertionError", "Traceback", "FAILED", "task host is closed"} {
		if strings.Contains(stderr, noise) {
			t.Errorf("stderr says %q:\n%s", noise, stderr)
		}
	}
}

// Ctrl-C during training prints one line that says what was
// interrupted and that a rerun resumes, and exits 130.
func TestReproduceInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and trains for a while")
	}
	out := t.TempDir()
	cmd := exec.CommandContext(context.Background(), filepath.Join(root(), "reproduce.sh"), "--profile", "smoke", "--no-notebooks", "--out", out)
	cmd.Dir = root()
	code, stderr := interrupt(t, cmd, func(l string) bool { return strings.Contains(l, "train and draw") }, 3*time.Second, 10*time.Minute)
	if code != 130 {
		t.Errorf("exit status %d, want 130", code)
	}
	oneInterruptLine(t, stderr, "reproduce.sh: interrupted during train and draw")
	if !strings.Contains(stderr, "rerunning the same command resumes") {
		t.Errorf("the line does not say that a rerun resumes:\n%s", stderr)
	}
}

// notebooks/run.sh run directly builds with SIMD like the rest
// (GOEXPERIMENT=simd), and Ctrl-C during a notebook prints one line, not
// nbclient's AssertionError.
func TestNotebooksInterruptedAndSIMD(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook through Jupyter and GoNB")
	}
	if _, err := os.Stat("/usr/bin/jupyter"); err != nil {
		t.Skip("no Jupyter")
	}
	tmp, nbOut := t.TempDir(), t.TempDir()
	cmd := exec.Command(filepath.Join(root(), "notebooks", "run.sh"), "explore")
	cmd.Dir = root()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOEXPERIMENT=") && !strings.HasPrefix(kv, "CBRNN_QUIET_INTERRUPT=") {
			env = append(env, kv)
		}
	}
	out := t.TempDir()
	cmd.Env = append(env, "CBRNN_SKIP_SETUP=1", "CBRNN_PROFILE=smoke", "CBRNN_OUT="+out, "CBRNN_NB_OUT="+nbOut, "TMPDIR="+tmp)
	// Interrupt once the notebook's live training has trained an epoch
	// (its scratch run is in $CBRNN_OUT/.cache/notebooks/explore).
	ready := func(string) bool {
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if m, _ := filepath.Glob(filepath.Join(out, ".cache", "notebooks", "explore", "stats.jsonl")); len(m) > 0 {
				return true
			}
		}
		return true
	}
	code, stderr := interrupt(t, cmd, ready, 0, 10*time.Minute)
	if code != 130 {
		t.Errorf("exit status %d, want 130", code)
	}
	oneInterruptLine(t, stderr, "run.sh: interrupted while executing notebook explore")
	nb, err := os.ReadFile(filepath.Join(nbOut, "explore.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(nb, []byte("SIMD matmuls on")) {
		t.Errorf("the notebook's backend was not built with SIMD (GOEXPERIMENT unset in the caller)")
	}
}
