package host

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/renameio/v2"
)

// ManifestFile is the name of the manifest in a plugin directory.
const ManifestFile = "manifest.json"

// Manifest maps each plugin binary built by `make plugins` to its SHA-256.
// Only listed binaries with matching hashes are launched, so a stale,
// foreign or tampered binary in the directory never runs.
type Manifest struct {
	Version int               `json:"version"`
	Plugins map[string]string `json:"plugins"` // file name → hex SHA-256
	// BatchTimeouts gives slow plugins more service time per batch than
	// host.DefaultTimeout: file name → Go duration ("30s"). build.sh takes
	// it from a one-line file batch_timeout in the plugin's source folder.
	BatchTimeouts map[string]string `json:"batch_timeouts,omitempty"`
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("%s: manifest version %d, want 1", filepath.Join(dir, ManifestFile), m.Version)
	}
	for name, v := range m.BatchTimeouts {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return nil, fmt.Errorf("%s: batch_timeouts[%q] = %q is not a positive duration such as 30s", filepath.Join(dir, ManifestFile), name, v)
		}
	}
	return &m, nil
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteManifest hashes the named binaries in dir and writes dir/manifest.json
// (atomically). taskplugins/build.sh writes the same format; tests that
// build plugins into a temporary directory use this.
func WriteManifest(dir string, names []string) error {
	m := Manifest{Version: 1, Plugins: map[string]string{}}
	sort.Strings(names)
	for _, n := range names {
		sum, err := FileSHA256(filepath.Join(dir, n))
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		m.Plugins[n] = sum
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// renameio (github.com/google/renameio/v2): a temporary file in dir
	// itself, fsynced, then renamed over the manifest, so a host reading it
	// concurrently sees the old manifest or the new one, never a part.
	return renameio.WriteFile(filepath.Join(dir, ManifestFile), append(raw, '\n'), 0o644,
		renameio.WithTempDir(dir))
}

// Timeouts: how long one batch may take, per plugin (the manifest's
// batch_timeouts are one source).

// TimeoutEnv sets Options.Timeout when it is zero: a Go duration ("30s").
const TimeoutEnv = "CBRNN_BATCH_TIMEOUT"

// DefaultTimeout bounds one batch when nothing else does.
const DefaultTimeout = 10 * time.Second

// timeoutFor resolves a plugin's batch timeout: the option, else the
// environment, else its manifest entry, else DefaultTimeout.
func (h *Host) timeoutFor(name string, m *Manifest) time.Duration {
	switch {
	case h.opts.Timeout > 0:
		return h.opts.Timeout
	case h.envTimeout > 0:
		return h.envTimeout
	case m != nil && m.BatchTimeouts[name] != "":
		d, _ := time.ParseDuration(m.BatchTimeouts[name]) // checked by ReadManifest
		return d
	}
	return DefaultTimeout
}

// Timeout is the batch timeout in force for the named plugin.
func (h *Host) Timeout(name string) time.Duration {
	if e, ok := h.entries[name]; ok && e.timeout > 0 {
		return e.timeout
	}
	return DefaultTimeout
}
