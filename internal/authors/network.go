package authors

import (
	"fmt"
	"sort"
	"strings"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/trainer"
)

// olderField is a field of their older code (model/models_cb.py
// ElmanRNNMultiHead, training/train.py) that changes the network or how it
// learns, with the value under which it changes nothing.
type olderField struct {
	key     string
	neutral func(any) bool
	does    string
}

func isFalse(v any) bool { b, ok := v.(bool); return ok && !b }
func isZero(v any) bool  { f, ok := v.(float64); return ok && f == 0 }

var olderFields = []olderField{
	{"scramble", isFalse, "scrambles the core's recurrent input"},
	{"train_tau", isFalse, "trains τ as a parameter (cbrnn's τ is fixed, METHODS §1)"},
	{"cb_sparsity", isZero, "makes the CB's granule layer sparse"},
	{"multiply", isFalse, "subtracts the CB's output from the pre-activation instead of adding it"},
	{"rnn_eat", isFalse, "adds their \"eat its own tail\" loss, a second core run without the CB"},
	{"learning_alg", func(v any) bool {
		s, _ := v.(string)
		return strings.EqualFold(s, "sgd") || strings.EqualFold(s, "bptt")
	},
		"trains with another learning rule than SGD through time"},
}

// refuseNetworkChanges refuses a run whose older fields (in cli_args or in
// model_config.model) hold values that change the network or its
// learning: read as a plain network, it would be silently wrong. Absent
// and null values are their defaults, which change nothing.
func refuseNetworkChanges(a *args, sec sections, _ *trainer.Config) error {
	for _, f := range olderFields {
		for _, src := range []struct {
			name string
			m    map[string]any
		}{{"cli_args", sec.cli}, {"model_config.model", sec.model}} {
			v, ok := src.m[f.key]
			if !ok || v == nil || f.neutral(v) {
				continue
			}
			a.used[f.key] = true
			return fmt.Errorf("%s.%s = %v: their network then %s; no registered cbrnn model does (known: %s), so importing it as one would be wrong",
				src.name, f.key, v, f.does, strings.Join(gm.ModelNames(), ", "))
		}
	}
	return nil
}

// constructorFromArgs rebuilds the constructor call of training/train.py
// build_model from their flags, with the shapes their model recorded, and
// checks that what the model recorded agrees with the flags.
func constructorFromArgs(a *args, model map[string]any) (Constructor, error) {
	class, err := coreClass(a)
	if err != nil {
		return Constructor{}, err
	}
	kw := recordedShapes(model, a.rep)
	for _, step := range []func(*args, string, map[string]any) error{readCore, readCB} {
		if err := step(a, class, kw); err != nil {
			return Constructor{}, err
		}
	}
	if err := agree(a, class, kw, model); err != nil {
		return Constructor{}, err
	}
	return Constructor{Class: class, Kwargs: kw}, nil
}

// coreClass is their class for --model_type.
func coreClass(a *args) (string, error) {
	modelType, err := a.str("model_type", "elman", "model (core)")
	if err != nil {
		return "", err
	}
	switch modelType {
	case "elman":
		return ElmanClass, nil
	case "gru":
		return GRUClass, nil
	}
	return "", fmt.Errorf("model_type %q unknown (elman or gru)", modelType)
}

// recordedShapes takes from their model's record what the flags do not
// say: input size, classes and heads.
func recordedShapes(model map[string]any, rep *Report) map[string]any {
	hp := func(key string, def any) any {
		if v, ok := model[key]; ok && v != nil {
			rep.Mapped["model_config.model."+key] = key
			return v
		}
		rep.Assumed = append(rep.Assumed, fmt.Sprintf("model_config.model.%s absent: %v", key, def))
		return def
	}
	return map[string]any{
		"input_size":        hp("input_size", 1.0),
		"num_classes":       hp("num_classes", 2.0),
		"num_readout_heads": hp("num_readout_heads", 1.0),
		"bias":              true,
	}
}

// afuncs maps their --afunc to the torch.nn class (training/train.py
// AFUNC_MAP).
var afuncs = map[string]string{"leakyrelu": "LeakyReLU", "relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}

// readCore reads the core's size, activation and (Elman) τ.
func readCore(a *args, class string, kw map[string]any) error {
	var err error
	if kw["hidden_size"], err = a.num("num_neurons", 500, "model (hidden)"); err != nil {
		return err
	}
	afunc, err := a.str("afunc", "leakyrelu", "model (activation)")
	if err != nil {
		return err
	}
	act, ok := afuncs[afunc]
	if !ok {
		act = "LeakyReLU" // training/train.py: AFUNC_MAP.get(args.afunc, nn.LeakyReLU)
		a.rep.Assumed = append(a.rep.Assumed, fmt.Sprintf("afunc %q unknown to their AFUNC_MAP: LeakyReLU, as their code falls back", afunc))
	}
	if class == GRUClass {
		kw["candidate_afunc"] = act
		return nil
	}
	kw["afunc"] = act
	kw["tau"], err = a.num("tau", 1.5, "model (tau)")
	return err
}

// readCB reads the cerebellar module's flags: whether there is one, what
// it sees, its widths, and the auxiliary-RNN and compression variants.
func readCB(a *args, class string, kw map[string]any) error {
	useCB, err := a.flag("use_cb_bias", true, "model (CB or not)")
	if err != nil {
		return err
	}
	kw["use_cb_bias"] = useCB
	if !useCB {
		return nil
	}
	sees, err := a.flag("cb_sees_input", false, "model (CB input)")
	if err != nil {
		return err
	}
	noHidden, err := a.flag("cb_no_hidden", false, "model (CB input)")
	if err != nil {
		return err
	}
	kw["cb_no_hidden"], kw["cb_input_size"] = noHidden, 0.0
	if sees || noHidden {
		kw["cb_input_size"] = kw["input_size"] // cb_input_size = INPUT_SIZE (training/train.py)
	}
	nums := []struct{ kwarg, flag, to string }{{"cb_gc_dim", "gc_dim", "model (G)"}, {"cb_pc_dim", "pc_dim", "model (P)"}, {"cb_max_ratio", "cb_max_ratio", "model (GRU CB clip)"}}
	if class == ElmanClass {
		nums = append(nums, struct{ kwarg, flag, to string }{"aux_hidden_size", "aux_rnn_hidden_size", "model (auxiliary RNN size)"},
			struct{ kwarg, flag, to string }{"cb_compress_dim", "cb_compress_dim", "model (compression)"})
		if kw["rnn_aux_ctrl"], err = a.flag("aux_rnn_cb", false, "model (auxiliary RNN)"); err != nil {
			return err
		}
	}
	defaults := map[string]float64{"gc_dim": 512, "pc_dim": 64, "cb_max_ratio": 1, "aux_rnn_hidden_size": 139, "cb_compress_dim": 0}
	for _, n := range nums {
		if kw[n.kwarg], err = a.num(n.flag, defaults[n.flag], n.to); err != nil {
			return err
		}
	}
	return nil
}

// flagOf names the cli_args field each constructor argument was read from.
var flagOf = map[string]string{
	"hidden_size": "num_neurons", "use_cb_bias": "use_cb_bias", "afunc": "afunc", "candidate_afunc": "afunc", "tau": "tau",
	"cb_gc_dim": "gc_dim", "cb_pc_dim": "pc_dim", "cb_no_hidden": "cb_no_hidden", "cb_input_size": "cb_sees_input",
	"cb_max_ratio": "cb_max_ratio", "rnn_aux_ctrl": "aux_rnn_cb", "aux_hidden_size": "aux_rnn_hidden_size",
	"cb_compress_dim": "cb_compress_dim",
}

// agree checks every value their model recorded against the one the flags
// give: a folder whose config contradicts itself is refused, naming both
// values, rather than one of them winning silently.
func agree(a *args, class string, kw, model map[string]any) error {
	var bad []string
	say := func(rec string, recV any, flag string, flagV any) {
		bad = append(bad, fmt.Sprintf("model_config.model.%s = %v but cli_args.%s = %v", rec, recV, flag, flagV))
	}
	for k, flag := range flagOf {
		rec, ok := model[k]
		if v, has := kw[k]; ok && rec != nil && has && !same(rec, v) {
			say(k, rec, flag, a.shown(flag, v))
		}
	}
	actKey := "afunc"
	if class == GRUClass {
		actKey = "candidate_afunc"
	}
	if rec, ok := model["activation"]; ok && rec != nil && !same(rec, kw[actKey]) {
		say("activation", rec, "afunc", a.shown("afunc", kw[actKey]))
	}
	if rec, ok := model["model_type"].(string); ok && rec != class && rec != "" {
		say("model_type", rec, "model_type", a.shown("model_type", class))
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%s: the folder's config contradicts itself", strings.Join(bad, "; "))
}

// same compares a recorded value with a flag's: numbers by value, names
// of activations without case or an "nn." prefix.
func same(rec, v any) bool {
	rs, rok := rec.(string)
	vs, vok := v.(string)
	if rok && vok {
		return strings.EqualFold(strings.TrimPrefix(rs, "nn."), strings.TrimPrefix(vs, "nn."))
	}
	return fmt.Sprint(rec) == fmt.Sprint(v)
}
