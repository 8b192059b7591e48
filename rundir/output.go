package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Output files a user names (export --out, a figures folder) may already
// hold something cbrnn did not write: notes, another run's config.json, a
// symlink into somewhere else, a FIFO or, run as root, /dev/null. cbrnn
// never replaces what it did not write: an existing name is refused unless
// the user passes --force, and even then only a regular file or a symlink
// (which is replaced itself, never followed) is replaced; folders, FIFOs,
// devices and sockets are never written to.

// ExistsError refuses to replace an existing path. It wraps fs.ErrExist.
type ExistsError struct {
	Path string
	What string // "a file", "a symbolic link to …", "a folder", "a FIFO", …
	// Never is true for what --force does not replace either (folders,
	// FIFOs, devices, sockets).
	Never bool
}

func (e *ExistsError) Error() string {
	if e.Never {
		return fmt.Sprintf("refusing to write %s: it is %s, not a regular file, and is never replaced (not even with --force); choose another path", e.Path, e.What)
	}
	return fmt.Sprintf("refusing to replace %s: it already exists (%s) and this command did not write it; choose another path, or pass --force to replace it", e.Path, e.What)
}

func (e *ExistsError) Unwrap() error { return fs.ErrExist }

// CheckReplace says whether path may be written by a command that did not
// create it: nil if nothing is there; an *ExistsError if something is,
// unless force is set and it is a regular file or a symlink. It looks with
// Lstat, so a symlink is judged as itself, never by its target.
func CheckReplace(path string, force bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s before writing it: %w", path, err)
	}
	m := fi.Mode()
	switch {
	case m.IsRegular():
		if force {
			return nil
		}
		return &ExistsError{Path: path, What: "a file"}
	case m&fs.ModeSymlink != 0:
		if force {
			return nil // renameio renames over the link, not through it
		}
		what := "a symbolic link"
		if t, err := os.Readlink(path); err == nil {
			what += " to " + t
		}
		return &ExistsError{Path: path, What: what}
	}
	return &ExistsError{Path: path, What: kindOf(m), Never: true}
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// WriteNewFile writes data to path, atomically, as a file this command
// creates. Without force it never replaces anything: the file is created
// with a hard link from a complete temporary file, which fails if path
// exists (so a file that appears between the check and the write is not
// replaced either). With force, a regular file or a symlink at path is
// replaced (the symlink itself, not its target) by WriteFileAtomic; a
// folder, FIFO, device or socket is always refused.
func WriteNewFile(path string, data []byte, perm os.FileMode, force bool) error {
	if err := CheckReplace(path, force); err != nil {
		return err
	}
	if force {
		return WriteFileAtomic(path, data, perm)
	}
	created, err := createExclusive(path, data, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if !created {
		// Something appeared at path meanwhile.
		if err := CheckReplace(path, false); err != nil {
			return err
		}
		return &ExistsError{Path: path, What: "a file"}
	}
	return nil
}
