package experiments

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// Group is one line of a figure: a registered model (gomlx_models'
// registry) under one regime.
type Group struct {
	Label string // legend label: "CB-RNN", "RNN-202", "Frozen-core" …
	Model string // the registry's name: cb-rnn, rnn, cb-gru, gru, aux-rnn-cb, …
	// Options size the model; Inputs and Heads come from the task. A
	// matched baseline (rnn, gru) with Hidden 0 is sized to the CB model
	// with Options.GC (appendix B).
	Options gm.Options
	Regime  string
	Side    bool // a side point: uses the profile's SeedsSide (paper n = 3)
	// Curriculum is "" (the task's own) or one of the curricula of METHODS
	// §3.7–3.9 (regimes.go); its groups use the profile's SeedsExtra.
	Curriculum string
	// Extra marks a group beyond the paper's figures (regimes.go): it uses
	// the profile's SeedsExtra runs.
	Extra bool
	// Control marks a group of the reviewer's controls (reviewer.go:
	// ControlFixedN, ControlLRSweep, ControlOddball): it uses that
	// control's runs per group of the profile.
	Control string
	// FixedN is the N of a fixed-N group (Regime trainer.FixedN, METHODS
	// §3.4); LR its learning rate when not the paper's 0.01 (0: the paper's).
	FixedN int
	LR     float64
	// Sketch marks a group of the sketch's sweeps (seed-freeze, seed-ratio):
	// it uses the profile's SeedsSketch runs.
	Sketch bool
	// FreezeAfterN is a Frozen-core group's freeze point
	// (trainer.Config.FreezeAfterN; 0 the paper's).
	FreezeAfterN int
	// PerTaskStudy marks a group of the sketch's per-task-CB comparison
	// (seedpertask.go): it uses the profile's PerTaskSeeds runs and, in the
	// continual curriculum, PerTaskEpochsPerPhase epochs per phase.
	PerTaskStudy bool
	// AuxControl marks a control a reviewer asks for first (the auxiliary
	// RNN): it uses the profile's SeedsControl runs.
	AuxControl bool
	// CoreLR, when > 0, is the learning rate of the core and the readout,
	// the CB keeping the profile's (the authors' RNNlr0.001_CBlr0.01 runs:
	// gomlx_models.Optim.CBLR); 0 = one rate for every parameter.
	CoreLR float64
	// Color is the group's colour in every figure (Colour), declared with
	// the group rather than guessed from its label. A concrete colour, not
	// color.Color, so that a group stays plain data: the notebooks memoise
	// results keyed by groups and cohorts through encoding/gob, which
	// cannot encode an interface holding an unregistered type.
	Color color.RGBA
}

// The paper's groups. The regimes' groups carry a Group suffix: the
// regime's own name is trainer's string (trainer.FrozenCore), and one name
// means one thing.
var (
	CBRNN             = Group{Label: "CB-RNN", Model: "cb-rnn", Regime: trainer.Standard, Color: plots.ColorCBRNN}
	RNNMatched        = Group{Label: "RNN", Model: "rnn", Regime: trainer.Standard, Color: plots.ColorRNN}
	FrozenCoreGroup   = Group{Label: "Frozen-core", Model: "cb-rnn", Regime: trainer.FrozenCore, Color: plots.ColorFrozenCore}
	PeriodicCoreGroup = Group{Label: "Periodic-core", Model: "cb-rnn", Regime: trainer.PeriodicCore, Color: plots.ColorPeriodicCore}
	GRUCB             = Group{Label: "GRU+CB", Model: "cb-gru", Regime: trainer.Standard, Side: true, Color: plots.ColorGRUCB}
	GRUMatched        = Group{Label: "GRU", Model: "gru", Regime: trainer.Standard, Side: true, Color: plots.ColorGRU}
)

// ScalingGCs are the granule-layer widths of Fig 2b (figdata.ScalingGCs).
var ScalingGCs = figdata.ScalingGCs

// PaperScalingRNN is the baseline hidden size the paper pairs with each
// granule width in Fig 2b (METHODS §1). Three are the closest parameter match;
// for G=128 the closest is H=157 (25,436 parameters against the CB model's
// 25,282), but the paper uses H=160 (26,402), and Fig 2b follows the paper.
var PaperScalingRNN = map[int]int{64: 128, 128: 160, 256: 202, 512: 272}

// ScalingGroups returns the CB/RNN pair of Fig 2b for one granule width.
func ScalingGroups(gc int) (cb, rnn Group) {
	side := gc != 256
	cb = Group{Label: fmt.Sprintf("CB-RNN G=%d", gc), Model: "cb-rnn", Options: gm.Options{GC: gc}, Regime: trainer.Standard, Side: side, Color: plots.ColorCBRNN}
	rnn = Group{Label: fmt.Sprintf("RNN-%d", PaperScalingRNN[gc]), Model: "rnn", Options: gm.Options{Hidden: PaperScalingRNN[gc]}, Regime: trainer.Standard, Side: side, Color: plots.ColorRNN}
	if gc == 256 {
		cb, rnn = CBRNN, RNNMatched
	}
	return cb, rnn
}

// ModelConfig builds the network of a group for a task's shape.
func ModelConfig(g Group, d task.Description) (gm.Config, error) {
	o := g.Options
	o.Inputs, o.Heads = d.Inputs, append([]int(nil), g.curricula(Profile{}).ModelHeads(d.Heads)...)
	return gm.Build(g.Model, o)
}

// Configs returns the runs of a group on a task under a profile: one per
// seed, seeds 1…n, so that every group sees the same task streams.
func Configs(g Group, d task.Description, p Profile, epochs int) ([]trainer.Config, error) {
	m, err := ModelConfig(g, d)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", g.Label, err)
	}
	n := p.Seeds
	if g.Side {
		n = p.SeedsSide
	}
	if g.Extra || g.Curriculum != "" {
		n = p.SeedsExtra
	}
	if g.AuxControl && p.SeedsControl > 0 {
		n = p.SeedsControl
	}
	if !g.Side && !g.Extra && g.Curriculum == "" && !isTable4Task(d.Name) && p.SeedsOther > 0 {
		n = p.SeedsOther
	}
	if g.Control != "" {
		var err error
		if n, err = controlSeeds(g.Control, p); err != nil {
			return nil, fmt.Errorf("group %s: %w", g.Label, err)
		}
	} else if g.Sketch {
		n = p.SeedsSketch
	}
	if g.PerTaskStudy {
		n = p.PerTaskSeeds
	}
	if n <= 0 {
		return nil, fmt.Errorf("group %s: profile %s trains no runs of it (set its seeds)", g.Label, p.Name)
	}
	var out []trainer.Config
	for s := 1; s <= n; s++ {
		c := trainer.Paper(d.Name, m, uint64(s))
		c.ModelName = g.Model
		c.Regime = g.Regime
		if g.Regime == trainer.PeriodicCore {
			c.Period = trainer.PeriodFor(d.Name)
		}
		if g.CoreLR > 0 {
			// rnn_lr for the core and readout, cb_lr (the shared rate) for the CB.
			c.Optim.CBLR, c.Optim.LR = c.Optim.LR, g.CoreLR
		}
		c.Epochs, c.Steps, c.TestSteps, c.Batch, c.MaxN = epochs, p.Steps, p.TestSteps, p.Batch, p.MaxN
		if g.Regime == trainer.FixedN {
			if g.FixedN <= 0 {
				return nil, fmt.Errorf("group %s: a fixed-N group needs its N (Group.FixedN > 0)", g.Label)
			}
			c.FixedN = g.FixedN
		}
		if g.LR > 0 {
			c.Optim.LR = g.LR
		}
		c.FreezeAfterN = g.FreezeAfterN
		if err := g.applyCurriculum(p, &c); err != nil {
			return nil, fmt.Errorf("group %s: %w", g.Label, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// isTable4Task reports whether a task is one of Table 4's (DMS, parity),
// whose main groups take the profile's Seeds whatever SeedsOther says.
func isTable4Task(name string) bool { return name == "dms" || name == "parity" }

// LabelFor names a group in a figure, with its hidden size for matched
// baselines (e.g. "RNN-202").
func LabelFor(g Group, d task.Description) string {
	if g.Options.Hidden == 0 && g.Model == SketchRNN.Model {
		if m, err := ModelConfig(g, d); err == nil {
			return fmt.Sprintf("%s-%d", g.Label, m.Core.Hidden) // "tanh RNN-143"
		}
	}
	if g.Options.Hidden == 0 && (g.Model == "rnn" || g.Model == "gru") {
		if m, err := ModelConfig(g, d); err == nil {
			// "RNN" → "RNN-202"; "RNN, cumulative" → "RNN-138, cumulative".
			sized := fmt.Sprintf("%s-%d", strings.ToUpper(g.Model), m.Core.Hidden)
			if rest, ok := strings.CutPrefix(g.Label, strings.ToUpper(g.Model)); ok {
				return sized + rest
			}
			return sized
		}
	}
	return g.Label
}
