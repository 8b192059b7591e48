package experiments

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/trainer"
)

// The local prediction (METHODS §3.10): how long a profile's training
// takes on this machine's cores. The Slurm plan prices every run at N one
// further each epoch (an upper bound for a time limit); a local prediction
// prices each run at the N the quick runs measured it would reach, which
// is what sized the standard profile.

// cbGain is the quick CB-RNN's max N − StartN after 6,000 SGD steps (150
// epochs of 40; figures/table4.md at quick, n = 3): the fastest group,
// so an upper bound for the others. Tasks other than parity learn at
// DMS's speed (an upper bound: DMS is the fastest).
var cbGain = map[string]float64{"dms": 8.67 - trainer.PaperStartN, "parity": 6.00 - trainer.PaperStartN}

// The calibration: quick's training of the 85 runs of the paper's figures
// measured about 31 minutes on this 2-core machine (METHODS §3.10), where
// PriceLocal prices them at QuickPriced (TestPriceLocal pins it, so a new
// cost table or rule must re-derive it). What the cost model leaves out
// (checkpoints, the analyses between epochs, the plugin's task generation)
// is taken to scale with what it prices; LocalPrice.Predicted is Priced ×
// QuickMeasured / QuickPriced.
const (
	QuickMeasured = 31 * time.Minute
	QuickPriced   = 20*time.Minute + 28*time.Second
)

// LearningCurve is the N a run is predicted to train at in epoch e (from
// 0): N − StartN grows as the 0.75th power of the SGD steps (METHODS §3.10,
// the exponent of RefreshEpoch) at quick's CB-RNN speed, up to the run's
// MaxN and costmodel.PaperCeilingN; a fixed-N run trains at its N.
func LearningCurve(c trainer.Config) func(e int) int {
	gain, ok := cbGain[c.Task]
	if !ok {
		gain = cbGain["dms"]
	}
	return func(e int) int {
		if c.Regime == trainer.FixedN {
			return c.FixedN
		}
		steps := float64(e * c.Steps)
		n := c.StartN + int(math.Floor(gain*math.Pow(steps/6000, 0.75)))
		return max(min(n, costmodel.PaperCeilingN, c.MaxN), c.StartN)
	}
}

// LocalPrice is a profile's predicted training on one machine.
type LocalPrice struct {
	Runs, Ensembles int
	Work            time.Duration // summed over ensembles (core time)
	Priced          time.Duration // the busiest core, longest ensemble first
	Predicted       time.Duration // Priced × QuickMeasured / QuickPriced
}

// PriceLocal prices ensembles (Env.Pending's grouping) on cores cores: each
// ensemble at its longest budget, every member at LearningCurve of its
// first run, plus one compilation per bucket; longest first onto the least
// loaded core (Ensure trains one ensemble per core).
func PriceLocal(ens [][]trainer.PlannedRun, t costmodel.Table, lengths func(task string) (costmodel.Lengths, error), cores int) (LocalPrice, error) {
	if cores < 1 {
		return LocalPrice{}, fmt.Errorf("pricing: %d cores", cores)
	}
	var lp LocalPrice
	var each []time.Duration
	for i, runs := range ens {
		if len(runs) == 0 {
			continue
		}
		c := runs[0].Config
		epochs := 0
		for _, r := range runs {
			epochs = max(epochs, r.Config.Epochs)
		}
		costs, err := t.For(c.Model.Count().Total, len(runs), c.Batch)
		if err != nil {
			return lp, fmt.Errorf("pricing ensemble %d: %w", i, err)
		}
		ls, err := lengths(c.Task)
		if err != nil {
			return lp, fmt.Errorf("pricing ensemble %d: %w", i, err)
		}
		est, err := costs.Run(costmodel.Protocol{Epochs: epochs, Steps: c.Steps, TestSteps: c.TestSteps, Members: len(runs)}, ls, LearningCurve(c))
		if err != nil {
			return lp, fmt.Errorf("pricing ensemble %d: %w", i, err)
		}
		each = append(each, est.Total())
		lp.Work += est.Total()
		lp.Runs += len(runs)
		lp.Ensembles++
	}
	lp.Priced = wallLongestFirst(each, cores)
	lp.Predicted = time.Duration(float64(lp.Priced) * float64(QuickMeasured) / float64(QuickPriced))
	return lp, nil
}

// PriceProfileLocal is PriceLocal over every run profile p's figures ids
// (all if none) need, finished or not, grouped as Ensure groups them, with
// the measured Go-backend table bench/costs/go.json under e.Root.
func (e *Env) PriceProfileLocal(ctx context.Context, p Profile, ids []string, cores int) (LocalPrice, error) {
	t, err := costmodel.LoadTable(filepath.Join(e.Root, "bench", "costs", "go.json"))
	if err != nil {
		return LocalPrice{}, fmt.Errorf("pricing: %w", err)
	}
	// Every run, finished or not: plan in a runs folder that holds none.
	empty, err := os.MkdirTemp("", "cbrnn-price-")
	if err != nil {
		return LocalPrice{}, fmt.Errorf("pricing: %w", err)
	}
	defer os.RemoveAll(empty)
	priced := *e
	inner := *e.Env
	inner.Out = empty
	priced.Env = &inner
	ens, _, err := priced.Pending(ctx, p, ids, 0)
	if err != nil {
		return LocalPrice{}, err
	}
	src := PlanSource{Env: e, Profile: p}
	return PriceLocal(ens, t, func(task string) (costmodel.Lengths, error) { return src.Lengths(ctx, task) }, cores)
}

// StandardDrawing is the standard profile's drawing after training: the
// figures about 15 minutes and the notebooks about 20 (METHODS §3.10; the
// analyses run at quick's sizes, so quick's measured times carry over).
const StandardDrawing = 35 * time.Minute
