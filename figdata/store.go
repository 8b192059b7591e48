package figdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/cbrnn/cbrnn/rundir"
)

// A figure's data file holds what `cbrnn figures` computed to draw one
// figure at one profile — the module studies of appG, the curves and
// tables of fig2a … — so that its notebook shows the same numbers without
// computing them again. It lives at <out>/.cache/figdata/<id>-<profile>.gob
// and records the runs it was computed from; Load refuses it when one of
// those runs has changed since (a run trained further, retrained or
// deleted), so a notebook never shows data of runs that are no longer
// there.
//
// The file is a gob stream of a Header and then the data; the header
// carries the SHA-256 of the data's encoding, so a truncated or altered
// file is an error naming it, never a silently wrong value.

// Header describes a figure data file.
type Header struct {
	Format  int    // formatVersion
	ID      string // the figure id
	Profile string // the profile's name
	Type    string // the Go type of the data, e.g. "figdata.Modules"
	Runs    []Run  // the runs the data was computed from
	SHA256  string // of the data's gob encoding
	Written time.Time
}

// Run is one run the data was computed from, with what shows that it is
// unchanged: the size and modification time of its stats file.
type Run struct {
	Dir     string
	Size    int64
	ModTime time.Time
}

const formatVersion = 1

// statsFile is the per-epoch statistics every run directory holds
// (rundir): it changes whenever the run trains further.
const statsFile = "stats.jsonl"

// Dir is the folder of the figure data files of an output folder.
func Dir(out string) string { return filepath.Join(out, ".cache", "figdata") }

var idRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Path is the data file of figure id at profile in the output folder out.
func Path(out, id, profile string) (string, error) {
	if !idRE.MatchString(id) || !idRE.MatchString(profile) {
		return "", fmt.Errorf("figure data: id %q / profile %q: only letters, digits, '.', '_' and '-'", id, profile)
	}
	return filepath.Join(Dir(out), id+"-"+profile+".gob"), nil
}

// ErrAbsent is wrapped by Load's error when a figure has no data file yet.
var ErrAbsent = errors.New("no figure data")

// ErrStale is wrapped by Load's error when a run the data was computed
// from has changed or gone since.
var ErrStale = errors.New("figure data out of date")

// Save writes v, the data figure id computed at profile from the runs in
// dirs, atomically. v must be encodable with encoding/gob (exported fields,
// no interfaces holding unregistered types).
func Save(out, id, profile string, dirs []string, v any) error {
	path, err := Path(out, id, profile)
	if err != nil {
		return err
	}
	var data bytes.Buffer
	if err := gob.NewEncoder(&data).Encode(v); err != nil {
		return fmt.Errorf("figure data %s: encoding %T: %w", path, v, err)
	}
	h := Header{Format: formatVersion, ID: id, Profile: profile, Type: fmt.Sprintf("%T", v), Written: time.Now().UTC()}
	sorted := append([]string(nil), dirs...)
	sort.Strings(sorted)
	for _, d := range sorted {
		r, err := runOf(d)
		if err != nil {
			return fmt.Errorf("figure data %s: %w", path, err)
		}
		h.Runs = append(h.Runs, r)
	}
	sum := sha256.Sum256(data.Bytes())
	h.SHA256 = hex.EncodeToString(sum[:])
	var file bytes.Buffer
	if err := gob.NewEncoder(&file).Encode(h); err != nil {
		return fmt.Errorf("figure data %s: header: %w", path, err)
	}
	file.Write(data.Bytes())
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, file.Bytes(), 0o644)
}

// Load reads the data of figure id at profile from the output folder out
// into v (a pointer to the type Save was given). It returns an error that
// names the file and the command that rewrites it when the file is absent
// (wrapping ErrAbsent), damaged (unreadable header, checksum mismatch, data
// of another type) or stale (wrapping ErrStale: a run changed since).
func Load(out, id, profile string, v any) (Header, error) {
	path, err := Path(out, id, profile)
	if err != nil {
		return Header{}, err
	}
	redo := fmt.Sprintf("`cbrnn figures --profile %s %s` rewrites it", profile, id)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Header{}, fmt.Errorf("%w for %s at profile %s (%s): %s", ErrAbsent, id, profile, path, redo)
	}
	if err != nil {
		return Header{}, fmt.Errorf("figure data %s: %w", path, err)
	}
	r := bytes.NewReader(b)
	var h Header
	if err := gob.NewDecoder(r).Decode(&h); err != nil {
		return Header{}, fmt.Errorf("figure data %s is damaged (header: %v): %s", path, err, redo)
	}
	if h.Format != formatVersion || h.ID != id || h.Profile != profile {
		return Header{}, fmt.Errorf("figure data %s is damaged (it says format %d, figure %q, profile %q): %s", path, h.Format, h.ID, h.Profile, redo)
	}
	data := b[len(b)-r.Len():]
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != h.SHA256 {
		return Header{}, fmt.Errorf("figure data %s is damaged (checksum mismatch): %s", path, redo)
	}
	if want := fmt.Sprintf("%T", v); want != "*"+h.Type {
		return Header{}, fmt.Errorf("figure data %s holds a %s, not a %s: %s", path, h.Type, want[1:], redo)
	}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return Header{}, fmt.Errorf("figure data %s is damaged (%v): %s", path, err, redo)
	}
	for _, run := range h.Runs {
		now, err := runOf(run.Dir)
		if err != nil {
			return Header{}, fmt.Errorf("%w: %s was computed from %s, which is gone (%v): %s", ErrStale, path, run.Dir, err, redo)
		}
		if now.Size != run.Size || !now.ModTime.Equal(run.ModTime) {
			return Header{}, fmt.Errorf("%w: %s was computed from %s, which has changed since (trained further or retrained): %s", ErrStale, path, run.Dir, redo)
		}
	}
	return h, nil
}

func runOf(dir string) (Run, error) {
	st, err := os.Stat(filepath.Join(dir, statsFile))
	if err != nil {
		return Run{}, fmt.Errorf("run %s: %w", dir, err)
	}
	return Run{Dir: dir, Size: st.Size(), ModTime: st.ModTime().UTC()}, nil
}
