package host

// Staging: the verified private copy of a plugin binary that actually runs.

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// privateFolder returns the host's private folder, making it at the first
// launch (which also cleans up the stale folders of dead hosts).
func (h *Host) privateFolder() (string, error) {
	h.privMu.Lock()
	defer h.privMu.Unlock()
	if h.private == nil {
		p, err := newPrivateDir()
		if err != nil {
			return "", err
		}
		h.private = p
	}
	return h.private.path, nil
}

// stage copies e's binary into the private folder, hashing the bytes as it
// copies them, and returns the copy if they match the manifest. The copy is
// what runs: it is read-only, in a folder only this user can enter, so the
// program that runs is exactly the one that was verified, whatever happens
// to e.Path meanwhile. (Hashing e.Path and then executing e.Path, as
// go-plugin's SecureConfig does, runs whatever is there at exec time.)
func (h *Host) stage(e *entry, priv string) (string, error) {
	if e.staged != "" {
		return e.staged, nil
	}
	src, err := os.Open(e.Path)
	if err != nil {
		return "", e.fail(nil, ErrHandshake, err)
	}
	defer src.Close()
	bin := filepath.Join(priv, "bin")
	tmp, err := os.CreateTemp(bin, "."+e.Name+"-*")
	if err != nil {
		return "", e.fail(nil, ErrHandshake, fmt.Errorf("copying into the private folder: %w", err))
	}
	sum := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, sum), src)
	if err == nil {
		err = tmp.Chmod(0o500)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", e.fail(nil, ErrHandshake, fmt.Errorf("copying into the private folder: %w", err))
	}
	if !bytes.Equal(sum.Sum(nil), e.sum) {
		os.Remove(tmp.Name())
		return "", e.fail(nil, ErrUnverified, fmt.Errorf("SHA-256 of %s does not match %s (modified or replaced since the build); rebuild with `make plugins`",
			e.Path, filepath.Join(filepath.Dir(e.Path), ManifestFile)))
	}
	dst := filepath.Join(bin, e.Name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return "", e.fail(nil, ErrHandshake, err)
	}
	e.staged = dst
	return dst, nil
}
