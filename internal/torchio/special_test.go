//go:build unix

package torchio

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesRefused: a FIFO would block the open (or the read) for
// ever, a device may never end: every reader refuses both at once, naming
// the file.
func TestSpecialFilesRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rnn_N2_N2")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	readers := map[string]func(string) error{
		"Sniff":          func(p string) error { _, err := Sniff(p); return err },
		"ReadCheckpoint": func(p string) error { _, err := ReadCheckpoint(p); return err },
		"ReadTensors":    func(p string) error { _, _, _, err := ReadTensors(p); return err },
		"ReadNpyObject":  func(p string) error { _, err := ReadNpyObject(p); return err },
		"ReadRegular":    func(p string) error { _, err := ReadRegular(p, 1<<20); return err },
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		for name, read := range readers {
			t.Run(name+" "+filepath.Base(path), func(t *testing.T) {
				done := make(chan error, 1)
				go func() { done <- read(path) }()
				select {
				case err := <-done:
					if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), path) {
						t.Errorf("error %v, want ErrNotRegular naming %s", err, path)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%s(%s) still blocked after 5 s", name, path)
				}
			})
		}
	}
}
