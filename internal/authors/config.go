package authors

import (
	"encoding/json"
	"fmt"
	"math"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/trainer"
)

// sections are the parts of their config.json that readConfig reads.
type sections struct {
	cli   map[string]any // cli_args: their argv, the ground truth
	model map[string]any // model_config.model: the hyper-parameters their model recorded
}

// readConfig maps their config.json to a trainer.Config, filling the
// report. Their argv (recorded in cli_args) is the ground truth; the model
// hyper-parameters they recorded (model_config.model) give the shapes that
// the flags do not (input size, classes, heads), and must agree with the
// flags everywhere else.
func readConfig(top map[string]json.RawMessage, rep *Report) (trainer.Config, error) {
	sec, err := readSections(top, rep)
	if err != nil {
		return trainer.Config{}, err
	}
	a := &args{m: sec.cli, used: map[string]bool{}, rep: rep}
	if err := refuseOtherRuns(a); err != nil {
		return trainer.Config{}, err
	}
	c := trainer.Config{Threshold: 98, SwitchEvery: 5}
	if c.Task, err = a.str("task", "", "task"); err != nil || c.Task == "" {
		return trainer.Config{}, fmt.Errorf("no task in cli_args (%v)", err)
	}
	steps := []func(*args, sections, *trainer.Config) error{readCurriculum, refuseNetworkChanges, readNetwork, readProtocol, readOptim}
	for _, step := range steps {
		if err := step(a, sec, &c); err != nil {
			return trainer.Config{}, err
		}
	}
	listUnread(a, sec.cli)
	if err := c.Validate(); err != nil {
		return trainer.Config{}, err
	}
	return c, nil
}

// readSections decodes cli_args and model_config, and lists every other
// top-level section (argv, host, params, run, timestamp_utc: provenance)
// as unmapped.
func readSections(top map[string]json.RawMessage, rep *Report) (sections, error) {
	var sec sections
	if err := unmarshal(top["cli_args"], &sec.cli); err != nil || sec.cli == nil {
		return sec, fmt.Errorf("no cli_args (their save_run_config records the command line there): %v", err)
	}
	var mc struct {
		Model map[string]any `json:"model"`
	}
	if raw, ok := top["model_config"]; ok {
		if err := unmarshal(raw, &mc); err != nil {
			return sec, fmt.Errorf("model_config: %w", err)
		}
	}
	sec.model = mc.Model
	for k, v := range top {
		if k != "cli_args" && k != "model_config" {
			var x any
			json.Unmarshal(v, &x)
			rep.Unmapped[k] = x
		}
	}
	return sec, nil
}

// refuseOtherRuns refuses what has no counterpart: multi-task, continual,
// switching, fixed-schedule and multi-head runs.
func refuseOtherRuns(a *args) error {
	for _, k := range []string{"multitask", "continual", "ct_switch", "task_switch"} {
		if on, err := a.flag(k, false, ""); err != nil {
			return err
		} else if on {
			return fmt.Errorf("a --%s run; cbrnn import-run reads single-task runs (curriculum single, single_nocurr, reservoir)", k)
		}
	}
	if a.has("advance_every_epochs") {
		return fmt.Errorf("a fixed-schedule run (--advance_every_epochs %v), which has no cbrnn regime", a.m["advance_every_epochs"])
	}
	if mode, err := a.str("readout_mode", "single", ""); err != nil {
		return err
	} else if mode != "single" {
		return fmt.Errorf("readout_mode %q: cbrnn imports one-head (single) readouts", mode)
	}
	return nil
}

// readCurriculum sets the regime, start N and (for reservoir runs) the
// refresh period from curriculum_type, ns_init and reservoir_interval_n.
func readCurriculum(a *args, _ sections, c *trainer.Config) error {
	curriculum, err := a.str("curriculum_type", "cumulative", "regime")
	if err != nil {
		return err
	}
	nsInit, err := a.integer("ns_init", 0, "")
	if err != nil {
		return err
	}
	c.StartN = 2 // their task specs' start_n
	if nsInit > 0 {
		c.StartN = nsInit // Ns_init = [N − 2 + ns_init] (training/train.py)
		a.rep.Mapped["cli_args.ns_init"] = "start_n"
	}
	switch curriculum {
	case "single":
		c.Regime = trainer.Standard
		return nil
	case "single_nocurr":
		c.Regime, c.FixedN = trainer.FixedN, c.StartN
		a.rep.Mapped["cli_args.ns_init"] = "fixed_n (and start_n)"
		return nil
	case "alternating":
		if err := requireCBOnly(a); err != nil {
			return err
		}
		return readReservoir(a, c)
	case "reservoir":
		return readReservoir(a, c)
	}
	return fmt.Errorf("curriculum_type %q: cbrnn imports single, single_nocurr and reservoir (alternating) runs; cumulative and sliding train many heads", curriculum)
}

// cbOnlyVariants are the --alt_variant values of their older alternating
// curriculum under which the core stops training after phase 0 (only the
// CB learns): the runs cbrnn's reservoir regimes reproduce.
var cbOnlyVariants = map[string]bool{"cb_only": true, "cb_only_reservoir": true}

// requireCBOnly refuses an alternating run whose variant trains the core
// after phase 0 too: no cbrnn regime alternates that way.
func requireCBOnly(a *args) error {
	v, err := a.str("alt_variant", "cb_then_rnn", "regime (with curriculum_type)")
	if err != nil {
		return err
	}
	if !cbOnlyVariants[v] {
		return fmt.Errorf("cli_args.alt_variant = %q (absent means their default cb_then_rnn): this alternating curriculum trains the core again after phase 0, which no cbrnn regime reproduces; cbrnn imports the cb_only variants as frozen-core or periodic-core", v)
	}
	return nil
}

// readReservoir reads a reservoir run: Periodic-core with period k when
// reservoir_interval_n refreshes some N up to target_end_n, Frozen-core
// otherwise.
func readReservoir(a *args, c *trainer.Config) error {
	k := 10 // --reservoir_interval_n's default
	key := "reservoir_interval_n"
	if !a.has(key) && a.has("cb_reservoir_n") {
		key = "cb_reservoir_n" // the old alias
	}
	if a.has(key) {
		var err error
		if k, err = a.integer(key, 10, "period"); err != nil {
			return err
		}
	}
	maxN, err := a.integer("target_end_n", 150, "")
	if err != nil {
		return err
	}
	switch {
	case !a.has(key):
		// Older code (curriculum "alternating", e.g. with --alt_variant
		// cb_only) records no refresh period: the core never trains again.
		c.Regime = trainer.FrozenCore
		a.rep.Assumed = append(a.rep.Assumed, "no reservoir_interval_n recorded: read as Frozen-core (the core never trains again after phase 0)")
	case k+c.StartN > maxN:
		c.Regime = trainer.FrozenCore
		a.rep.Assumed = append(a.rep.Assumed, fmt.Sprintf("reservoir_interval_n %d refreshes no N up to %d: Frozen-core", k, maxN))
	default:
		c.Regime, c.Period = trainer.PeriodicCore, k
	}
	return nil
}

// readNetwork rebuilds their constructor call and the cbrnn model it is.
func readNetwork(a *args, sec sections, c *trainer.Config) error {
	k, err := constructorFromArgs(a, sec.model)
	if err != nil {
		return err
	}
	a.rep.Constructor, a.rep.Call = k, k.Python()
	if c.Model, c.ModelName, err = Config(k); err != nil {
		return err
	}
	a.rep.ModelName, a.rep.Regime = c.ModelName, c.Regime
	if (c.Regime == trainer.FrozenCore || c.Regime == trainer.PeriodicCore) && c.Model.CB == nil {
		return fmt.Errorf("a reservoir run of a network without CB")
	}
	return nil
}

// readProtocol reads epochs, steps, batch, the largest N and the seed.
func readProtocol(a *args, _ sections, c *trainer.Config) error {
	for _, f := range []struct {
		key, to string
		def     int
		dst     *int
	}{
		{"num_epochs", "epochs", 3000, &c.Epochs},
		{"training_steps", "steps", 100, &c.Steps},
		{"test_steps", "test_steps", 50, &c.TestSteps},
		{"batch_size", "batch", 64, &c.Batch},
		{"target_end_n", "max_n", 150, &c.MaxN},
	} {
		v, err := a.integer(f.key, f.def, f.to)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	seed, err := a.num("seed", 0, "seed")
	if err != nil || seed < 0 || seed != math.Trunc(seed) || !a.has("seed") {
		return fmt.Errorf("cli_args.seed = %v: want the whole number their run was seeded with", a.m["seed"])
	}
	c.Seed = uint64(seed)
	return nil
}

// readOptim reads the learning rates. SGD, momentum 0.1, Nesterov, clip
// 7.5 are fixed in their code (training/train.py, training/reservoir.py
// _build_optimizer).
func readOptim(a *args, _ sections, c *trainer.Config) error {
	rnnLR, err := a.num("rnn_lr", 0.05, "optim.lr")
	if err != nil {
		return err
	}
	cbLR, err := a.num("cb_lr", 0.05, "")
	if err != nil {
		return err
	}
	c.Optim = gm.Optim{LR: rnnLR, Momentum: 0.1, ClipNorm: 7.5, Nesterov: true}
	twoGroups := c.Model.CB != nil && (c.ModelName == "aux-rnn-cb" || c.Regime != trainer.Standard && c.Regime != trainer.FixedN)
	switch {
	case cbLR == rnnLR:
		a.rep.Mapped["cli_args.cb_lr"] = "optim.lr (equal to rnn_lr)"
	case twoGroups:
		// Their two SGD groups: the CB at cb_lr, the rest at rnn_lr.
		c.Optim.CBLR = cbLR
		a.rep.Mapped["cli_args.cb_lr"] = "optim.CBLR (the CB's rate; the core and readout at rnn_lr)"
	default:
		a.rep.Unmapped["cli_args.cb_lr"] = cbLR
		a.rep.Assumed = append(a.rep.Assumed, fmt.Sprintf("cb_lr %g unused: their standard path builds one SGD group at rnn_lr", cbLR))
	}
	return nil
}

// listUnread lists, as unmapped, every cli_args field that was not read,
// or was read (to refuse or to default) but not carried over.
func listUnread(a *args, cli map[string]any) {
	for key, v := range cli {
		k := "cli_args." + key
		if _, mapped := a.rep.Mapped[k]; mapped && a.used[key] {
			continue
		}
		if _, listed := a.rep.Unmapped[k]; !listed {
			a.rep.Unmapped[k] = v
		}
	}
}
