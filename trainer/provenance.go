package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/gomlx/compute"

	"github.com/cbrnn/cbrnn/rundir"
)

// ProvenanceFile records, for every process that trained a run, what it ran
// on. It sits beside config.json rather than in it: the config is hashed to
// cache runs, and the same protocol on another backend is the same
// experiment.
const ProvenanceFile = rundir.ProvenanceFile

// Provenance is one training session of a run.
type Provenance struct {
	Started      time.Time         `json:"started"`
	FromEpoch    int               `json:"from_epoch"` // epochs already done (resume)
	Backend      string            `json:"backend"`
	Go           string            `json:"go"`
	GOEXPERIMENT string            `json:"goexperiment,omitempty"`
	Revision     string            `json:"revision,omitempty"` // VCS revision of cbrnn, if built from a checkout
	Modules      map[string]string `json:"modules"`            // versions of the numerical dependencies
	Host         string            `json:"host"`
	// Task is the task as it served this session (binary, SHA-256,
	// declaration); Numerics the settings that decide round-off. A resume
	// or cache hit compares them with the last recorded ones.
	Task     *TaskIdentity `json:"task,omitempty"`
	Numerics *Numerics     `json:"numerics,omitempty"`
	// Accepted notes the changes this session was told to accept.
	Accepted []string `json:"accepted,omitempty"`
	// Layout: how the ensemble computed (gomlx_models Ensemble.Layout), in
	// the order the session used them (members leave as they finish, and
	// executors follow the cores free). On the Go backend a run's numbers
	// do not depend on it; elsewhere they may, at round-off.
	Layout []string `json:"layout,omitempty"`
}

func provenance(b compute.Backend, fromEpoch int) Provenance {
	p := Provenance{Started: time.Now().UTC(), FromEpoch: fromEpoch, Go: runtime.Version(), Modules: map[string]string{}}
	if b != nil {
		p.Backend = b.Name() + " — " + b.Description()
	}
	p.Host, _ = os.Hostname()
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				p.Revision = s.Value
			case "GOEXPERIMENT":
				p.GOEXPERIMENT = s.Value
			}
		}
		for _, m := range info.Deps {
			switch m.Path {
			case "github.com/gomlx/gomlx", "github.com/gomlx/compute", "github.com/gomlx/go-xla", "gonum.org/v1/gonum":
				p.Modules[m.Path] = m.Version
			}
		}
	}
	return p
}

// appendLayout adds a layout to the last session of the run's
// provenance.json (recordProvenance wrote it).
func appendLayout(d *rundir.Dir, layout string) error {
	all, err := readProvenance(d)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("%s: no session to add the layout to", filepath.Join(d.Path, ProvenanceFile))
	}
	last := &all[len(all)-1]
	if n := len(last.Layout); n > 0 && last.Layout[n-1] == layout {
		return nil
	}
	last.Layout = append(last.Layout, layout)
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return rundir.WriteFileAtomic(filepath.Join(d.Path, ProvenanceFile), b, 0o644)
}

// ProvenanceError refuses to resume or reuse a run whose provenance.json
// is missing or cannot be read: the check that its task plugin and numerics
// are still those it was trained with would otherwise be skipped silently.
type ProvenanceError struct {
	Run     string
	Reuse   bool  // a cache hit (else a resume)
	Missing bool  // no file (else damaged: Err says how)
	Err     error // why it cannot be read
}

func (e *ProvenanceError) Error() string {
	verb := "continue the run"
	if e.Reuse {
		verb = "reuse the finished run"
	}
	what := "is missing"
	if !e.Missing {
		what = fmt.Sprintf("is damaged (%v)", e.Err)
	}
	return fmt.Sprintf("cannot %s %s: %s %s, so whether its task plugin or numerics changed since it was trained cannot be checked. "+
		"Restore %s from a backup, or pass --accept-missing-provenance (%s=1 for notebooks) to go on unchecked, which is recorded in a new %s (a damaged one is kept beside it)",
		verb, e.Run, filepath.Join(e.Run, ProvenanceFile), what, ProvenanceFile, AcceptMissingProvenanceVar, ProvenanceFile)
}

func (e *ProvenanceError) Unwrap() error { return e.Err }

// AcceptMissingProvenanceVar is the environment variable that accepts a
// missing or damaged provenance.json for the notebooks and figures, as
// --accept-missing-provenance does (env reads it; it is named here, where
// the error that names it is).
const AcceptMissingProvenanceVar = "CBRNN_ACCEPT_MISSING_PROVENANCE"

// readProvenance reads the run's sessions. A missing file, one that is not
// a JSON list of sessions, or an empty list is a *ProvenanceError: every
// run that completed an epoch has recorded at least one session.
func readProvenance(d *rundir.Dir) ([]Provenance, error) {
	b, err := os.ReadFile(filepath.Join(d.Path, ProvenanceFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &ProvenanceError{Run: d.Path, Missing: true, Err: err}
	case err != nil:
		return nil, fmt.Errorf("run %s: %w", d.Path, err)
	}
	var all []Provenance
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, &ProvenanceError{Run: d.Path, Err: err}
	}
	if len(all) == 0 {
		return nil, &ProvenanceError{Run: d.Path, Err: errors.New("it records no session")}
	}
	return all, nil
}

// recordProvenance appends this session to the run's provenance.json. A
// missing file starts a new list; a damaged one is never rewritten over:
// it is kept as provenance-damaged-<time>.json, so that whatever it still
// says about earlier sessions survives, and a new list starts.
func recordProvenance(d *rundir.Dir, p Provenance) error {
	all, err := readProvenance(d)
	var pe *ProvenanceError
	switch {
	case errors.As(err, &pe) && pe.Missing:
	case errors.As(err, &pe):
		kept, kerr := keepDamaged(d)
		if kerr != nil {
			return kerr
		}
		p.Accepted = append(p.Accepted, fmt.Sprintf("%s was damaged (%v); it is kept as %s", ProvenanceFile, pe.Err, kept))
	case err != nil:
		return err
	}
	b, err := json.MarshalIndent(append(all, p), "", "  ")
	if err != nil {
		return err
	}
	return rundir.WriteFileAtomic(filepath.Join(d.Path, ProvenanceFile), b, 0o644)
}

// keepDamaged moves a damaged provenance.json aside, under a name no other
// file has, and returns that name.
func keepDamaged(d *rundir.Dir) (string, error) {
	stamp := time.Now().UTC().Format("20060102T150405.000000000Z")
	name := "provenance-damaged-" + stamp + ".json"
	from, to := filepath.Join(d.Path, ProvenanceFile), filepath.Join(d.Path, name)
	if _, err := os.Lstat(to); err == nil {
		return "", fmt.Errorf("run %s: cannot keep the damaged %s: %s exists", d.Path, ProvenanceFile, name)
	}
	if err := os.Rename(from, to); err != nil {
		return "", fmt.Errorf("run %s: keeping the damaged %s: %w", d.Path, ProvenanceFile, err)
	}
	return name, nil
}
