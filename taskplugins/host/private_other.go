//go:build !unix

package host

import (
	"fmt"
	"os"
)

// privateEnv marks plugin processes with their host's private folder.
const privateEnv = "CBRNN_TASK_HOST_DIR"

// privateDir is the host's own folder; without flock there is no telling a
// stale one from a live one, so stale folders are not cleaned up here.
type privateDir struct{ path string }

func newPrivateDir() (*privateDir, error) {
	path, err := os.MkdirTemp("", "cbrnn-tasks-")
	if err != nil {
		return nil, fmt.Errorf("task plugins: private folder: %w", err)
	}
	for _, sub := range []string{"bin", "tmp"} {
		if err := os.Mkdir(path+string(os.PathSeparator)+sub, 0o700); err != nil {
			return nil, err
		}
	}
	return &privateDir{path: path}, nil
}

func (p *privateDir) close() { os.RemoveAll(p.path) }

func killGroup(int) {}

func cleanStaleHosts() {}
