package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/cbrnn/cbrnn/safetensors"
)

// Named checkpoints are for curricula whose N is not one number per run:
// the continual curriculum checkpoints each task's advances, and revisits
// Ns, so its checkpoints are named by task, epoch and N (the authors'
// checkpoints/{task}_continual_ep{e}_N{n}.pt). They sit beside the N-keyed
// checkpoints, which CheckpointNs and LoadCheckpoint never confuse with them
// (their names start with a task name, not "N").

// namedCheckpoint is what a checkpoint name may be: letters, digits, '_'
// and '-', starting with a letter other than N followed by a digit.
var namedCheckpoint = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

func checkName(name string) error {
	if !namedCheckpoint.MatchString(name) || len(name) > 200 {
		return fmt.Errorf("checkpoint name %q: want letters, digits, '_' or '-', starting with a letter", name)
	}
	if len(name) > 1 && name[0] == 'N' && name[1] >= '0' && name[1] <= '9' {
		return fmt.Errorf("checkpoint name %q would read as an N-keyed checkpoint", name)
	}
	return nil
}

// SaveNamedCheckpoint writes, atomically, checkpoints/<name>.safetensors
// with meta as its metadata.
func (d *Dir) SaveNamedCheckpoint(name string, ts []safetensors.Tensor, meta map[string]string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	dir := d.file(CheckpointsDir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("run %s: %w", d.Path, err)
		}
		syncDir(d.Path)
	}
	if err := safetensors.WriteFile(filepath.Join(dir, name+tensorsExt), ts, maps.Clone(meta)); err != nil {
		return fmt.Errorf("run %s: checkpoint %s: %w", d.Path, name, err)
	}
	return nil
}

// LoadNamedCheckpoint reads checkpoints/<name>.safetensors.
func (d *Dir) LoadNamedCheckpoint(name string) ([]safetensors.Tensor, map[string]string, error) {
	if err := checkName(name); err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", d.Path, err)
	}
	ts, meta, err := safetensors.ReadFile(filepath.Join(d.file(CheckpointsDir), name+tensorsExt))
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: checkpoint %s: %w", d.Path, name, err)
	}
	return ts, meta, nil
}

// NamedCheckpoints lists the named checkpoints, sorted.
func (d *Dir) NamedCheckpoints() ([]string, error) {
	entries, err := os.ReadDir(d.file(CheckpointsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", d.Path, err)
	}
	out := []string{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), tensorsExt)
		if ok && !e.IsDir() && checkName(name) == nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
