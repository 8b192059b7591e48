package figdata

import (
	"fmt"
	"sort"
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
}

// DMSPropagationBatches is the fixed batches per N of fig6's DMS propagation (0 in
// the profile: the paper's 32).
func (p Profile) DMSPropagationBatches() int {
	if p.MechDMSBatches > 0 {
		return p.MechDMSBatches
	}
	return 32
}

// ParitySwapBatches is the fixed batches per N of fig6's parity swaps (0 in
// the profile: the paper's 8).
func (p Profile) ParitySwapBatches() int {
	if p.MechParityBatches > 0 {
		return p.MechParityBatches
	}
	return 8
}

// TSNEIterations is the profile's t-SNE iteration count (0 in the profile: 1000).
func (p Profile) TSNEIterations() int {
	if p.TSNEIters > 0 {
		return p.TSNEIters
	}
	return 1000
}

// Profiles: smoke proves the machinery in minutes (CI), quick shows the
// paper's qualitative findings on a 2-core laptop in under an hour (46
// minutes measured, README), paper is METHODS §3 exactly (a GPU, or many
// machines).
var Profiles = map[string]Profile{
	"smoke": {
		Name: "smoke", Summary: "minutes; every figure from a few tiny runs (CI)",
		Epochs: 3, EpochsGRU: 3, EpochsSwitch: 3, Steps: 4, TestSteps: 2, Batch: 16, MaxN: paperMaxN,
		Seeds: 2, SeedsSide: 1, SeedsExtra: 1, EpochsExtra: 3, EpochsPerPhase: 1, AdvanceEvery: 1,
		EvalBatches: 2, PCABatches: 2, MaxCheckpoints: 3, TimescaleT: 400, TimescaleTrials: 2, TimescaleDrop: 50, TimescaleUnits: 8,
		RecoverySteps: 5, RecoveryEval: 2, TSNEIters: 100, MechDMSBatches: 2, MechParityBatches: 1,
	},
	"quick": {
		Name: "quick", Summary: "under an hour on 2 cores; reduced budget, qualitative findings",
		Epochs: 150, EpochsGRU: 75, EpochsSwitch: 100, Steps: 40, TestSteps: 10, Batch: 32, MaxN: paperMaxN,
		Seeds: 3, SeedsSide: 1, SeedsExtra: 1, EpochsExtra: 100, EpochsPerPhase: 40, AdvanceEvery: 20,
		EvalBatches: 5, PCABatches: 3, MaxCheckpoints: 6, TimescaleT: 3000, TimescaleTrials: 4, TimescaleDrop: 200,
		RecoverySteps: 50, RecoveryEval: 10, MechDMSBatches: 8, MechParityBatches: 4,
	},
	"paper": {
		Name: "paper", Summary: fmt.Sprintf("METHODS §3 exactly: n = 8, %d epochs of %d + %d batches of %d",
			paperEpochs, paperSteps, paperTestSteps, paperBatch),
		Epochs: paperEpochs, EpochsGRU: paperEpochsGRU, EpochsSwitch: 650,
		Steps: paperSteps, TestSteps: paperTestSteps, Batch: paperBatch, MaxN: paperMaxN,
		Seeds: 8, SeedsSide: 3, SeedsExtra: 8, EpochsExtra: 1000, EpochsPerPhase: 100, AdvanceEvery: 30,
		EvalBatches: 20, PCABatches: 10, TimescaleT: 20000, TimescaleTrials: 8, TimescaleDrop: 500, UnitTausEveryN: true,
		RecoverySteps: 100, RecoveryEval: 50,
	},
}

// LookupProfile returns the named profile or an error listing the known ones.
func LookupProfile(name string) (Profile, error) {
	if name == "" {
		name = "quick"
	}
	p, ok := Profiles[name]
	if !ok {
		names := make([]string, 0, len(Profiles))
		for n := range Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(names, ", "))
	}
	return p, nil
}
