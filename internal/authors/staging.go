package authors

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// An import is assembled in a staging folder beside its destination,
// ".NAME.importing-RANDOM", and renamed into place when whole. The folder
// holds lockName, flocked by the importing process for as long as it runs.
const (
	stagingTag = ".importing-"
	lockName   = ".importing.lock"
)

// staging is an import's staging folder.
type staging struct {
	dir     string
	release func()
}

// stage sweeps the abandoned staging folders beside dst, then creates and
// locks a new one.
func stage(dst string) (*staging, error) {
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	sweepAbandoned(parent)
	var rnd [6]byte
	rand.Read(rnd[:])
	dir := filepath.Join(parent, "."+filepath.Base(dst)+stagingTag+hex.EncodeToString(rnd[:]))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the staging folder: %w", err)
	}
	release, err := lockFile(filepath.Join(dir, lockName))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("locking the staging folder %s: %w", dir, err)
	}
	return &staging{dir: dir, release: release}, nil
}

// discard removes the staging folder: an import that failed or was
// cancelled leaves nothing behind.
func (s *staging) discard() {
	s.release()
	os.RemoveAll(s.dir)
}

// commit renames the staging folder to dst. The lock file goes first, so
// that the run holds none of it.
func (s *staging) commit(dst string) error {
	s.release()
	if err := os.Rename(s.dir, dst); err != nil {
		return fmt.Errorf("moving the import into place: %w", err)
	}
	return nil
}

// sweepAbandoned removes, from parent, the staging folders of imports
// that died (killed, out of memory, power lost) before they could remove
// their own: those whose lock file no living process holds. A folder
// without a lock file is left alone: it may be one being created this
// instant, or one whose owner the sweeper cannot prove dead.
func sweepAbandoned(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".") || !strings.Contains(e.Name(), stagingTag) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if release, ok := abandoned(filepath.Join(dir, lockName)); ok {
			os.RemoveAll(dir)
			release()
		}
	}
}
