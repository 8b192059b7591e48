package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// TaskIdentity records what made a run's data: the task's declaration (its
// Describe output) and, when a plugin serves it, the plugin binary and its
// SHA-256. A run's cache key is its config, which names the task but cannot
// know the task's code; a rebuilt plugin may make other batches for the
// same requests, so a resume or a cache hit compares this record with the
// task as it is now, so that a changed plugin cannot silently mix two
// tasks' batches in one run.
type TaskIdentity struct {
	Name        string          `json:"name"`
	Binary      string          `json:"binary,omitempty"`
	SHA256      string          `json:"sha256,omitempty"`
	Description json.RawMessage `json:"description,omitempty"`
}

// Numerics records the settings that change a run's float32 round-off:
// the compute backend and whether GoMLX's Go backend used its SIMD kernels
// (a build with GOEXPERIMENT=simd).
type Numerics struct {
	Backend string `json:"backend"`
	SIMD    bool   `json:"simd"`
}

func (n Numerics) String() string {
	simd := "without SIMD kernels"
	if n.SIMD {
		simd = "with SIMD kernels (GOEXPERIMENT=simd)"
	}
	return fmt.Sprintf("a build %s on the backend %q", simd, n.Backend)
}

func currentNumerics(b compute.Backend) Numerics {
	n := Numerics{SIMD: simdBuild}
	if b != nil {
		n.Backend = b.Name()
	}
	return n
}

// Binaries is what a task source that runs plugin binaries (host.Host)
// tells about them.
type Binaries interface {
	Binary(name string) (path, sha256 string, ok bool)
}

// Accept lists the recorded differences a run may go on despite.
type Accept struct {
	PluginChange   bool // the task plugin's binary or declaration changed
	NumericsChange bool // the build's numerics changed (resume only)
	// MissingProvenance: the run's provenance.json is missing or damaged,
	// so neither change can be checked.
	MissingProvenance bool
}

// ChangedError refuses to resume or reuse a run whose task plugin or
// numerics changed since it was trained; it says what changed and how to
// proceed.
type ChangedError struct {
	Run    string
	Reuse  bool   // a cache hit (else a resume)
	Plugin string // what changed about the task plugin; "" if nothing
	Numer  string // what changed about the numerics; "" if nothing
}

func (e *ChangedError) Error() string {
	var what, how []string
	if e.Plugin != "" {
		what = append(what, e.Plugin+"; the batches it makes may differ from those the run was trained on")
		if e.Reuse {
			how = append(how, "--accept-plugin-change to reuse it anyway")
		} else {
			how = append(how, "--accept-plugin-change to go on with the new plugin")
		}
	}
	if e.Numer != "" {
		what = append(what, e.Numer+"; float32 round-off differs, so the run would mix two numerics under one cache key")
		how = append(how, "--accept-numerics-change to mix them anyway")
	}
	prov := filepath.Join(e.Run, ProvenanceFile)
	if e.Reuse {
		return fmt.Sprintf("cannot reuse the finished run %s: %s. To proceed, retrain it (delete the folder and rerun), or pass %s (cbrnn figures; CBRNN_ACCEPT_PLUGIN_CHANGE=1 for notebooks), which is recorded in %s",
			e.Run, strings.Join(what, "; "), strings.Join(how, " or "), prov)
	}
	rebuild := ""
	if e.Numer != "" {
		rebuild = "rebuild as the run was built (make, reproduce.sh and notebooks/run.sh use GOEXPERIMENT=simd), "
	}
	return fmt.Sprintf("cannot continue the run %s: %s. To proceed, %sstart a new run (another --out, or delete the folder), or pass %s, which is recorded in %s",
		e.Run, strings.Join(what, "; "), rebuild, strings.Join(how, " or "), prov)
}

// identify records the task as src serves it now.
func identify(src task.Source, d task.Description) *TaskIdentity {
	id := &TaskIdentity{Name: d.Name, Description: describeJSON(d)}
	if b, ok := src.(Binaries); ok {
		id.Binary, id.SHA256, _ = b.Binary(d.Name)
	}
	return id
}

// describeJSON is a declaration as recorded: what crosses the wire
// (parameter domains are checked inside the plugin and not sent).
func describeJSON(d task.Description) json.RawMessage {
	d.Params = slices.Clone(d.Params)
	for i := range d.Params {
		d.Params[i].Domain = nil
	}
	b, _ := json.Marshal(d)
	return b
}

// lastIdentity returns the newest recorded task identity and numerics.
func lastIdentity(all []Provenance) (*TaskIdentity, *Numerics) {
	var id *TaskIdentity
	var num *Numerics
	for _, p := range all {
		if p.Task != nil {
			id = p.Task
		}
		if p.Numerics != nil {
			num = p.Numerics
		}
	}
	return id, num
}

// pluginChange describes how the task changed between two records, or "".
func pluginChange(was, now *TaskIdentity) string {
	if was == nil || now == nil {
		return ""
	}
	binChanged := was.SHA256 != "" && now.SHA256 != "" && was.SHA256 != now.SHA256
	decl := declarationDiff(was.Description, now.Description)
	if !binChanged && decl == "" {
		return ""
	}
	s := fmt.Sprintf("task plugin %q changed since the run was trained: ", now.Name)
	if binChanged {
		s += fmt.Sprintf("its binary was sha256 %s (%s), now %s (%s); ", was.SHA256, was.Binary, now.SHA256, now.Binary)
	}
	if decl == "" {
		return s + "declaration unchanged"
	}
	return s + "declaration changed (" + decl + ")"
}

// declarationDiff lists the top-level fields of two recorded declarations
// that differ, "" if none (or if either is missing).
func declarationDiff(was, now json.RawMessage) string {
	was, now = compact(was), compact(now) // provenance.json is indented
	if len(was) == 0 || len(now) == 0 || bytes.Equal(was, now) {
		return ""
	}
	diffs, err := rundir.DiffJSON(was, now)
	if err != nil {
		return "unreadable record"
	}
	var out []string
	for _, d := range diffs {
		out = append(out, fmt.Sprintf("%s %s → %s", d.Key, abbrev(d.Have), abbrev(d.Want)))
	}
	return strings.Join(out, ", ")
}

// compact is b without insignificant white space (nil if b is not JSON).
func compact(b json.RawMessage) json.RawMessage {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return nil
	}
	return out.Bytes()
}

func abbrev(b json.RawMessage) string {
	b = compact(b)
	if len(b) == 0 {
		return "(none)"
	}
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// checkChanges compares this session with what the run's provenance.json
// recorded last, and returns the notes of what was accepted. Only a run
// that holds a resume state is checked: one that never completed an epoch
// has consumed no data.
func checkChanges(d *rundir.Dir, now Provenance, acc Accept) ([]string, error) {
	all, err := readProvenance(d)
	if note, err := unchecked(err, acc, false); note != "" || err != nil {
		return []string{note}, err
	}
	wasID, wasNum := lastIdentity(all)
	e := &ChangedError{Run: d.Path, Plugin: pluginChange(wasID, now.Task)}
	if wasNum != nil && now.Numerics != nil && *wasNum != *now.Numerics {
		e.Numer = fmt.Sprintf("it was trained by %s, and this process is %s", wasNum, now.Numerics)
	}
	var notes []string
	if e.Plugin != "" && acc.PluginChange {
		notes, e.Plugin = append(notes, "accepted: "+e.Plugin), ""
	}
	if e.Numer != "" && acc.NumericsChange {
		notes, e.Numer = append(notes, "accepted: "+e.Numer), ""
	}
	if e.Plugin != "" || e.Numer != "" {
		return nil, e
	}
	return notes, nil
}

// CheckReuse is the cache-hit counterpart of Train's check: a finished run
// is reused only if the task plugin serving its task now is the one that
// made its data, as its provenance.json records it. Numerics are not
// compared: a finished run's results are what they are, and its
// provenance says what computed them. With acc.PluginChange a change is
// accepted and recorded, so the next check compares with the new plugin.
func CheckReuse(ctx context.Context, src task.Source, d *rundir.Dir, acc Accept) error {
	all, err := readProvenance(d)
	if note, err := unchecked(err, acc, true); err != nil {
		return err
	} else if note != "" {
		// Accepted: record the task as it is now, so that the next check
		// has something to compare with.
		var c Config
		if err := d.ReadConfig(&c); err != nil {
			return err
		}
		desc, err := src.Describe(ctx, c.Task)
		if err != nil {
			return fmt.Errorf("run %s: %w", d.Path, err)
		}
		return recordProvenance(d, Provenance{Started: time.Now().UTC(), FromEpoch: -1, Task: identify(src, desc), Accepted: []string{note}})
	}
	was, _ := lastIdentity(all)
	if was == nil {
		return nil // trained before identities were recorded
	}
	now := &TaskIdentity{Name: was.Name}
	if b, ok := src.(Binaries); ok {
		now.Binary, now.SHA256, _ = b.Binary(was.Name)
	}
	if was.SHA256 == "" || now.SHA256 == "" || was.SHA256 != now.SHA256 {
		desc, err := src.Describe(ctx, was.Name)
		if err != nil {
			return fmt.Errorf("run %s: %w", d.Path, err)
		}
		now.Description = describeJSON(desc)
	} else {
		now.Description = was.Description // same bytes, same declaration
	}
	change := pluginChange(was, now)
	if change == "" {
		return nil
	}
	if !acc.PluginChange {
		return &ChangedError{Run: d.Path, Reuse: true, Plugin: change}
	}
	return recordProvenance(d, Provenance{Started: time.Now().UTC(), FromEpoch: -1, Task: now, Accepted: []string{"accepted for reuse: " + change}})
}

// unchecked turns readProvenance's error into the refusal to resume
// (reuse) a run whose provenance is missing or damaged, or, when acc
// accepts that, into the note recorded for it.
func unchecked(err error, acc Accept, reuse bool) (note string, _ error) {
	var pe *ProvenanceError
	if !errors.As(err, &pe) {
		return "", err
	}
	pe.Reuse = reuse
	if !acc.MissingProvenance {
		return "", pe
	}
	what := "missing"
	if !pe.Missing {
		what = fmt.Sprintf("damaged (%v)", pe.Err)
	}
	return fmt.Sprintf("accepted: %s was %s, so plugin and numerics changes were not checked", ProvenanceFile, what), nil
}

func ptr[T any](v T) *T { return &v }
