package figdata

import (
	"fmt"
	"strings"
)

// The paper's protocol (METHODS §3), as the trainer states it
// (trainer.Paper*; experiments tests that the two agree): figdata cannot
// import trainer, which links GoMLX.
const (
	paperEpochs    = 1000
	paperEpochsGRU = 500
	paperSteps     = 100
	paperTestSteps = 50
	paperBatch     = 64
	paperMaxN      = 150
)

// Profile scales the paper's protocol (METHODS §3–4) to a budget.
type Profile struct {
	Name    string
	Summary string
	// Protocol.
	Epochs    int // global epoch budget for Elman runs (GRU: EpochsGRU)
	EpochsGRU int
	// EpochsSwitch is the budget of the task-switching comparison (fig4c).
	EpochsSwitch int
	Steps        int // training batches per epoch
	TestSteps    int // test batches per epoch
	Batch        int
	MaxN         int
	Seeds        int // runs per main group (paper: 8)
	SeedsSide    int // runs of the scaling points other than G=256, and of the GRU (paper: 3)
	// The regimes beyond the paper's figures (regimes.go): runs per group,
	// the epoch budget of their single-task groups, the continual
	// curriculum's epochs per phase (its budget is one pass over the plan),
	// and the fixed schedule's epochs per level.
	SeedsExtra     int
	EpochsExtra    int
	EpochsPerPhase int
	AdvanceEvery   int
	// The reviewer's controls (reviewer.go): networks per group and epoch
	// budgets of the fixed-N control (fixedn; the authors' fixedN_new runs:
	// 10 per group, 1000 epochs), the learning-rate sweep (lrsweep, on
	// SweepTasks; its lr 0.01 points are fig2a's runs cut to EpochsSweep) and
	// the oddball task (oddball; the authors' runs: 3 per group, 1000
	// epochs).
	SeedsFixedN, EpochsFixedN   int
	SeedsSweep, EpochsSweep     int
	SweepTasks                  []string
	SeedsOddball, EpochsOddball int
	// ScalingTasks are the tasks of the scaling comparisons: Fig 2b's pairs
	// and appendix G (its G = 512 beside G = 256 and Frozen-core); nil =
	// DMS and parity, the paper's. The standard profile draws them on DMS
	// alone to stay within its 3 hours (METHODS §3.10).
	ScalingTasks []string
	// The sketch's per-task-CB comparison (seedpertask.go): networks per
	// new group, the continual curriculum's epochs per phase (its budget is
	// one pass over the plan) and the multitask budget. At paper they equal
	// SeedsExtra, EpochsPerPhase and Epochs, so its reference groups are the
	// continual figure's and fig3/fig4's runs.
	PerTaskSeeds          int
	PerTaskEpochsPerPhase int
	PerTaskEpochs         int
	// SeedsControl is the runs per group of the controls a reviewer asks
	// for first (Group.AuxControl: the auxiliary-RNN control at both learning
	// rates); 0 = SeedsExtra. The authors ran 4 (shared lr) and 3 (core at
	// lr 0.001) per task.
	SeedsControl int
	// EpochsControl is the budget of the controls figure's extra groups
	// (the auxiliary RNN at both rates, the compression layer), whose
	// references are fig2a's runs cut to it; 0 = EpochsExtra. Quick trains
	// them shorter: the recurrent module costs about 3.6 times what its
	// parameter count prices (METHODS §3.10).
	EpochsControl int
	// SeedsOther is the runs per main group on the tasks beyond Table 4's
	// (multitask and task switching, fig3 and fig4c); 0 = Seeds.
	SeedsOther int
	// Dir names the subfolder of figures/ and paper/ that holds this
	// profile's figures and report when they are written into the
	// repository itself (no --out, no $CBRNN_OUT): standard's go to
	// figures/standard/ and paper/standard/, next to quick's committed
	// ones; "" writes figures/ and paper/ themselves.
	Dir string
	// Analyses.
	EvalBatches     int // CB ablation: fixed evaluation trials, in batches (paper: 20)
	PCABatches      int // PCA: batches per checkpointed N (paper: 10)
	MaxCheckpoints  int // analyse at most this many checkpointed Ns per run (0 = all)
	TimescaleT      int // timescales: steps of the random bit stream (paper: 20,000)
	TimescaleTrials int // (paper: 8)
	TimescaleDrop   int // transient discarded (paper: 500)
	TimescaleUnits  int // unit τ fits on at most this many units per population (0 = all, the paper)
	// UnitTausEveryN fits the unit τs at every analysed checkpoint (the
	// authors' summary); otherwise at each run's last one only.
	UnitTausEveryN bool
	RecoverySteps  int // readout recovery: SGD steps (paper: 100)
	RecoveryEval   int // readout recovery: evaluation batches (paper: 50)
	TSNEIters      int // t-SNE iterations (sklearn's default 1000; 0 = 1000)
	// Fig 6: fixed batches per N for the DMS propagation (paper: 32) and
	// the parity swaps (paper: 8); 0 = the paper's.
	MechDMSBatches, MechParityBatches int
	// The sketch's sweeps (seed-freeze, seed-ratio): runs per new group, their
	// epoch budget (the references are fig2a's and fig4's runs over their
	// first EpochsSketch epochs), and whether they train parity as well as
	// DMS.
	SeedsSketch, EpochsSketch int
	SketchParity              bool
	// EpochsSketchModel is the budget of the sketch's own model against
	// its matched tanh RNN (seed-sketch, seed.go; SeedsSketch networks per
	// group, DMS and parity at every profile).
	EpochsSketchModel int
}

// DMSPropagationBatches is fig6's fixed batches per N for the DMS
// propagation (0: the paper's 32).
func (p Profile) DMSPropagationBatches() int {
	if p.MechDMSBatches > 0 {
		return p.MechDMSBatches
	}
	return 32
}

// ParitySwapBatches is fig6's batches per N for the parity swaps (0: the
// paper's 8).
func (p Profile) ParitySwapBatches() int {
	if p.MechParityBatches > 0 {
		return p.MechParityBatches
	}
	return 8
}

// ControlsBudget is the controls figure's epoch budget (EpochsControl,
// else EpochsExtra).
func (p Profile) ControlsBudget() int {
	if p.EpochsControl > 0 {
		return p.EpochsControl
	}
	return p.EpochsExtra
}

// TSNEIterations is the profile's t-SNE iteration count.
func (p Profile) TSNEIterations() int {
	if p.TSNEIters > 0 {
		return p.TSNEIters
	}
	return 1000
}

// Profiles: smoke proves the machinery in minutes (CI), quick shows the
// paper's qualitative findings on a 2-core laptop in under an hour (README),
// standard is sized to decide Table 4 overnight on the same laptop
// (METHODS §3.10: n = 8, a budget at which Periodic-core refreshes its
// core), paper is METHODS §3 exactly (a GPU, or many machines).
var Profiles = map[string]Profile{
	"smoke": {
		Name: "smoke", Summary: "minutes; every figure from a few tiny runs (CI)",
		Epochs: 3, EpochsGRU: 3, EpochsSwitch: 3, Steps: 4, TestSteps: 2, Batch: 16, MaxN: paperMaxN,
		Seeds: 2, SeedsSide: 1, SeedsExtra: 1, EpochsExtra: 3, EpochsPerPhase: 1, AdvanceEvery: 1,
		SeedsFixedN: 2, EpochsFixedN: 3, SeedsSweep: 2, EpochsSweep: 3, SweepTasks: []string{"dms"}, SeedsOddball: 2, EpochsOddball: 3,
		PerTaskSeeds: 1, PerTaskEpochsPerPhase: 1, PerTaskEpochs: 2,
		EvalBatches: 2, PCABatches: 2, MaxCheckpoints: 3, TimescaleT: 400, TimescaleTrials: 2, TimescaleDrop: 50, TimescaleUnits: 8,
		RecoverySteps: 5, RecoveryEval: 2, TSNEIters: 100, MechDMSBatches: 2, MechParityBatches: 1,
		SeedsSketch: 2, EpochsSketch: 3, SketchParity: true, EpochsSketchModel: 3,
	},
	"quick": {
		Name: "quick", Summary: "under an hour on 2 cores; reduced budget, qualitative findings",
		Epochs: 150, EpochsGRU: 75, EpochsSwitch: 100, Steps: 40, TestSteps: 10, Batch: 32, MaxN: paperMaxN,
		Seeds: 3, SeedsSide: 1, SeedsExtra: 1, EpochsExtra: 100, EpochsPerPhase: 40, AdvanceEvery: 20,
		SeedsFixedN: 3, EpochsFixedN: 60, SeedsSweep: 2, EpochsSweep: 60, SweepTasks: []string{"dms"}, SeedsOddball: 2, EpochsOddball: 40,
		PerTaskSeeds: 2, PerTaskEpochsPerPhase: 10, PerTaskEpochs: 25, SeedsControl: 3, EpochsControl: 50,
		EvalBatches: 5, PCABatches: 3, MaxCheckpoints: 6, TimescaleT: 3000, TimescaleTrials: 4, TimescaleDrop: 200,
		RecoverySteps: 50, RecoveryEval: 10, MechDMSBatches: 8, MechParityBatches: 4,
		SeedsSketch: 2, EpochsSketch: 38, SketchParity: false, EpochsSketchModel: 25,
	},
	// standard: sized in METHODS §3.10 (the cost model and the quick runs'
	// learning rates), to be run overnight here; its figures and report go
	// to figures/standard/ and paper/standard/.
	"standard": {
		Name: "standard", Summary: "under 3 hours on 2 cores; n = 8 per Table 4 group, 480 epochs of 40 + 10 batches of 16: Periodic-core refreshes its core",
		Epochs: 480, EpochsGRU: 100, EpochsSwitch: 150, Steps: 40, TestSteps: 10, Batch: 16, MaxN: paperMaxN,
		Seeds: 8, SeedsSide: 3, SeedsExtra: 1, EpochsExtra: 100, EpochsPerPhase: 40, AdvanceEvery: 25, SeedsControl: 3, SeedsOther: 3,
		EvalBatches: 5, PCABatches: 3, MaxCheckpoints: 6, TimescaleT: 3000, TimescaleTrials: 4, TimescaleDrop: 200,
		RecoverySteps: 50, RecoveryEval: 10, MechDMSBatches: 8, MechParityBatches: 4, Dir: "standard",
		// The controls and the sketch's studies at n = 3 and a short
		// budget, the sweep and the scaling comparisons (fig2b, appG) on DMS
		// alone: what makes the profile fit its hours (METHODS §3.10,
		// TestPriceLocal).
		ScalingTasks: []string{"dms"},
		SeedsFixedN:  3, EpochsFixedN: 100, SeedsSweep: 3, EpochsSweep: 100, SweepTasks: []string{"dms"},
		SeedsOddball: 3, EpochsOddball: 100,
		PerTaskSeeds: 3, PerTaskEpochsPerPhase: 20, PerTaskEpochs: 60,
		SeedsSketch: 3, EpochsSketch: 60, EpochsSketchModel: 100,
	},
	"paper": {
		Name: "paper", Summary: fmt.Sprintf("METHODS §3 exactly: n = 8, %d epochs of %d + %d batches of %d",
			paperEpochs, paperSteps, paperTestSteps, paperBatch),
		Epochs: paperEpochs, EpochsGRU: paperEpochsGRU, EpochsSwitch: 650,
		Steps: paperSteps, TestSteps: paperTestSteps, Batch: paperBatch, MaxN: paperMaxN,
		Seeds: 8, SeedsSide: 3, SeedsExtra: 8, EpochsExtra: 1000, EpochsPerPhase: 100, AdvanceEvery: 30,
		SeedsFixedN: 10, EpochsFixedN: paperEpochs, SeedsSweep: 8, EpochsSweep: paperEpochs, SweepTasks: []string{"dms", "parity"},
		SeedsOddball: 3, EpochsOddball: paperEpochs,
		PerTaskSeeds: 8, PerTaskEpochsPerPhase: 100, PerTaskEpochs: paperEpochs,
		EvalBatches: 20, PCABatches: 10, TimescaleT: 20000, TimescaleTrials: 8, TimescaleDrop: 500, UnitTausEveryN: true,
		RecoverySteps: 100, RecoveryEval: 50,
		SeedsSketch: 3, EpochsSketch: paperEpochs, SketchParity: true, EpochsSketchModel: paperEpochs,
	},
}

// ProfileNames lists the profiles from the cheapest to the paper's: the
// order every list of profiles (help texts, the README's table) follows.
var ProfileNames = []string{"smoke", "quick", "standard", "paper"}

// DefaultProfile is the profile of a command given none.
const DefaultProfile = "quick"

// ProfileList is the profiles for a help text: "smoke, quick, standard or
// paper".
func ProfileList() string {
	n := len(ProfileNames)
	return strings.Join(ProfileNames[:n-1], ", ") + " or " + ProfileNames[n-1]
}

// LookupProfile returns the named profile ("" = DefaultProfile) or an
// error listing the known ones.
func LookupProfile(name string) (Profile, error) {
	if name == "" {
		name = DefaultProfile
	}
	p, ok := Profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames, ", "))
	}
	return p, nil
}

// SketchTasks are the tasks the profile trains the sketch's sweeps on: DMS,
// and parity where SketchParity is set.
func (p Profile) SketchTasks() []string {
	if p.SketchParity {
		return []string{"dms", "parity"}
	}
	return []string{"dms"}
}
