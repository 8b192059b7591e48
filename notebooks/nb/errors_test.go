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
