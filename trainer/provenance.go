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
const ProvenanceFile = "provenance.json"

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

// readProvenance reads the run's sessions; none if there is no file yet. A
// damaged history reads as empty rather than blocking training.
func readProvenance(d *rundir.Dir) ([]Provenance, error) {
	var all []Provenance
	if b, err := os.ReadFile(filepath.Join(d.Path, ProvenanceFile)); err == nil {
		_ = json.Unmarshal(b, &all)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return all, nil
}

// recordProvenance appends this session to the run's provenance.json.
func recordProvenance(d *rundir.Dir, p Provenance) error {
	all, err := readProvenance(d)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(append(all, p), "", "  ")
	if err != nil {
		return err
	}
	return rundir.WriteFileAtomic(filepath.Join(d.Path, ProvenanceFile), b, 0o644)
}
