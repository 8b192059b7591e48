package figdata

// The sketch's figures (notebooks/seed.ipynb): what `cbrnn figures`
// computed for seed-loss, seed-complexity, seed-ablation, seed-freeze,
// seed-ratio and seed-pertask, saved so the notebook reads it back instead
// of opening the runs (and linking GoMLX).

// LossCurves are the per-epoch losses of a cohort's runs, read from their
// stats.jsonl: Train[k][e] the mean training loss of run k at epoch e+1,
// Test[k][e] its test loss (NaN where the run did not record one: runs
// trained before the trainer recorded the test loss, and imported runs).
type LossCurves struct {
	Label       string
	Train, Test [][]float64
	// MissingTest counts the runs with no test loss at some epoch.
	MissingTest int
}

// SeedLoss is seed-loss's data: per task (dms, parity) the loss curves of
// the CB-RNN and of RNN-202.
type SeedLoss struct {
	Tasks  []string
	Curves [][2]LossCurves
}

// SharedEpochs is the number of epochs every run of every curve set has.
func SharedEpochs(sets ...[][]float64) int {
	e := -1
	for _, set := range sets {
		for _, c := range set {
			if e < 0 || len(c) < e {
				e = len(c)
			}
		}
	}
	return max(e, 0)
}

// LossAreas are each run's area under its loss curve over the first
// epochs: the sum of its per-epoch losses (nats × epochs), NaN for a run
// with a non-finite loss among them.
func LossAreas(curves [][]float64, epochs int) []float64 {
	out := make([]float64, len(curves))
	for k, c := range curves {
		for _, v := range c[:min(epochs, len(c))] {
			out[k] += v
		}
	}
	return out
}

// Complexity is one task's seed-complexity study (experiments.ComplexityStudy)
// with what the figure computed from it: the advantage per N, and the
// slope of the advantage with its 95 % percentile bootstrap interval.
type Complexity struct {
	Task      string
	Labels    [2]string // the CB-RNN's, the baseline's
	Ns        []int
	Epochs    [2][][]float64 // [group][run][N index]
	Advantage []float64      // the baseline's mean epochs − the CB-RNN's, per N
	Slope     float64
	Lo, Hi    float64 // the slope's bootstrap interval
}

// SeedFreeze is seed-freeze's data, one entry per task the sweep trained.
type SeedFreeze struct {
	Budget int
	Tasks  []FreezeTask
}

// FreezeTask is one task's cohorts cut to the sweep's budget: the CB-RNN,
// the RNN, then one per freeze point (experiments.FreezePoints' order), and
// FrozeAt[i] the first epoch with the core frozen of each run of
// Cohorts[2+i] (0: never within the budget).
type FreezeTask struct {
	Task    string
	Cohorts []Cohort
	FrozeAt [][]int
}

// RatioNet is one network of the expansion-ratio sweep, measured at its
// task's largest shared N.
type RatioNet struct {
	Ratio   int
	Matched bool
	Seed    uint64
	AUC     float64
	Share   float64 // analysis.CBShare on the shared trials
	Drop    float64 // accuracy (points) without − with the CB
}

// RatioSweepRow is one network of the expansion-ratio sweep on DMS's shape:
// its G/H, series, hidden size, granule cells and parameters.
type RatioSweepRow struct {
	Ratio   int
	Matched bool
	Label   string
	H, G    int
	Params  int
}

// SeedRatio is seed-ratio's data.
type SeedRatio struct {
	Budget int
	Sweep  []RatioSweepRow
	Tasks  []RatioTask
}

// RatioTask is one task's sweep: Cohorts in Ratios' order at H = 64 then at
// matched parameters (Ratio, Matched per cohort), then the RNN (last), all
// cut to the budget; Nets measured at N (none when the runs share no N).
type RatioTask struct {
	Task    string
	Cohorts []Cohort
	Ratio   []int
	Matched []bool
	Nets    []RatioNet
	N       int
}

// ModelParams is a network's trainable parameters by module.
type ModelParams struct {
	Name, Describe           string
	Core, CB, Readout, Total int
}

// SeedPerTask is seed-pertask's data: the models' parameters on the switch
// task's shape, and per continual cohort each run's DMS accuracy at the end
// of its first phase and its interference (NaN where not measured).
type SeedPerTask struct {
	Models    []ModelParams
	Continual []PerTaskCohort
}

// PerTaskCohort is one continual cohort's per-run values.
type PerTaskCohort struct {
	Label             string
	EndPhase0, Interf []float64
}
