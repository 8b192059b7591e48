package nb

import (
	"os"
	"path/filepath"

	"github.com/cbrnn/cbrnn/rundir"
)

// ScratchDir is an empty folder for a notebook's own files (a task plugin
// it scaffolds, a run it trains live): <CacheDir>/name, emptied first.
func ScratchDir(name string) string {
	dir := filepath.Join(CacheDir(), name)
	Check(os.RemoveAll(dir))
	Check(os.MkdirAll(dir, 0o755))
	return dir
}

// ScratchRun is a fresh run directory for config at <CacheDir>/name: a
// notebook that trains live starts from scratch every time the cell runs
// (so its outputs are the same on every rerun), unlike the cached runs of
// the figures. Later cells reopen it with OpenScratchRun.
func ScratchRun(name string, config any) *rundir.Dir {
	return Must(rundir.Create(ScratchDir(name), config))
}

// OpenScratchRun reopens the run a previous cell trained with ScratchRun.
func OpenScratchRun(name string) *rundir.Dir {
	return Must(rundir.Open(filepath.Join(CacheDir(), name)))
}
