package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/cbrnn/cbrnn/env"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// flagDomain is the range of one integer flag: [min, max], and 0 as well
// when zero says what 0 means.
type flagDomain struct {
	name     string
	min, max int64
	what     string
	zero     string
}

// trainDomains are the domains of train's integer flags. The upper bounds
// are sanity limits (no run of the paper comes near them); whether the
// sizes fit in memory is checkMemory's business.
var trainDomains = []flagDomain{
	{name: "hidden", min: 1, max: 1 << 20, what: "hidden units", zero: "the model's default"},
	{name: "gc", min: 1, max: 1 << 30, what: "granule cells", zero: "the model's default, 256"},
	{name: "pc", min: 1, max: 1 << 30, what: "Purkinje cells", zero: "the model's default, 64"},
	{name: "period", min: 1, max: 1 << 20, what: "a refresh period", zero: defaultPeriods},
	{name: "n", min: 1, max: 1 << 20, what: "an N", zero: "unset"},
	{name: "epochs", min: 1, max: 1_000_000, what: "a number of epochs", zero: "the paper's budget"},
	{name: "steps", min: 1, max: 1_000_000, what: "training batches per epoch"},
	{name: "test-steps", min: 1, max: 1_000_000, what: "test batches per epoch"},
	{name: "batch", min: 1, max: task.MaxB, what: "trials per batch"},
	{name: "max-n", min: 1, max: 1 << 20, what: "an N"},
	{name: "seeds", min: 1, max: 1024, what: "runs trained together"},
}

// checkFlagDomains checks every integer flag of fs named in ds, and
// train's flags that only make sense together.
func checkFlagDomains(fs *flag.FlagSet, ds []flagDomain) error {
	for _, d := range ds {
		f := fs.Lookup(d.name)
		if f == nil {
			continue
		}
		var v int64
		switch x := f.Value.(flag.Getter).Get().(type) {
		case int:
			v = int64(x)
		case int64:
			v = x
		case uint64:
			v = int64(min(x, 1<<62))
		default:
			continue
		}
		if (v >= d.min && v <= d.max) || (v == 0 && d.zero != "") {
			continue
		}
		dom := fmt.Sprintf("%s in [%d, %d]", d.what, d.min, d.max)
		if d.zero != "" {
			dom = fmt.Sprintf("0 (%s) or %s", d.zero, dom)
		}
		return fmt.Errorf("--%s %d is outside its domain: %s", d.name, v, dom)
	}
	if f := fs.Lookup("batch-timeout"); f != nil {
		if d := f.Value.(flag.Getter).Get().(time.Duration); d < 0 {
			return fmt.Errorf("--batch-timeout %v is outside its domain: 0 (the default: $%s, else the plugin's manifest entry, else %v) or a positive duration such as 30s",
				d, env.BatchTimeoutVar, 10*time.Second)
		}
	}
	regime := fs.Lookup("regime").Value.String()
	if n := fs.Lookup("n").Value.String(); n != "0" && regime != trainer.FixedN {
		return fmt.Errorf("--n %s is only for --regime %s (this run's regime is %s)", n, trainer.FixedN, regime)
	}
	if p := fs.Lookup("period").Value.String(); p != "0" && regime != trainer.PeriodicCore {
		return fmt.Errorf("--period %s is only for --regime %s (this run's regime is %s)", p, trainer.PeriodicCore, regime)
	}
	return nil
}

// checkMemory refuses a run whose estimated peak memory exceeds this
// machine's, so that a size typo ends in a sentence rather than in "fatal
// error: out of memory". The estimate is the Go backend's (an accelerator's
// memory is its own), so other backends are not checked.
func checkMemory(b compute.Backend, c trainer.Config, members int, d task.Description) error {
	if !env.IsGoBackend(b) {
		return nil
	}
	maxN := c.MaxN
	if c.Regime == trainer.FixedN {
		maxN = c.FixedN
	}
	_, maxT := d.TBounds(maxN)
	est, err := costmodel.TrainingMemory(c.Model, members, c.Batch, maxT, c.Steps)
	if err != nil {
		return err
	}
	total, avail, ok := machineMemory()
	if !ok {
		return nil
	}
	what := fmt.Sprintf("%d network(s) of %d parameters, batch %d, sequences of up to %d steps at N=%d (computed as %d), %d steps per epoch",
		members, c.Model.Count().Total, c.Batch, maxT, maxN, gm.BucketFor(maxT), c.Steps)
	if est.Total() > total {
		return fmt.Errorf("this run needs about %s of memory (%s), more than this machine's %s: lower --hidden, --gc, --pc, --batch, --max-n, --steps or --seeds",
			costmodel.GiB(est.Total()), what, costmodel.GiB(total))
	}
	if est.Total() > avail {
		fmt.Fprintf(os.Stderr, "warning: this run needs about %s of memory (%s); %s is free now\n", costmodel.GiB(est.Total()), what, costmodel.GiB(avail))
	}
	return nil
}

// machineMemory reads MemTotal and MemAvailable from /proc/meminfo; ok is
// false where there is none.
func machineMemory() (total, avail uint64, ok bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "MemTotal":
			total = kb << 10
		case "MemAvailable":
			avail = kb << 10
		}
	}
	return total, avail, total > 0
}

// outAction is what a run folder needs before training starts.
type outAction int

const (
	outFresh  outAction = iota // missing or empty: create the run
	outResume                  // holds a run to continue (--resume)
	outClear                   // holds a start that never completed an epoch: clear it first
)

// checkOut decides, without writing anything, whether dir may receive the
// run: it refuses a non-empty folder that holds no run (whose files a run
// would overwrite), --resume of a folder without a run, and a new start
// over a run that has results.
func checkOut(dir string, resume bool) (outAction, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if resume {
			return 0, fmt.Errorf("--resume: %s does not exist, so there is no run to continue; drop --resume to start a new run there", dir)
		}
		return outFresh, nil
	case err != nil:
		return 0, fmt.Errorf("--out %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ConfigFile)); err != nil {
		if len(entries) > 0 {
			return 0, fmt.Errorf("%s is not empty and holds no cbrnn run (no %s): refusing to write a run into it, where it would overwrite files such as %s and %s; choose a new or empty folder",
				dir, rundir.ConfigFile, rundir.StatsFile, trainer.ProvenanceFile)
		}
		if resume {
			return 0, fmt.Errorf("--resume: %s is empty, so there is no run to continue; drop --resume to start a new run there", dir)
		}
		return outFresh, nil
	}
	if resume {
		return outResume, nil
	}
	unstarted, err := rundir.Unstarted(dir)
	if err != nil {
		return 0, err
	}
	if unstarted {
		return outClear, nil
	}
	return 0, fmt.Errorf("%s already holds a run: pass --resume to continue it, or choose another --out", dir)
}
