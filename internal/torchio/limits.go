package torchio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// maxDecoded bounds the memory one file may decode into (its pickle, the
// raw bytes of its storages and the tensors made from them). The authors'
// largest networks (hidden 500, granule layer 512) hold a few MB of
// weights; 1 GiB leaves room for far larger ones while keeping a crafted
// file, whose header may declare any size, from exhausting the machine.
// Tests lower it.
var maxDecoded int64 = 1 << 30

// maxPickle bounds a pickle program (a checkpoint's data.pkl, a .npy
// object array): each byte may become an object of tens of bytes, and the
// authors' pickles are kilobytes.
const maxPickle = 64 << 20

// maxRatio is deflate's greatest compression ratio (about 1032:1): no entry
// of a zip file, however compressed, decodes to more than maxRatio times
// the file's size, so a header declaring more is lying.
const maxRatio = 1032

// OpenRegular opens path for reading, refusing anything but a regular file
// (a FIFO would block the open, or the read, forever; a device may never
// end), and returns the file and its size. The mode is checked before the
// open, and again on the opened file, which is opened non-blocking so that
// a file swapped for a FIFO in between cannot hang the open either.
func OpenRegular(path string) (*os.File, int64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if err := regular(path, info); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, err
	}
	if info, err = f.Stat(); err == nil {
		err = regular(path, info)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// ErrNotRegular is what OpenRegular's error wraps for a FIFO, device,
// socket or directory.
var ErrNotRegular = errors.New("not a regular file")

func regular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	kind := "a special file"
	switch m := info.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a FIFO (named pipe)"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		kind = "a device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("%s is %s: %w (cbrnn reads weights, stats and configs from regular files only)", path, kind, ErrNotRegular)
}

// ReadRegular reads a whole regular file of at most limit bytes: the small
// JSON files beside a run's weights.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, size, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > limit {
		return nil, fmt.Errorf("%s holds %d bytes, more than the %d this file may have", path, size, limit)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return buf, nil
}

// allowance is what is left of the memory one file may decode into.
type allowance struct {
	path string
	size int64
	left int64
}

// newAllowance grants a file of size bytes what it can honestly decode
// into: no more than maxDecoded, and no more than deflate could have packed
// into its size.
func newAllowance(path string, size int64) *allowance {
	left := maxDecoded
	if size < left/maxRatio {
		left = size*maxRatio + 1<<16
	}
	return &allowance{path: path, size: size, left: left}
}

// take reserves n bytes for what, or says why it cannot: asked before
// anything of that size is allocated.
func (a *allowance) take(what string, n int64) error {
	if n < 0 || n > a.left {
		return fmt.Errorf("%s: %s would need %d bytes, more than this %d-byte file can hold or may decode into (%d bytes left of its budget): a damaged or crafted file",
			a.path, what, n, a.size, a.left)
	}
	a.left -= n
	return nil
}

// mulLimit returns a·b, or −1 if it exceeds limit or either is negative.
func mulLimit(a, b, limit int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	if b != 0 && a > limit/b {
		return -1
	}
	return a * b
}
