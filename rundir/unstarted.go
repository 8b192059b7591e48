package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Unstarted reports whether the run at path never completed an epoch: it
// has a config.json but no resume state, no completed stats record, no
// checkpoint and is not done. That is what a start leaves when it is killed
// or fails during its first epoch; such a folder holds no result, so a new
// start may replace it (ClearUnstarted) instead of demanding --resume.
func Unstarted(path string) (bool, error) {
	d := &Dir{Path: path}
	if _, err := os.Stat(d.file(ConfigFile)); err != nil {
		return false, nil
	}
	for _, f := range []string{StateFile, DoneFile} {
		if _, err := os.Stat(d.file(f)); err == nil {
			return false, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("run %s: %w", path, err)
		}
	}
	lines, _, err := d.readStatsLines()
	if err != nil || len(lines) > 0 {
		return false, err
	}
	ns, err := d.CheckpointNs()
	if err != nil || len(ns) > 0 {
		return false, err
	}
	return true, nil
}

// ClearUnstarted removes what an unstarted run (see Unstarted) consists of:
// config.json, stats.jsonl, orphaned state tensors, temporary files, an
// empty checkpoints folder, and the files named in extra (such as the
// trainer's provenance.json). It holds the run's lock while doing so, so a
// start still in its first epoch in another process is never touched, and
// it removes nothing else: a folder that turns out to hold results is left
// as it is and cleared is false.
func ClearUnstarted(path string, extra ...string) (cleared bool, err error) {
	d := &Dir{Path: path}
	unlock, err := d.Lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	if ok, err := Unstarted(path); !ok || err != nil {
		return false, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return false, fmt.Errorf("run %s: %w", path, err)
	}
	names := map[string]bool{ConfigFile: true, StatsFile: true}
	for _, e := range extra {
		names[e] = true
	}
	for _, e := range entries {
		n := e.Name()
		if names[n] || (e.Type().IsRegular() && (isStateTensors(n) || isTemp(n))) {
			if err := os.Remove(filepath.Join(path, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return false, fmt.Errorf("run %s: clearing an unstarted run: %w", path, err)
			}
		}
	}
	os.Remove(d.file(CheckpointsDir)) // only if empty
	syncDir(path)
	return true, nil
}
