package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/cbrnn/cbrnn/env"
)

// mainEnv makes the test binary run main() instead of the tests, with the
// arguments after "--" (see TestMain).
const mainEnv = "CBRNN_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{os.Args[0]}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

func init() {
	// stop-self sends this process SIGTERM, as Slurm or Ctrl-C would, waits
	// for the cancellation and returns it, wrapped as slurm-task's requeue
	// when its argument says so.
	register("stop-self", "test only", func(ctx context.Context, args []string) error {
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-ctx.Done()
		if len(args) > 0 && args[0] == "requeue" {
			return requeueError{ctx.Err()}
		}
		return ctx.Err()
	})
}

// An interrupted command says so in one line and exits 130;
// a command that chose its exit status keeps it (slurm-task's requeue).
func TestInterruptExitStatus(t *testing.T) {
	for _, c := range []struct {
		args  []string
		quiet bool
		code  int
		want  string
	}{
		{[]string{"stop-self"}, false, 130, "cbrnn stop-self: interrupted; "},
		{[]string{"stop-self"}, true, 130, ""},
		{[]string{"stop-self", "requeue"}, false, 75, "cbrnn stop-self: "},
	} {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, c.args...)...)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		if c.quiet {
			cmd.Env = append(cmd.Env, env.QuietInterruptVar+"=1")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != c.code {
			t.Errorf("%v (quiet %v): %v, want exit status %d", c.args, c.quiet, err, c.code)
		}
		got := strings.TrimSpace(stderr.String())
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) || strings.Contains(got, "\n") || strings.Contains(got, "context canceled") && c.code == 130 {
			t.Errorf("%v (quiet %v): stderr %q, want one line starting %q", c.args, c.quiet, got, c.want)
		}
	}
}
