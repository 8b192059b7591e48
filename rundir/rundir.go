package rundir

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/cbrnn/cbrnn/safetensors"
)

// The files of a run directory.
const (
	ConfigFile     = "config.json"
	StatsFile      = "stats.jsonl"
	StateFile      = "state.json"
	CheckpointsDir = "checkpoints"
	DoneFile       = "done.json"
	LockFile       = "lock"
	// ProvenanceFile is the trainer's record of the sessions that trained
	// the run (trainer.Provenance); rundir knows its name to recognise its
	// temporary files.
	ProvenanceFile = "provenance.json"
)

const (
	statePrefix = "state-"
	tensorsExt  = ".safetensors"
	// tmpMarker was part of every temporary file's name before renameio:
	// "." + final name + tmpMarker + random suffix. Runs written then may
	// still hold such files, so cleanup still recognises them (see isTemp).
	tmpMarker = ".tmp"
	// staleConfigTmp is how old a temporary config file must be before
	// SaveState deletes it: a younger one may belong to a Create running
	// concurrently in another process, which does not hold the lock.
	staleConfigTmp = 10 * time.Minute
)

// Dir is one run directory.
type Dir struct{ Path string }

func (d *Dir) file(name string) string { return filepath.Join(d.Path, name) }

// canonical returns the canonical compact JSON of v: v is marshalled,
// decoded into generic values (numbers kept as their literal text, so that
// large integers such as seeds survive) and marshalled again, which sorts
// every object's keys. Structs and maps with the same content thus give the
// same bytes. The generic value is returned too.
func canonical(v any) ([]byte, any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	return canonicalJSON(b)
}

// canonicalJSON canonicalises JSON text, which must hold exactly one value.
func canonicalJSON(b []byte) ([]byte, any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g any
	if err := dec.Decode(&g); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("unexpected data after the JSON value")
	}
	out, err := json.Marshal(g)
	if err != nil {
		return nil, nil, err
	}
	return out, g, nil
}

func hashOf(canon []byte) string {
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])[:16]
}

// Hash identifies a config: the first 16 hex digits of the SHA-256 of its
// canonical JSON (sorted keys, compact). It depends on content only, not on
// field or key order.
func Hash(config any) (string, error) {
	c, _, err := canonical(config)
	if err != nil {
		return "", fmt.Errorf("rundir: hashing config: %w", err)
	}
	return hashOf(c), nil
}

// Create makes (mkdir -p) the run directory of config at path and writes its
// config.json, or, if the directory already holds a run of the same config
// (compared canonically), returns it so that training resumes. It fails if
// the directory holds a different config, naming both hashes and the first
// top-level key that differs, or a corrupt config.json, which it never
// overwrites.
func Create(path string, config any) (*Dir, error) {
	canon, g, err := canonical(config)
	if err != nil {
		return nil, fmt.Errorf("run %s: encoding config: %w", path, err)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("run %s: %w", path, err)
	}
	d := &Dir{Path: path}
	cfgPath := d.file(ConfigFile)
	if existing, err := os.ReadFile(cfgPath); err == nil {
		return d, d.sameConfig(existing, canon)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("run %s: %w", path, err)
	}
	indented, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("run %s: encoding config: %w", path, err)
	}
	created, err := createExclusive(cfgPath, append(indented, '\n'), 0o644)
	if err != nil {
		return nil, fmt.Errorf("run %s: writing %s: %w", path, ConfigFile, err)
	}
	if !created { // another process created it meanwhile
		existing, err := os.ReadFile(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", path, err)
		}
		return d, d.sameConfig(existing, canon)
	}
	return d, nil
}

// sameConfig compares an existing config.json with the canonical config a
// caller asked for.
func (d *Dir) sameConfig(existing, canon []byte) error {
	have, _, err := canonicalJSON(existing)
	if err != nil {
		return fmt.Errorf("run %s: %s is corrupt (%v); it is left as it is: repair or remove it, or choose another directory", d.Path, ConfigFile, err)
	}
	if bytes.Equal(have, canon) {
		return nil
	}
	return fmt.Errorf("run %s holds a different config: its %s has hash %s, the requested config has hash %s; first difference: %s",
		d.Path, ConfigFile, hashOf(have), hashOf(canon), firstDiff(have, canon))
}

// firstDiff describes the first top-level key (in sorted order) whose value
// differs between two JSON configs.
func firstDiff(have, want []byte) string {
	diffs, err := DiffJSON(have, want)
	switch {
	case err != nil:
		return "the top-level values differ"
	case len(diffs) == 0:
		return "none found"
	}
	switch k := diffs[0]; {
	case k.Have == nil:
		return fmt.Sprintf("key %q (absent from the existing config)", k.Key)
	case k.Want == nil:
		return fmt.Sprintf("key %q (absent from the requested config)", k.Key)
	default:
		return fmt.Sprintf("key %q (existing %s, requested %s)", k.Key, abbrev(k.Have), abbrev(k.Want))
	}
}

func abbrev(b []byte) string {
	const n = 60
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// createExclusive writes data to path unless path exists, in which case it
// returns created=false and leaves path alone. The data is written to a
// temporary file and fsynced first, then hard-linked to path, so that path
// never holds a partial file. Where the file system has no hard links it
// falls back to O_EXCL.
func createExclusive(path string, data []byte, perm os.FileMode) (created bool, err error) {
	pf, err := pendingFile(path, perm)
	if err != nil {
		return false, err
	}
	defer pf.Cleanup() // the temporary name goes; path, if linked, stays
	if _, err := pf.Write(data); err != nil {
		return false, err
	}
	if err := pf.Sync(); err != nil {
		return false, err
	}
	err = os.Link(pf.Name(), path)
	switch {
	case err == nil:
		syncDir(filepath.Dir(path))
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	// No hard links here (some network and FUSE file systems).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return true, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return true, err
	}
	if err := f.Close(); err != nil {
		return true, err
	}
	syncDir(filepath.Dir(path))
	return true, nil
}

// Open opens an existing run directory, checking that it holds a readable
// config.json.
func Open(path string) (*Dir, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("not a cbrnn run directory: %s does not exist", path)
	case err != nil:
		return nil, fmt.Errorf("not a cbrnn run directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("not a cbrnn run directory: %s is not a directory", path)
	}
	d := &Dir{Path: path}
	b, err := os.ReadFile(d.file(ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("not a cbrnn run directory: %s has no %s", path, ConfigFile)
	case err != nil:
		return nil, fmt.Errorf("not a cbrnn run directory: %w", err)
	}
	if _, _, err := canonicalJSON(b); err != nil {
		return nil, fmt.Errorf("not a cbrnn run directory: %s is corrupt: %v", d.file(ConfigFile), err)
	}
	return d, nil
}

// ReadConfig decodes config.json into v.
func (d *Dir) ReadConfig(v any) error {
	b, err := os.ReadFile(d.file(ConfigFile))
	if err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("run %s: %s: %w", d.Path, ConfigFile, err)
	}
	return nil
}

// ConfigJSON returns the run's config as compact canonical JSON, the bytes
// its Hash is computed from.
func (d *Dir) ConfigJSON() ([]byte, error) {
	b, err := os.ReadFile(d.file(ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", d.Path, err)
	}
	c, _, err := canonicalJSON(b)
	if err != nil {
		return nil, fmt.Errorf("run %s: %s is corrupt: %w", d.Path, ConfigFile, err)
	}
	return c, nil
}

// SaveState replaces the resume point: meta (JSON) and tensors ts. The
// tensors go to a new state-<random>.safetensors, written atomically; then
// state.json, naming that file and holding the SHA-256 of its bytes and of
// the meta, replaces the old one atomically; then older tensor files and
// temporary files left by interrupted writes are deleted. Whenever the
// process dies, state.json names a complete tensors file that was saved
// with the same meta. A tensor holding NaN or an infinity is refused: a
// resume state is only ever written finite, so a non-finite value read back
// is damage (LoadState).
func (d *Dir) SaveState(meta any, ts []safetensors.Tensor) error {
	if name, i, v, bad := firstNonFinite(ts); bad {
		return fmt.Errorf("run %s: refusing to save a resume state holding a non-finite value: %s[%d] = %v", d.Path, name, i, v)
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("run %s: encoding state: %w", d.Path, err)
	}
	var tb bytes.Buffer
	if err := safetensors.Write(&tb, ts, nil); err != nil {
		return fmt.Errorf("run %s: encoding state tensors: %w", d.Path, err)
	}
	name := statePrefix + randomHex(stateHexLen/2) + tensorsExt
	if err := WriteFileAtomic(d.file(name), tb.Bytes(), 0o644); err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	sj, err := json.MarshalIndent(stateFile{Tensors: name, Meta: mb, TensorsSHA256: sha256Hex(tb.Bytes()), MetaSHA256: metaSum(mb)}, "", "  ")
	if err != nil {
		os.Remove(d.file(name))
		return fmt.Errorf("run %s: encoding state: %w", d.Path, err)
	}
	if err := WriteFileAtomic(d.file(StateFile), append(sj, '\n'), 0o644); err != nil {
		os.Remove(d.file(name))
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	d.cleanup(name)
	return nil
}

// stateFile is state.json. The checksums let LoadState tell a damaged
// resume point (a flipped bit, a hand edit, a file from another save) from
// a good one, instead of resuming from it silently; state.json files
// written before they existed have none and are read unchecked.
type stateFile struct {
	Tensors       string          `json:"tensors"`
	Meta          json.RawMessage `json:"meta"`
	TensorsSHA256 string          `json:"tensors_sha256,omitempty"`
	MetaSHA256    string          `json:"meta_sha256,omitempty"`
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// metaSum is the checksum of a meta as compact JSON: state.json is written
// indented, which re-indents the meta inside it.
func metaSum(meta []byte) string {
	var c bytes.Buffer
	if err := json.Compact(&c, meta); err != nil {
		return sha256Hex(meta)
	}
	return sha256Hex(c.Bytes())
}

// firstNonFinite returns the first tensor value that is NaN or infinite.
func firstNonFinite(ts []safetensors.Tensor) (name string, index int, value float32, bad bool) {
	for _, t := range ts {
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return t.Name, i, v, true
			}
		}
	}
	return "", 0, 0, false
}

// DamagedError reports a file of a run directory that cbrnn wrote and now
// reads back inconsistent: a checksum that does not match, a value cbrnn
// never writes. Training refuses such a run, and status lists it as
// damaged.
type DamagedError struct {
	File   string // the damaged file's path
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged: %s. Restore it from a backup, or start the run afresh in another folder", e.File, e.Reason)
}

// cleanup deletes tensor files other than keep and temporary files left by
// interrupted writes (best effort). It runs while the run is locked, so the
// only temporary files that may be in use are config.json's, written by
// Create without the lock; those are deleted only once stale.
func (d *Dir) cleanup(keep string) {
	for _, dir := range []string{d.Path, d.file(CheckpointsDir)} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			switch {
			case !e.Type().IsRegular():
				continue // cbrnn writes regular files only
			case dir == d.Path && n != keep && isStateTensors(n):
			case dir == d.Path && isTempOf(n, ConfigFile):
				fi, err := e.Info()
				if err != nil || time.Since(fi.ModTime()) < staleConfigTmp {
					continue
				}
			case dir == d.Path && isTemp(n):
			case dir != d.Path && isCheckpointTemp(n):
			default:
				continue
			}
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// stateHexLen is the length of the random part of a state tensors file's
// name (randomHex(8)).
const stateHexLen = 16

// isStateTensors reports whether name is exactly a name SaveState gives its
// tensors files: "state-" + 16 lowercase hex digits + ".safetensors". A
// user's "state-mine.safetensors" is not one, and cleanup leaves it.
func isStateTensors(name string) bool {
	mid, ok := strings.CutPrefix(name, statePrefix)
	if !ok {
		return false
	}
	mid, ok = strings.CutSuffix(mid, tensorsExt)
	if !ok || len(mid) != stateHexLen {
		return false
	}
	return strings.Trim(mid, "0123456789abcdef") == ""
}

// LoadState reads the resume point saved by SaveState, decoding its meta
// into meta (unless nil). found is false, with a nil error, if the run has
// no state yet. The checksums written with the state are verified, and a
// non-finite tensor value is refused: either is a *DamagedError naming the
// file.
func (d *Dir) LoadState(meta any) (ts []safetensors.Tensor, found bool, err error) {
	statePath := d.file(StateFile)
	b, err := os.ReadFile(statePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("run %s: %w", d.Path, err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, false, &DamagedError{File: statePath, Reason: "it is not valid JSON (" + err.Error() + ")"}
	}
	if !isStateTensors(sf.Tensors) {
		return nil, false, &DamagedError{File: statePath, Reason: fmt.Sprintf("it names an invalid tensors file %q", sf.Tensors)}
	}
	if len(sf.Meta) == 0 {
		return nil, false, &DamagedError{File: statePath, Reason: "it has no meta"}
	}
	if sf.MetaSHA256 != "" && metaSum(sf.Meta) != sf.MetaSHA256 {
		return nil, false, &DamagedError{File: statePath, Reason: "its meta does not match the checksum written with it"}
	}
	tensorsPath := d.file(sf.Tensors)
	tb, err := os.ReadFile(tensorsPath)
	if err != nil {
		return nil, false, fmt.Errorf("run %s: the tensors of %s: %w", d.Path, StateFile, err)
	}
	if sf.TensorsSHA256 != "" && sha256Hex(tb) != sf.TensorsSHA256 {
		return nil, false, &DamagedError{File: tensorsPath, Reason: fmt.Sprintf("its SHA-256 does not match the checksum %s wrote with it", StateFile)}
	}
	ts, _, err = safetensors.Read(bytes.NewReader(tb))
	if err != nil {
		return nil, false, &DamagedError{File: tensorsPath, Reason: err.Error()}
	}
	if name, i, v, bad := firstNonFinite(ts); bad {
		return nil, false, &DamagedError{File: tensorsPath, Reason: fmt.Sprintf("%s[%d] = %v, and cbrnn never saves a non-finite resume state (this is not training's fault: a resume from it would fail every time)", name, i, v)}
	}
	if meta != nil {
		if err := json.Unmarshal(sf.Meta, meta); err != nil {
			return nil, false, &DamagedError{File: statePath, Reason: "its meta does not decode (" + err.Error() + ")"}
		}
	}
	return ts, true, nil
}

func checkpointName(n int) string { return fmt.Sprintf("N%03d%s", n, tensorsExt) }

// SaveCheckpoint writes, atomically, the weights of the model that solved n
// to checkpoints/N%03d.safetensors, with meta (plus "n" unless meta sets
// it) as the file's metadata.
func (d *Dir) SaveCheckpoint(n int, ts []safetensors.Tensor, meta map[string]string) error {
	if n < 0 {
		return fmt.Errorf("run %s: checkpoint N=%d: N must not be negative", d.Path, n)
	}
	m := maps.Clone(meta)
	if m == nil {
		m = map[string]string{}
	}
	if _, ok := m["n"]; !ok {
		m["n"] = strconv.Itoa(n)
	}
	dir := d.file(CheckpointsDir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("run %s: %w", d.Path, err)
		}
		syncDir(d.Path)
	}
	if err := safetensors.WriteFile(filepath.Join(dir, checkpointName(n)), ts, m); err != nil {
		return fmt.Errorf("run %s: checkpoint N=%d: %w", d.Path, n, err)
	}
	return nil
}

// LoadCheckpoint reads the checkpoint of N=n: its tensors and metadata. A
// missing checkpoint gives an error that wraps fs.ErrNotExist and lists the
// Ns available.
func (d *Dir) LoadCheckpoint(n int) ([]safetensors.Tensor, map[string]string, error) {
	ts, meta, err := safetensors.ReadFile(filepath.Join(d.file(CheckpointsDir), checkpointName(n)))
	if errors.Is(err, fs.ErrNotExist) {
		ns, lerr := d.CheckpointNs()
		avail := FormatNs(ns)
		if lerr != nil {
			avail = "unknown: " + lerr.Error()
		}
		return nil, nil, fmt.Errorf("run %s: no checkpoint for N=%d (available: %s): %w", d.Path, n, avail, fs.ErrNotExist)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: checkpoint N=%d is unreadable: %w", d.Path, n, err)
	}
	return ts, meta, nil
}

// CheckpointNs lists the Ns that have a checkpoint, ascending; none if the
// checkpoints directory does not exist.
func (d *Dir) CheckpointNs() ([]int, error) {
	entries, err := os.ReadDir(d.file(CheckpointsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return []int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", d.Path, err)
	}
	ns := []int{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "N") || !strings.HasSuffix(name, tensorsExt) || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(name[1:], tensorsExt))
		if err != nil || n < 0 || checkpointName(n) != name {
			continue
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns, nil
}

// MarkDone records that the run has finished, with summary (JSON) as
// done.json's content.
func (d *Dir) MarkDone(summary any) error {
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return fmt.Errorf("run %s: encoding %s: %w", d.Path, DoneFile, err)
	}
	if err := WriteFileAtomic(d.file(DoneFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	return nil
}

// Done reports whether the run has finished (MarkDone was called).
func (d *Dir) Done() (bool, error) {
	_, err := os.Stat(d.file(DoneFile))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("run %s: %w", d.Path, err)
}

// ReadDone decodes done.json into v.
func (d *Dir) ReadDone(v any) error {
	b, err := os.ReadFile(d.file(DoneFile))
	if err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("run %s: %s: %w", d.Path, DoneFile, err)
	}
	return nil
}

// WriteFileAtomic writes data to path so that path holds either its old
// content or data, whole, whenever the process or the machine stops. It is
// the one atomic whole-file writer for the packages above rundir. The work is
// github.com/google/renameio/v2's, a well-kept library for exactly this: a
// temporary file in path's own directory (so the rename cannot cross file
// systems), fsynced, then renamed over path. renameio leaves the directory
// alone, so the directory is fsynced here to make the rename itself durable.
// The file gets mode perm whatever the umask.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	pf, err := pendingFile(path, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer pf.Cleanup() // removes the temporary file unless it was renamed
	if _, err := pf.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// pendingFile opens renameio's temporary file for path: in path's own
// directory (renameio would otherwise try $TMPDIR first), with mode perm set
// by chmod so that the umask does not narrow it.
func pendingFile(path string, perm os.FileMode) (*renameio.PendingFile, error) {
	return renameio.NewPendingFile(path,
		renameio.WithTempDir(filepath.Dir(path)),
		renameio.WithStaticPermissions(perm))
}

// tempFinal returns the final name a temporary file left in a run
// directory by an interrupted atomic write was for: renameio names its
// temporary files "." + the final name + random decimal digits; rundir
// before renameio used "." + the final name + ".tmp" + a random suffix, and
// such files may still sit in older runs.
func tempFinal(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return "", false
	}
	if i := strings.Index(rest, tmpMarker); i > 0 {
		return rest[:i], true
	}
	final := strings.TrimRight(rest, "0123456789")
	return final, final != "" && len(final) < len(rest)
}

// isTemp reports whether name, in the run directory itself, is a temporary
// file of one of the files cbrnn writes there. Cleanup deletes only these:
// a user's file is never a run's temporary file, whatever its name looks
// like, unless it bears the exact name of one.
func isTemp(name string) bool {
	final, ok := tempFinal(name)
	if !ok {
		return false
	}
	switch final {
	case ConfigFile, StatsFile, StateFile, DoneFile, ProvenanceFile:
		return true
	}
	return isStateTensors(final)
}

// isCheckpointTemp is isTemp for the checkpoints folder: temporary files of
// N-keyed and named checkpoints.
func isCheckpointTemp(name string) bool {
	final, ok := tempFinal(name)
	if !ok {
		return false
	}
	base, ok := strings.CutSuffix(final, tensorsExt)
	if !ok {
		return false
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(base, "N")); err == nil && n >= 0 && checkpointName(n) == final {
		return true
	}
	return checkName(base) == nil
}

// isTempOf reports whether name is a temporary file of the final name final
// (see tempFinal).
func isTempOf(name, final string) bool {
	f, ok := tempFinal(name)
	return ok && f == final
}

// syncDir fsyncs a directory so that renames and new entries in it are
// durable. Best effort: some systems cannot fsync directories.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// FormatNs lists Ns for messages: "2, 3, 5", or "none".
func FormatNs(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
