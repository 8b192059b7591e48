package host

// Discovery: where plugins are looked for and which files on the path can
// be plugins.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PathEnv overrides where plugins are looked for: a list of directories
// separated by os.PathListSeparator, each with its own manifest.json.
const PathEnv = "CBRNN_TASK_PATH"

// DefaultDir is where `make plugins` puts the binaries, relative to the
// repository root.
const DefaultDir = "taskplugins/bin"

// DefaultPath is the plugin path used when Options.Path is empty.
func DefaultPath() string {
	if p := os.Getenv(PathEnv); p != "" {
		return p
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			c := filepath.Join(dir, DefaultDir)
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return DefaultDir
}

// scan adds the executables of dir; earlier directories win. What cannot
// be a plugin (a symbolic link, a folder, a file that is not executable)
// is listed with the reason it is skipped, so that it is not skipped
// without a word.
func (h *Host) scan(dir string) error {
	files, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("task plugins: %w", err)
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o002 != 0 {
		fmt.Fprintf(h.opts.Warnings, "warning: task plugin folder %s is world-writable: anyone on this machine can replace its plugins and its manifest; chmod o-w it\n", dir)
	}
	m, merr := ReadManifest(dir)
	for _, f := range files {
		name := f.Name()
		if strings.HasPrefix(name, ".") || name == ManifestFile || strings.HasSuffix(name, ".tmp") {
			continue
		}
		if _, dup := h.entries[name]; dup {
			continue
		}
		e := &entry{Plugin: Plugin{Name: name, Path: filepath.Join(dir, name)}}
		h.entries[name] = e
		info, err := f.Info()
		if err != nil {
			e.Err = e.fail(nil, ErrNotPlugin, err)
			continue
		}
		if skip := notPlugin(e.Path, info); skip != "" {
			e.Err = e.fail(nil, ErrNotPlugin, fmt.Errorf("%s %s, so it is skipped", e.Path, skip))
			continue
		}
		if info.Mode().Perm()&0o002 != 0 {
			fmt.Fprintf(h.opts.Warnings, "warning: task plugin %s is world-writable: anyone on this machine can change it; chmod o-w it\n", e.Path)
		}
		switch {
		case merr != nil:
			e.Err = e.fail(nil, ErrUnverified, fmt.Errorf("no usable manifest in %s (%v); rebuild with `make plugins`", dir, merr))
		case m.Plugins[name] == "":
			e.Err = e.fail(nil, ErrUnverified, fmt.Errorf("%s is not listed in %s, so it was not built by `make plugins`; rebuild with `make plugins` (taskplugins/build.sh)",
				e.Path, filepath.Join(dir, ManifestFile)))
		default:
			sum, err := hex.DecodeString(m.Plugins[name])
			if err != nil || len(sum) != sha256.Size {
				e.Err = e.fail(nil, ErrUnverified, fmt.Errorf("bad SHA-256 for %s in %s; rebuild with `make plugins`", name, filepath.Join(dir, ManifestFile)))
			}
			e.sum = sum
		}
		e.timeout = h.timeoutFor(name, m)
	}
	return nil
}

// notPlugin says why a directory entry cannot be a plugin binary, or "".
func notPlugin(path string, info fs.FileInfo) string {
	switch mode := info.Mode(); {
	case mode&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return fmt.Sprintf("is a symbolic link (to %s): the host runs only regular files, verified against the manifest; put the binary built by `make plugins` there instead", target)
	case mode.IsDir():
		return "is a folder, not a plugin binary"
	case !mode.IsRegular():
		return "is not a regular file"
	case mode.Perm()&0o111 == 0:
		return "is not executable (plugins are built by `make plugins`)"
	}
	return ""
}

// Plugins lists the binaries found, sorted by name.
func (h *Host) Plugins() []Plugin {
	out := make([]Plugin, 0, len(h.entries))
	for _, e := range h.entries {
		out = append(out, e.Plugin)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
