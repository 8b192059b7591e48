package trainer

import (
	"fmt"
	"math"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// Regimes of METHODS §3.
const (
	Standard     = "standard"      // everything trains
	FrozenCore   = "frozen-core"   // phase 0 trains core+readout at StartN, then CB+readout only
	PeriodicCore = "periodic-core" // as frozen-core, but the core trains again every Period-th N
	FixedN       = "fixed-n"       // one N, no curriculum, stop when solved
)

// FreezeAtStart is the Config.FreezeAfterN of a Frozen-core run whose core
// never trains: the CB and readout learn on the random core from the first
// epoch (a reservoir).
const FreezeAtStart = -1

// Phases recorded per epoch.
const (
	PhaseAll    = "all"     // standard and fixed-n: every parameter trains
	PhaseInit   = "init"    // frozen/periodic phase 0: core + readout, CB frozen
	PhaseCBOnly = "cb-only" // frozen/periodic: CB + readout, core frozen
	PhaseBoth   = "both"    // periodic refresh level: core + CB + readout
)

// Config is everything that decides a run's result. It is written to the
// run's config.json and hashed to name cached runs, so it holds no paths.
type Config struct {
	Task       string            `json:"task"`
	TaskParams map[string]string `json:"task_params,omitempty"`
	ModelName  string            `json:"model_name"` // the registry's name (for people; Model is what counts)
	Model      gm.Config         `json:"model"`
	Regime     string            `json:"regime"`
	Period     int               `json:"period,omitempty"`  // periodic-core k (10 for DMS, 5 for parity)
	FixedN     int               `json:"fixed_n,omitempty"` // fixed-n
	Epochs     int               `json:"epochs"`            // global epoch budget (1000; 500 for GRU)
	Steps      int               `json:"steps"`             // training batches per epoch (100)
	TestSteps  int               `json:"test_steps"`        // test batches per epoch (50)
	Batch      int               `json:"batch"`             // trials per batch (64)
	StartN     int               `json:"start_n"`           // 2
	MaxN       int               `json:"max_n"`             // 150
	Threshold  float64           `json:"threshold"`         // 98 (% test accuracy)
	Optim      gm.Optim          `json:"optim"`
	// SwitchEvery: in task switching the active task changes each time its N
	// reaches the next multiple of SwitchEvery (5).
	SwitchEvery int `json:"switch_every,omitempty"`
	// FreezeAfterN moves Frozen-core's freeze point (the sketch's
	// over-freezing check, experiments' seed-freeze): 0, the paper's (and
	// omitted from config.json, so the paper's runs keep their hash), trains
	// the core until the start N is solved; k > start N trains it until N = k
	// is solved; FreezeAtStart never trains it (a random reservoir).
	FreezeAfterN int `json:"freeze_after_n,omitempty"`
	// Curriculum settings of METHODS §3.7–3.9 (curricula.go); all omitted
	// (the zero value) for the paper's main curricula.
	Curricula
	Seed uint64 `json:"seed"`
	// InitHash names the imported starting weights, if any (their SHA-256),
	// so two runs from different weights never share a cache entry.
	InitHash string `json:"init_hash,omitempty"`
}

// The protocol of METHODS §3, written once: Paper assembles a Config from
// it, and cmd/cbrnn's train flags and the experiments' paper profile read it
// (the optimiser's learning rate, momentum and clipping are
// gomlx_models.PaperOptim's).
const (
	PaperEpochs      = 1000 // epoch budget of an Elman network
	PaperEpochsGRU   = 500  // epoch budget of a GRU
	PaperSteps       = 100  // training batches per epoch
	PaperTestSteps   = 50   // test batches per epoch
	PaperBatch       = 64   // trials per batch
	PaperStartN      = 2    // the curriculum's first N
	PaperMaxN        = 150  // the N ceiling: a run stops once it solves it
	PaperThreshold   = 98.0 // test accuracy (%) that solves an N
	PaperSwitchEvery = 5    // task switching: epochs between switches
)

// PaperEpochsFor is the epoch budget of a network whose core is of this
// kind (gomlx_models.Core.Kind).
func PaperEpochsFor(coreKind string) int {
	if coreKind == gm.CoreGRU {
		return PaperEpochsGRU
	}
	return PaperEpochs
}

// Paper returns METHODS §3's protocol for a task and model.
func Paper(taskName string, model gm.Config, seed uint64) Config {
	return Config{
		Task: taskName, Model: model, Regime: Standard,
		Epochs: PaperEpochsFor(model.Core.Kind), Steps: PaperSteps, TestSteps: PaperTestSteps, Batch: PaperBatch,
		StartN: PaperStartN, MaxN: PaperMaxN, Threshold: PaperThreshold, Optim: gm.PaperOptim(),
		SwitchEvery: PaperSwitchEvery, Seed: seed,
	}
}

// PeriodFor is the periodic-core refresh period k of METHODS §3.4–3.5: 10
// for DMS, 5 for parity, and 5 for multitask, where the authors' runs pass
// --reservoir_interval_n 5 (tasks/multitask.py: multitask_train). Task
// switching has no Periodic-core group in the authors' results; it uses
// their CLI default, 10.
func PeriodFor(taskName string) int {
	switch taskName {
	case "parity", "parity_fixed", "multitask":
		return 5
	}
	return 10
}

// ContinualPeriod is the Periodic-core k of the continual groups: the
// authors' --reservoir_interval_n default (no continual runs are stored to
// say otherwise).
const ContinualPeriod = 10

// Validate reports the first thing wrong with c, naming the field.
func (c Config) Validate() error {
	if c.Task == "" {
		return fmt.Errorf("no task given")
	}
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	switch c.Regime {
	case Standard, FrozenCore:
	case PerTaskOnce:
		if c.Curriculum != Continual {
			return fmt.Errorf("regime %s exists only in the continual curriculum", c.Regime)
		}
	case PeriodicCore:
		if c.Period <= 0 {
			return fmt.Errorf("regime periodic-core needs a period k > 0, got %d", c.Period)
		}
	case FixedN:
		if c.FixedN <= 0 {
			return fmt.Errorf("regime fixed-n needs N > 0, got %d", c.FixedN)
		}
	default:
		return fmt.Errorf("unknown regime %q (want %s, %s, %s, %s or %s)", c.Regime, Standard, FrozenCore, PeriodicCore, PerTaskOnce, FixedN)
	}
	if err := c.validateFreeze(); err != nil {
		return err
	}
	if (c.Regime == FrozenCore || c.Regime == PeriodicCore || c.Regime == PerTaskOnce) && c.Model.CB == nil {
		return fmt.Errorf("regime %s needs a model with a cerebellar module", c.Regime)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"epochs", c.Epochs}, {"steps", c.Steps}, {"test-steps", c.TestSteps}, {"batch", c.Batch}, {"start N", c.StartN}, {"max N", c.MaxN}} {
		if f.v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", f.name, f.v)
		}
	}
	if c.StartN > c.MaxN {
		return fmt.Errorf("start N %d above max N %d", c.StartN, c.MaxN)
	}
	if c.Threshold <= 0 || c.Threshold > 100 {
		return fmt.Errorf("threshold %.1f%% outside (0, 100]", c.Threshold)
	}
	if c.Optim.LR <= 0 {
		return fmt.Errorf("learning rate must be positive, got %g", c.Optim.LR)
	}
	switch {
	case c.Optim.CBLR < 0 || math.IsNaN(c.Optim.CBLR) || math.IsInf(c.Optim.CBLR, 0):
		return fmt.Errorf("the CB's learning rate must be positive (or 0 for the shared rate), got %g", c.Optim.CBLR)
	case c.Optim.CBLR > 0 && c.Model.CB == nil:
		return fmt.Errorf("a CB learning rate (%g) for a network without a CB", c.Optim.CBLR)
	}
	return c.validateCurricula()
}

// EpochStats is one line of stats.jsonl (METHODS §3's per-epoch record).
type EpochStats struct {
	Epoch     int     `json:"epoch"` // 1-based
	N         int     `json:"n"`     // N trained this epoch, before any advance
	Phase     string  `json:"phase"`
	Active    string  `json:"active,omitempty"` // task switching: the active task
	TrainLoss float64 `json:"train_loss"`       // mean over the epoch's finite batches
	TestAcc   float64 `json:"test_acc"`         // %, the advance criterion
	// TestLoss is the cross-entropy on the epoch's test batches (mean
	// over batches and the heads scored), nil in runs trained before it
	// was recorded and in imported runs: a reader must not take a missing
	// test loss for zero.
	TestLoss *float64  `json:"test_loss,omitempty"`
	HeadAcc  []float64 `json:"head_acc,omitempty"`
	GradNorm float64   `json:"grad_norm"` // mean pre-clip global norm
	Skipped  int       `json:"skipped,omitempty"`
	Solved   bool      `json:"solved"`
	WallS    float64   `json:"wall_s"` // seconds this epoch took
	// Continual (METHODS §3.7): every task's N (head order, before any
	// advance) and the plan phase; HeadAcc is then each task at its own N.
	HeadN     []int `json:"head_n,omitempty"`
	PlanPhase int   `json:"plan_phase,omitempty"`
	// Cumulative and sliding (METHODS §3.9): the smallest N and how many Ns
	// (heads) trained; N is the largest, HeadAcc one per N from Low.
	Low   int `json:"low,omitempty"`
	Heads int `json:"heads,omitempty"`
}

// validateFreeze checks FreezeAfterN: a Frozen-core setting of the
// standard curricula, one value per behaviour (the start N itself is the
// default, 0, so that one protocol has one hash).
func (c Config) validateFreeze() error {
	k := c.FreezeAfterN
	switch {
	case k == 0:
		return nil
	case c.Regime != FrozenCore:
		return fmt.Errorf("freeze after N=%d: a freeze point belongs to regime %s, not %s", k, FrozenCore, c.Regime)
	case c.Curriculum != "" || c.FixedSchedule():
		return fmt.Errorf("freeze after N=%d: a freeze point needs the standard curriculum (advance on solving), not %q", k, c.Curriculum)
	case k == FreezeAtStart:
		return nil
	case k == c.StartN:
		return fmt.Errorf("freeze after N=%d: that is the start N, the paper's freeze point; leave freeze_after_n 0", k)
	case k < c.StartN || k > c.MaxN:
		return fmt.Errorf("freeze after N=%d: want %d (never train the core), 0 (the paper's: after the start N) or an N in (%d, %d]", k, FreezeAtStart, c.StartN, c.MaxN)
	}
	return nil
}
