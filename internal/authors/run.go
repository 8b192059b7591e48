package authors

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/torchio"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/trainer"
)

// Their run folder (training/save.py save_model, save_run_config;
// training/train.py train; training/reservoir.py train_reservoir):
//
//	config.json       {"argv", "cli_args", "model_config", "run", "host", "params", "timestamp_utc"}
//	stats.npy         np.save of a dict of per-epoch lists (n_task, phase, loss, accuracy, grad_rnn, grad_cb, …)
//	rnn_N{a}_N{b}     torch.save({"state_dict": …}) when the curriculum advanced past b (a = b for one head)
//	rnn_init          the initial network of a standard run
const (
	authorsConfig = "config.json"
	authorsStats  = "stats.npy"
)

// ReportFile is what ImportRun writes beside the run: where it came from,
// how their config was read, and everything that has no counterpart.
const ReportFile = "authors.json"

var checkpointRE = regexp.MustCompile(`^rnn_N(\d+)_N(\d+)(\.pt)?$`)

// Report describes one imported run (ReportFile).
type Report struct {
	Source      string      `json:"source"`
	Constructor Constructor `json:"constructor"`
	Call        string      `json:"call"` // their constructor call, in Python
	ModelName   string      `json:"model_name"`
	Regime      string      `json:"regime"`
	// Mapped says which of their fields set which of cbrnn's.
	Mapped map[string]string `json:"mapped"`
	// Unmapped holds every field of their config.json's cli_args (and its
	// other top-level sections) that has no counterpart in cbrnn's config,
	// with its value.
	Unmapped map[string]any `json:"unmapped"`
	// Assumed lists the choices made where their files are silent.
	Assumed []string `json:"assumed"`
	// StatsKeys says where each key of stats.npy went.
	StatsKeys   map[string]string `json:"stats_keys"`
	Epochs      int               `json:"epochs"`
	Checkpoints map[string]int    `json:"checkpoints"` // their file → N
	Skipped     map[string]string `json:"skipped"`     // their file → why
	// AuthorsConfig is their config.json, verbatim.
	AuthorsConfig json.RawMessage `json:"authors_config"`
}

// ImportRun turns one of their run folders into a cbrnn run directory at
// dst: config.json (a trainer.Config), stats.jsonl (one line per epoch of
// stats.npy), checkpoints/N%03d.safetensors (every rnn_N{n}_N{n}),
// authors.json (the Report) and done.json. The directory is assembled
// beside dst and renamed into place at the end, so dst holds a whole import
// or nothing; dst must not exist. Their single-task curricula are read
// (single, single_nocurr, reservoir/alternating); multitask, switching,
// continual, fixed-schedule and multi-head curricula give an error.
func ImportRun(src, dst string) (*Report, error) {
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("%s already exists; choose a new --out (an import never overwrites a run)", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(src, authorsConfig))
	if err != nil {
		return nil, fmt.Errorf("%s is not one of the authors' run folders: %w", src, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(src, authorsConfig), err)
	}
	rep := &Report{Source: src, AuthorsConfig: json.RawMessage(raw), Mapped: map[string]string{}, Unmapped: map[string]any{},
		StatsKeys: map[string]string{}, Checkpoints: map[string]int{}, Skipped: map[string]string{}}
	cfg, err := readConfig(top, rep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(src, authorsConfig), err)
	}

	// Checkpoints: every rnn_N{n}_N{n}, checked strictly against the model.
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	type ckpt struct {
		file string
		n    int
	}
	var cks []ckpt
	for _, e := range entries {
		m := checkpointRE.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			if e.Name() == "rnn_init" || e.Name() == "rnn_init.pt" {
				rep.Skipped[e.Name()] = "the initial network (cbrnn keeps checkpoints of solved Ns only)"
			}
			continue
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		switch {
		case a != b:
			return nil, fmt.Errorf("%s: a checkpoint of heads for N=%d…%d (a multi-head curriculum), which cbrnn does not import", filepath.Join(src, e.Name()), a, b)
		case (cfg.Regime == trainer.FrozenCore || cfg.Regime == trainer.PeriodicCore) && a == cfg.StartN:
			// training/reservoir.py saves rnn_N{start}_N{start} before phase 0
			// trains and never overwrites it: it is the untrained network.
			rep.Skipped[e.Name()] = fmt.Sprintf("written by train_reservoir before training (the untrained network), not the one that solved N=%d", a)
			continue
		}
		cks = append(cks, ckpt{e.Name(), a})
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].n < cks[j].n })
	for i := 1; i < len(cks); i++ {
		if cks[i].n == cks[i-1].n {
			return nil, fmt.Errorf("%s: two checkpoints for N=%d (%s and %s)", src, cks[i].n, cks[i-1].file, cks[i].file)
		}
	}
	solvedNs := map[int]bool{}
	for _, c := range cks {
		solvedNs[c.n] = true
	}

	lines, err := readStats(filepath.Join(src, authorsStats), cfg.Threshold, solvedNs, rep)
	if err != nil {
		return nil, err
	}

	// Assemble beside dst, then rename into place.
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".importing-"+hex.EncodeToString(rnd[:]))
	defer os.RemoveAll(tmp)
	d, err := rundir.Create(tmp, cfg)
	if err != nil {
		return nil, err
	}
	for _, c := range cks {
		ts, err := torchio.ReadCheckpoint(filepath.Join(src, c.file))
		if err != nil {
			return nil, err
		}
		w, err := Weights(cfg.Model, ts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(src, c.file), err)
		}
		var out []safetensors.Tensor
		for _, p := range cfg.Model.Params() {
			out = append(out, safetensors.Tensor{Name: p.Name, Shape: p.Shape, Data: w[p.Name]})
		}
		if err := d.SaveCheckpoint(c.n, out, map[string]string{"authors_file": c.file}); err != nil {
			return nil, err
		}
		rep.Checkpoints[c.file] = c.n
	}
	var buf []byte
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return nil, fmt.Errorf("encoding stats: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	if err := rundir.WriteFileAtomic(filepath.Join(tmp, rundir.StatsFile), buf, 0o644); err != nil {
		return nil, err
	}
	rep.Epochs = len(lines)
	rb, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := rundir.WriteFileAtomic(filepath.Join(tmp, ReportFile), append(rb, '\n'), 0o644); err != nil {
		return nil, err
	}
	final := 0
	if len(lines) > 0 {
		final = lines[len(lines)-1].N
	}
	if err := d.MarkDone(map[string]any{"imported_from": src, "epochs": len(lines), "final_n": final, "solved": slices.Sorted(maps.Keys(solvedNs))}); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("moving the import into place: %w", err)
	}
	return rep, nil
}

// args reads their cli_args with the values their argparse defaults give
// when a key is absent (older runs lack newer flags).
type args struct {
	m    map[string]any
	used map[string]bool
	rep  *Report
}

func (a *args) has(key string) bool { v, ok := a.m[key]; return ok && v != nil }

func (a *args) get(key string, def any, to string) any {
	a.used[key] = true
	if v, ok := a.m[key]; ok && v != nil {
		if to != "" {
			a.rep.Mapped["cli_args."+key] = to
		}
		return v
	}
	if to != "" && def != nil {
		a.rep.Assumed = append(a.rep.Assumed, fmt.Sprintf("cli_args.%s absent or null: their default %v (→ %s)", key, def, to))
	}
	return def
}

func (a *args) num(key string, def float64, to string) (float64, error) {
	switch v := a.get(key, def, to).(type) {
	case float64:
		return v, nil
	case json.Number:
		return v.Float64()
	}
	return 0, fmt.Errorf("cli_args.%s = %v is not a number", key, a.m[key])
}

func (a *args) integer(key string, def int, to string) (int, error) {
	f, err := a.num(key, float64(def), to)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("cli_args.%s = %v is not a whole number", key, f)
	}
	return int(f), nil
}

func (a *args) flag(key string, def bool, to string) (bool, error) {
	if b, ok := a.get(key, def, to).(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("cli_args.%s = %v is not true or false", key, a.m[key])
}

func (a *args) str(key, def, to string) (string, error) {
	if s, ok := a.get(key, def, to).(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("cli_args.%s = %v is not a string", key, a.m[key])
}

// readConfig maps their config.json to a trainer.Config, filling the
// report. Their argv (recorded in cli_args) is the ground truth; the model
// hyper-parameters they recorded (model_config.model) give the shapes that
// the flags do not (input size, classes, heads).
func readConfig(top map[string]json.RawMessage, rep *Report) (trainer.Config, error) {
	var cli map[string]any
	if err := unmarshal(top["cli_args"], &cli); err != nil || cli == nil {
		return trainer.Config{}, fmt.Errorf("no cli_args (their save_run_config records the command line there): %v", err)
	}
	var mc struct {
		Model map[string]any `json:"model"`
	}
	if raw, ok := top["model_config"]; ok {
		if err := unmarshal(raw, &mc); err != nil {
			return trainer.Config{}, fmt.Errorf("model_config: %w", err)
		}
	}
	for k, v := range top {
		switch k {
		case "cli_args", "model_config":
		default:
			var x any
			json.Unmarshal(v, &x)
			rep.Unmapped[k] = x // argv, host, params, run, timestamp_utc: provenance
		}
	}
	a := &args{m: cli, used: map[string]bool{}, rep: rep}
	fail := func(err error) (trainer.Config, error) { return trainer.Config{}, err }

	// What kind of run: only single-task, one-head curricula have a
	// counterpart.
	for _, k := range []string{"multitask", "continual", "ct_switch", "task_switch"} {
		if on, err := a.flag(k, false, ""); err != nil {
			return fail(err)
		} else if on {
			return fail(fmt.Errorf("a --%s run; cbrnn import-run reads single-task runs (curriculum single, single_nocurr, reservoir)", k))
		}
	}
	if a.has("advance_every_epochs") {
		return fail(fmt.Errorf("a fixed-schedule run (--advance_every_epochs %v), which has no cbrnn regime", a.m["advance_every_epochs"]))
	}
	if mode, err := a.str("readout_mode", "single", ""); err != nil {
		return fail(err)
	} else if mode != "single" {
		return fail(fmt.Errorf("readout_mode %q: cbrnn imports one-head (single) readouts", mode))
	}
	c := trainer.Config{Threshold: 98, SwitchEvery: 5}
	var err error
	if c.Task, err = a.str("task", "", "task"); err != nil || c.Task == "" {
		return fail(fmt.Errorf("no task in cli_args (%v)", err))
	}
	curriculum, err := a.str("curriculum_type", "cumulative", "regime")
	if err != nil {
		return fail(err)
	}
	nsInit, err := a.integer("ns_init", 0, "")
	if err != nil {
		return fail(err)
	}
	c.StartN = 2 // their task specs' start_n
	if nsInit > 0 {
		c.StartN = nsInit // Ns_init = [N − 2 + ns_init] (training/train.py)
		rep.Mapped["cli_args.ns_init"] = "start_n"
	}
	switch curriculum {
	case "single":
		c.Regime = trainer.Standard
	case "single_nocurr":
		c.Regime, c.FixedN = trainer.FixedN, c.StartN
		rep.Mapped["cli_args.ns_init"] = "fixed_n (and start_n)"
	case "reservoir", "alternating":
		k := 10 // --reservoir_interval_n's default
		key := "reservoir_interval_n"
		if !a.has(key) && a.has("cb_reservoir_n") {
			key = "cb_reservoir_n" // the old alias
		}
		if a.has(key) {
			if k, err = a.integer(key, 10, "period"); err != nil {
				return fail(err)
			}
		}
		maxN, err := a.integer("target_end_n", 150, "")
		if err != nil {
			return fail(err)
		}
		switch {
		case !a.has(key):
			// Older code (curriculum "alternating", e.g. with --alt_variant
			// cb_only) records no refresh period: the core never trains again.
			c.Regime = trainer.FrozenCore
			rep.Assumed = append(rep.Assumed, "no reservoir_interval_n recorded: read as Frozen-core (the core never trains again after phase 0)")
		case k+c.StartN > maxN:
			c.Regime = trainer.FrozenCore
			rep.Assumed = append(rep.Assumed, fmt.Sprintf("reservoir_interval_n %d refreshes no N up to %d: Frozen-core", k, maxN))
		default:
			c.Regime, c.Period = trainer.PeriodicCore, k
		}
	default:
		return fail(fmt.Errorf("curriculum_type %q: cbrnn imports single, single_nocurr and reservoir (alternating) runs; cumulative and sliding train many heads", curriculum))
	}

	// The network.
	k, err := constructorFromArgs(a, mc.Model, rep)
	if err != nil {
		return fail(err)
	}
	rep.Constructor, rep.Call = k, k.Python()
	if c.Model, c.ModelName, err = Config(k); err != nil {
		return fail(err)
	}
	rep.ModelName, rep.Regime = c.ModelName, c.Regime
	if (c.Regime == trainer.FrozenCore || c.Regime == trainer.PeriodicCore) && c.Model.CB == nil {
		return fail(fmt.Errorf("a reservoir run of a network without CB"))
	}

	// The protocol.
	if c.Epochs, err = a.integer("num_epochs", 3000, "epochs"); err != nil {
		return fail(err)
	}
	if c.Steps, err = a.integer("training_steps", 100, "steps"); err != nil {
		return fail(err)
	}
	if c.TestSteps, err = a.integer("test_steps", 50, "test_steps"); err != nil {
		return fail(err)
	}
	if c.Batch, err = a.integer("batch_size", 64, "batch"); err != nil {
		return fail(err)
	}
	if c.MaxN, err = a.integer("target_end_n", 150, "max_n"); err != nil {
		return fail(err)
	}
	seed, err := a.num("seed", 0, "seed")
	if err != nil || seed < 0 || seed != math.Trunc(seed) || !a.has("seed") {
		return fail(fmt.Errorf("cli_args.seed = %v: want the whole number their run was seeded with", a.m["seed"]))
	}
	c.Seed = uint64(seed)
	rnnLR, err := a.num("rnn_lr", 0.05, "optim.lr")
	if err != nil {
		return fail(err)
	}
	cbLR, err := a.num("cb_lr", 0.05, "")
	if err != nil {
		return fail(err)
	}
	// SGD, momentum 0.1, Nesterov, clip 7.5: fixed in their code
	// (training/train.py, training/reservoir.py _build_optimizer).
	c.Optim = gm.Optim{LR: rnnLR, Momentum: 0.1, ClipNorm: 7.5, Nesterov: true}
	twoGroups := c.Model.CB != nil && (c.ModelName == "aux-rnn-cb" || c.Regime != trainer.Standard && c.Regime != trainer.FixedN)
	switch {
	case cbLR == rnnLR:
		rep.Mapped["cli_args.cb_lr"] = "optim.lr (equal to rnn_lr)"
	case twoGroups:
		rep.Unmapped["cli_args.cb_lr"] = cbLR
		rep.Assumed = append(rep.Assumed, fmt.Sprintf("cb_lr %g ≠ rnn_lr %g: their CB trained at cb_lr; cbrnn's optimiser has one rate, so the config records rnn_lr (matters only to retraining)", cbLR, rnnLR))
	default:
		rep.Unmapped["cli_args.cb_lr"] = cbLR
		rep.Assumed = append(rep.Assumed, fmt.Sprintf("cb_lr %g unused: their standard path builds one SGD group at rnn_lr", cbLR))
	}
	for key, v := range cli {
		if !a.used[key] {
			rep.Unmapped["cli_args."+key] = v
		} else if _, mapped := rep.Mapped["cli_args."+key]; !mapped {
			if _, listed := rep.Unmapped["cli_args."+key]; !listed {
				rep.Unmapped["cli_args."+key] = v // read (to refuse or to default) but not carried over
			}
		}
	}
	if err := c.Validate(); err != nil {
		return fail(err)
	}
	return c, nil
}

func unmarshal(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return errors.New("absent")
	}
	return json.Unmarshal(raw, v)
}

// constructorFromArgs rebuilds the constructor call of training/train.py
// build_model from their flags, with the shapes their model recorded.
func constructorFromArgs(a *args, model map[string]any, rep *Report) (Constructor, error) {
	modelType, err := a.str("model_type", "elman", "model (core)")
	if err != nil {
		return Constructor{}, err
	}
	class := ElmanClass
	switch modelType {
	case "elman":
	case "gru":
		class = GRUClass
	default:
		return Constructor{}, fmt.Errorf("model_type %q unknown (elman or gru)", modelType)
	}
	hp := func(key string, def any) any {
		if v, ok := model[key]; ok && v != nil {
			rep.Mapped["model_config.model."+key] = key
			return v
		}
		rep.Assumed = append(rep.Assumed, fmt.Sprintf("model_config.model.%s absent: %v", key, def))
		return def
	}
	kw := map[string]any{
		"input_size":        hp("input_size", 1.0),
		"num_classes":       hp("num_classes", 2.0),
		"num_readout_heads": hp("num_readout_heads", 1.0),
		"bias":              true,
	}
	if kw["hidden_size"], err = a.num("num_neurons", 500, "model (hidden)"); err != nil {
		return Constructor{}, err
	}
	useCB, err := a.flag("use_cb_bias", true, "model (CB or not)")
	if err != nil {
		return Constructor{}, err
	}
	kw["use_cb_bias"] = useCB
	afunc, err := a.str("afunc", "leakyrelu", "model (activation)")
	if err != nil {
		return Constructor{}, err
	}
	names := map[string]string{"leakyrelu": "LeakyReLU", "relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
	act, ok := names[afunc]
	if !ok {
		act = "LeakyReLU" // training/train.py: AFUNC_MAP.get(args.afunc, nn.LeakyReLU)
		rep.Assumed = append(rep.Assumed, fmt.Sprintf("afunc %q unknown to their AFUNC_MAP: LeakyReLU, as their code falls back", afunc))
	}
	if class == GRUClass {
		kw["candidate_afunc"] = act
	} else {
		kw["afunc"] = act
		tau, err := a.num("tau", 1.5, "model (tau)")
		if err != nil {
			return Constructor{}, err
		}
		kw["tau"] = tau
	}
	// What their model recorded must agree with the flags.
	for _, chk := range []struct {
		hp, flag string
		v        any
	}{{"hidden_size", "num_neurons", kw["hidden_size"]}, {"use_cb_bias", "use_cb_bias", useCB}} {
		if rec, ok := model[chk.hp]; ok && rec != nil && fmt.Sprint(rec) != fmt.Sprint(chk.v) {
			return Constructor{}, fmt.Errorf("model_config.model.%s = %v but cli_args.%s = %v: the folder's config contradicts itself", chk.hp, rec, chk.flag, chk.v)
		}
	}
	if !useCB {
		return Constructor{Class: class, Kwargs: kw}, nil
	}
	sees, err := a.flag("cb_sees_input", false, "model (CB input)")
	if err != nil {
		return Constructor{}, err
	}
	noHidden, err := a.flag("cb_no_hidden", false, "model (CB input)")
	if err != nil {
		return Constructor{}, err
	}
	kw["cb_no_hidden"], kw["cb_input_size"] = noHidden, 0.0
	if sees || noHidden {
		kw["cb_input_size"] = kw["input_size"] // cb_input_size = INPUT_SIZE (training/train.py)
	}
	if kw["cb_gc_dim"], err = a.num("gc_dim", 512, "model (G)"); err != nil {
		return Constructor{}, err
	}
	if kw["cb_pc_dim"], err = a.num("pc_dim", 64, "model (P)"); err != nil {
		return Constructor{}, err
	}
	if kw["cb_max_ratio"], err = a.num("cb_max_ratio", 1.0, "model (GRU CB clip)"); err != nil {
		return Constructor{}, err
	}
	if class == ElmanClass {
		aux, err := a.flag("aux_rnn_cb", false, "model (auxiliary RNN)")
		if err != nil {
			return Constructor{}, err
		}
		kw["rnn_aux_ctrl"] = aux
		if kw["aux_hidden_size"], err = a.num("aux_rnn_hidden_size", 139, "model (auxiliary RNN size)"); err != nil {
			return Constructor{}, err
		}
		if kw["cb_compress_dim"], err = a.num("cb_compress_dim", 0, "model (compression)"); err != nil {
			return Constructor{}, err
		}
	}
	return Constructor{Class: class, Kwargs: kw}, nil
}

// statsLine is one epoch of an imported run: trainer.EpochStats' fields
// that their stats have, and their own values under "authors".
type statsLine struct {
	Epoch     int      `json:"epoch"`
	N         int      `json:"n"`
	Phase     string   `json:"phase"`
	TrainLoss *float64 `json:"train_loss"` // null where their loss is not finite
	TestAcc   *float64 `json:"test_acc"`
	Solved    bool     `json:"solved"`
	// Authors holds every per-epoch value of their stats.npy for this epoch;
	// non-finite floats are written as the strings "NaN", "+Inf", "-Inf".
	Authors map[string]any `json:"authors"`
}

// phases maps their phase labels (training/train.py "RNN"; reservoir.py
// "init"; variants.py "CB_ONLY", "BOTH") to trainer's.
var phases = map[string]string{"RNN": trainer.PhaseAll, "init": trainer.PhaseInit, "RNN_ONLY": trainer.PhaseInit,
	"CB_ONLY": trainer.PhaseCBOnly, "BOTH": trainer.PhaseBoth}

// readStats maps stats.npy to stats lines. solved[N] says a checkpoint of
// N exists.
func readStats(path string, threshold float64, solved map[int]bool, rep *Report) ([]statsLine, error) {
	obj, err := torchio.ReadNpyObject(path)
	if err != nil {
		return nil, err
	}
	m, ok := obj.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T, not their dict of per-epoch lists", path, obj)
	}
	list := func(key string) []any {
		l, _ := m[key].([]any)
		return l
	}
	ns := list("n_task")
	if ns == nil {
		return nil, fmt.Errorf("%s has no n_task list (keys: %s)", path, strings.Join(slices.Sorted(maps.Keys(m)), ", "))
	}
	E := len(ns)
	known := map[string]string{"n_task": "n", "phase": "phase", "loss": "train_loss", "accuracy": "test_acc", "epoch": "epoch"}
	perEpoch := []string{}
	for key, v := range m {
		l, isList := v.([]any)
		switch {
		case !isList:
			rep.StatsKeys[key] = "not a list: kept in authors.json only"
			rep.Unmapped["stats."+key] = v
		case len(l) != E:
			rep.StatsKeys[key] = fmt.Sprintf("%d values for %d epochs: kept in authors.json only", len(l), E)
			rep.Unmapped["stats."+key] = sanitize(v)
		default:
			perEpoch = append(perEpoch, key)
			if to, ok := known[key]; ok {
				rep.StatsKeys[key] = to + " (and authors." + key + ")"
			} else {
				rep.StatsKeys[key] = "authors." + key + " (no counterpart)"
			}
		}
	}
	sort.Strings(perEpoch)
	rep.StatsKeys["(derived)"] = "solved: derived (the next epoch trains a larger N, or the last epoch reached the threshold at an N with a checkpoint); grad_norm and wall_s: not written (their grad_rnn is the norm after clipping, cbrnn's before)"
	intAt := func(key string, i int) (int, bool) {
		switch v := list(key)[i].(type) {
		case int64:
			return int(v), true
		case float64:
			return int(v), v == math.Trunc(v)
		}
		return 0, false
	}
	floatAt := func(key string, i int) *float64 {
		l := list(key)
		if len(l) != E {
			return nil
		}
		var f float64
		switch v := l[i].(type) {
		case float64:
			f = v
		case int64:
			f = float64(v)
		default:
			return nil
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return &f
	}
	lines := make([]statsLine, E)
	for i := range lines {
		n, ok := intAt("n_task", i)
		if !ok {
			return nil, fmt.Errorf("%s: n_task[%d] = %v is not a whole number", path, i, ns[i])
		}
		l := statsLine{Epoch: i + 1, N: n, Phase: trainer.PhaseAll, TrainLoss: floatAt("loss", i), TestAcc: floatAt("accuracy", i), Authors: map[string]any{}}
		if len(list("epoch")) == E {
			if e, ok := intAt("epoch", i); ok {
				l.Epoch = e
			}
		}
		if len(list("phase")) == E {
			if ps, ok := list("phase")[i].(string); ok {
				l.Phase = ps // a label of theirs cbrnn has no name for stays as it is
				if p, ok := phases[ps]; ok {
					l.Phase = p
				}
			}
		}
		for _, key := range perEpoch {
			l.Authors[key] = sanitize(list(key)[i])
		}
		lines[i] = l
	}
	for i := range lines {
		if i+1 < E {
			lines[i].Solved = lines[i+1].N > lines[i].N
		} else {
			acc := lines[i].TestAcc
			lines[i].Solved = acc != nil && *acc >= threshold && solved[lines[i].N]
		}
	}
	return lines, nil
}

// sanitize makes a value JSON-encodable: non-finite floats become strings.
func sanitize(v any) any {
	switch x := v.(type) {
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "+Inf"
		case math.IsInf(x, -1):
			return "-Inf"
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sanitize(e)
		}
		return out
	}
	return v
}
