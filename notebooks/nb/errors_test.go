package nb

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/internal/suggest"
	"github.com/cbrnn/cbrnn/taskplugins/host"
)

// In a notebook (GoNB sets $GONB_PIPE for the cell's program), a failed
// Check prints one line and ends the cell with status 1: no panic, no
// goroutine trace.
func TestCheckInNotebookIsOneLine(t *testing.T) {
	if os.Getenv("NB_TEST_CHECK") == "1" {
		Check(suggest.Unknown("task", "partiy", []string{"dms", "parity"}))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckInNotebookIsOneLine$")
	cmd.Env = append(os.Environ(), "NB_TEST_CHECK=1", "GONB_PIPE="+filepath.Join(t.TempDir(), "pipe"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	want := `error: unknown task "partiy": did you mean parity? (known: dms, parity)`
	if got := strings.TrimSpace(stderr.String()); got != want {
		t.Errorf("stderr:\n%s\nwant the one line\n%s", got, want)
	}
}

// Outside a notebook Check panics with the error, which tests recover.
func TestCheckOutsideNotebookPanics(t *testing.T) {
	want := errors.New("boom")
	defer func() {
		if r := recover(); r != want {
			t.Errorf("recovered %v, want %v", r, want)
		}
	}()
	Check(want)
}

// The first Env of a checkout without built plugins builds them, once.
func TestEnsurePluginsBuildsOnce(t *testing.T) {
	t.Setenv(host.PathEnv, "")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "taskplugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	count := filepath.Join(root, "builds")
	script := "#!/bin/sh\nset -e\necho built >> " + count + "\nmkdir -p taskplugins/bin\necho '{}' > taskplugins/bin/manifest.json\n"
	if err := os.WriteFile(filepath.Join(root, "taskplugins", "build.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var said bytes.Buffer
	for range 2 {
		if err := ensurePlugins(root, &said); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(count); string(b) != "built\n" {
		t.Errorf("build.sh ran %d times, want once", strings.Count(string(b), "built"))
	}
	if n := strings.Count(said.String(), "building them once"); n != 1 {
		t.Errorf("said %q, want one line about building the plugins", said.String())
	}
	// A failing build is an error that carries the script's output.
	os.Remove(filepath.Join(root, host.DefaultDir, host.ManifestFile))
	os.WriteFile(filepath.Join(root, "taskplugins", "build.sh"), []byte("#!/bin/sh\necho 'no go here' >&2\nexit 3\n"), 0o755)
	if err := ensurePlugins(root, &said); err == nil || !strings.Contains(err.Error(), "no go here") {
		t.Errorf("failing build: %v", err)
	}
	// $CBRNN_TASK_PATH names plugins built elsewhere: nothing is built.
	t.Setenv(host.PathEnv, t.TempDir())
	if err := ensurePlugins(root, &said); err != nil {
		t.Errorf("with %s set: %v", host.PathEnv, err)
	}
}
