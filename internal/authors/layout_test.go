package authors

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	_ "github.com/cbrnn/cbrnn/gomlx_models/variants" // cb-rnn-2gc: a model their code does not have
	"github.com/cbrnn/cbrnn/safetensors"
)

// theirs lists the registered models their code has, with the class and
// the constructor arguments read in model/cb_rnn.py and model/cb_gru.py
// (for one input, one head of two classes, the registry's defaults).
var theirs = []struct {
	model string
	class string
	call  string
}{
	{"cb-rnn", ElmanClass, "ElmanRNNMultiHead(input_size=1, hidden_size=64, num_classes=2, num_readout_heads=1, tau=1.5, afunc=nn.LeakyReLU, bias=True, use_cb_bias=True, " +
		"cb_gc_dim=256, cb_pc_dim=64, cb_no_hidden=False, cb_input_size=1, cb_max_ratio=1.0, cb_compress_dim=0, rnn_aux_ctrl=False, aux_hidden_size=139)"},
	{"rnn", ElmanClass, "ElmanRNNMultiHead(input_size=1, hidden_size=202, num_classes=2, num_readout_heads=1, tau=1.5, afunc=nn.LeakyReLU, bias=True, use_cb_bias=False)"},
	{"cb-compress", ElmanClass, "ElmanRNNMultiHead(input_size=1, hidden_size=64, num_classes=2, num_readout_heads=1, tau=1.5, afunc=nn.LeakyReLU, bias=True, use_cb_bias=True, " +
		"cb_gc_dim=256, cb_pc_dim=64, cb_no_hidden=False, cb_input_size=1, cb_max_ratio=1.0, cb_compress_dim=16, rnn_aux_ctrl=False, aux_hidden_size=139)"},
	{"aux-rnn-cb", ElmanClass, "ElmanRNNMultiHead(input_size=1, hidden_size=64, num_classes=2, num_readout_heads=1, tau=1.5, afunc=nn.LeakyReLU, bias=True, use_cb_bias=True, " +
		"cb_gc_dim=128, cb_pc_dim=64, cb_no_hidden=False, cb_input_size=1, cb_max_ratio=1.0, cb_compress_dim=0, rnn_aux_ctrl=True, aux_hidden_size=139)"},
	{"cb-gru", GRUClass, "GRUMultiHeadWithCB(input_size=1, hidden_size=64, num_classes=2, num_readout_heads=1, candidate_afunc=nn.LeakyReLU, bias=True, use_cb_bias=True, " +
		"cb_gc_dim=256, cb_pc_dim=64, cb_input_size=1, cb_no_hidden=False, cb_max_ratio=1.0)"},
	{"gru", GRUClass, "GRUMultiHeadWithCB(input_size=1, hidden_size=128, num_classes=2, num_readout_heads=1, candidate_afunc=nn.LeakyReLU, bias=True, use_cb_bias=False)"},
}

func TestConstructorForEveryModel(t *testing.T) {
	known := map[string]bool{}
	for _, tc := range theirs {
		known[tc.model] = true
		t.Run(tc.model, func(t *testing.T) {
			c := gm.MustBuild(tc.model, gm.Options{})
			k, err := ConstructorFor(c)
			if err != nil {
				t.Fatal(err)
			}
			if k.Class != tc.class || k.Python() != tc.call {
				t.Errorf("got %s\nwant %s", k.Python(), tc.call)
			}
			// Back through JSON, as the metadata carries it: the same network.
			meta, err := Metadata(c)
			if err != nil {
				t.Fatal(err)
			}
			var back Constructor
			back.Class = meta["authors_class"]
			if err := json.Unmarshal([]byte(meta["authors_kwargs"]), &back.Kwargs); err != nil {
				t.Fatal(err)
			}
			got, name, err := Config(back)
			if err != nil {
				t.Fatal(err)
			}
			if name != tc.model || !reflect.DeepEqual(got, c) {
				t.Errorf("back as %s:\n%+v\nwant\n%+v", name, got, c)
			}
			if meta["authors_call"] != tc.call || meta["authors_module"] != Module(tc.class) {
				t.Errorf("metadata %v", meta)
			}
		})
	}
	// Every registered model either has a counterpart above or a reason.
	for _, m := range gm.Models() {
		if known[m.Name] {
			continue
		}
		_, err := ConstructorFor(gm.MustBuild(m.Name, gm.Options{}))
		if err == nil || !strings.Contains(err.Error(), "the authors' code has no network like this one") {
			t.Errorf("%s: error %v, want one saying their code has no such network", m.Name, err)
		}
	}
}

func TestConstructorForOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    gm.Config
		want map[string]any // kwargs that must be set so
		err  string
	}{
		{"sees hidden only", gm.MustBuild("cb-rnn", gm.Options{CBSees: gm.SeesHidden}), map[string]any{"cb_input_size": 0, "cb_no_hidden": false}, ""},
		{"sees input only", gm.MustBuild("cb-rnn", gm.Options{Inputs: 3, CBSees: gm.SeesInput}), map[string]any{"cb_input_size": 3, "cb_no_hidden": true}, ""},
		{"two heads of 3", gm.MustBuild("cb-gru", gm.Options{Heads: []int{3, 3}, GC: 32, PC: 8}), map[string]any{"num_readout_heads": 2, "num_classes": 3, "cb_gc_dim": 32, "cb_pc_dim": 8}, ""},
		{"heads of different sizes", gm.MustBuild("cb-rnn", gm.Options{Heads: []int{2, 3}}), nil, "different class counts"},
		{"aux sees input only", gm.MustBuild("aux-rnn-cb", gm.Options{CBSees: gm.SeesInput}), nil, "only the input"},
		{"leaky slope", func() gm.Config { c := gm.MustBuild("rnn", gm.Options{}); c.Core.Slope = 0.2; return c }(), nil, "slope 0.2"},
		{"tanh core", func() gm.Config {
			c := gm.MustBuild("rnn", gm.Options{})
			c.Core.Act, c.Core.Slope = gm.ActTanh, 0
			return c
		}(), map[string]any{"afunc": "Tanh"}, ""},
		{"clipped Elman CB", func() gm.Config { c := gm.MustBuild("cb-rnn", gm.Options{}); c.CB.MaxRatio = 1; return c }(), nil, "norm-clipped"},
		{"GRU clip ratio", func() gm.Config { c := gm.MustBuild("cb-gru", gm.Options{}); c.CB.MaxRatio = 0.5; return c }(), map[string]any{"cb_max_ratio": 0.5}, ""},
		{"per-step readout", func() gm.Config { c := gm.MustBuild("rnn", gm.Options{}); c.Readout.PerStep = true; return c }(), map[string]any{"use_cb_bias": false}, ""},
		{"invalid config", gm.Config{}, nil, "inputs must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ConstructorFor(tc.c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for key, v := range tc.want {
				if !reflect.DeepEqual(k.Kwargs[key], v) {
					t.Errorf("%s = %v, want %v", key, k.Kwargs[key], v)
				}
			}
			b, _ := json.Marshal(k.Kwargs)
			var back Constructor
			back.Class = k.Class
			json.Unmarshal(b, &back.Kwargs)
			got, _, err := Config(back)
			if err != nil || !reflect.DeepEqual(got.Params(), tc.c.Params()) || got.Core != tc.c.Core {
				t.Errorf("back: %v\n%+v\nwant %+v", err, got, tc.c)
			}
		})
	}
	if m, _ := Metadata(func() gm.Config { c := gm.MustBuild("rnn", gm.Options{}); c.Readout.PerStep = true; return c }()); m["authors_forward_kwargs"] != `{"return_timewise":true}` {
		t.Errorf("per-step metadata %v", m)
	}
}

func TestConfigErrors(t *testing.T) {
	elman := func(kv ...any) Constructor {
		kw := map[string]any{"input_size": 1.0}
		for i := 0; i < len(kv); i += 2 {
			kw[kv[i].(string)] = kv[i+1]
		}
		return Constructor{Class: ElmanClass, Kwargs: kw}
	}
	for _, tc := range []struct {
		name string
		k    Constructor
		want string
	}{
		{"unknown class", Constructor{Class: "LSTM"}, `class "LSTM" unknown`},
		{"unknown argument", elman("dropout", 0.5), "has no argument dropout"},
		{"no input size", Constructor{Class: GRUClass, Kwargs: map[string]any{}}, "input_size=<nil>"},
		{"no biases", elman("bias", false), "bias=false"},
		{"unknown activation", elman("afunc", "GELU"), "afunc=GELU"},
		{"task id CB input", elman("cb_input_size", 3.0), "task-id"},
		{"CB sees nothing", elman("cb_no_hidden", true), "nothing to see"},
		{"fractional width", elman("hidden_size", 6.5), "whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Config(tc.k); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func tensorsOf(c gm.Config, w gm.Weights) []safetensors.Tensor {
	var ts []safetensors.Tensor
	for _, p := range c.Params() {
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Shape, Data: w[p.Name]})
	}
	return ts
}

func TestWeights(t *testing.T) {
	c := gm.MustBuild("cb-rnn", gm.Options{GC: 8, PC: 4, Hidden: 5})
	w := gm.InitWeights(c, rand.New(rand.NewPCG(1, 2)))
	ts := tensorsOf(c, w)
	got, err := Weights(c, ts)
	if err != nil || !reflect.DeepEqual(got, w) {
		t.Fatalf("exact tensors: %v", err)
	}
	// The golden files' single readout "head" reads as heads.0.
	var legacy []safetensors.Tensor
	for _, x := range ts {
		x.Name = strings.Replace(x.Name, "heads.0.", "head.", 1)
		legacy = append(legacy, x)
	}
	if got, err := Weights(c, legacy); err != nil || !reflect.DeepEqual(got, w) {
		t.Errorf("head.* alias: %v", err)
	}
	two := gm.MustBuild("cb-rnn", gm.Options{GC: 8, PC: 4, Hidden: 5, Heads: []int{2, 2}})
	if _, err := Weights(two, legacy); err == nil || !strings.Contains(err.Error(), "head.weight") {
		t.Errorf("head.* with two heads: error %v, want head.weight named as unknown", err)
	}

	bad := append([]safetensors.Tensor{}, ts...)
	bad[0] = safetensors.Tensor{Name: bad[0].Name, Shape: []int{5, 2}, Data: make([]float32, 10)} // inp.weight
	bad = bad[:len(bad)-1]                                                                        // drop heads.0.bias
	bad = append(bad, safetensors.Tensor{Name: "cb.extra.weight", Shape: []int{1}, Data: []float32{0}})
	_, err = Weights(c, bad)
	for _, want := range []string{"inp.weight is [5 2], the network needs [5 1]", "missing: heads.0.bias [2]", "not parameters of this network: cb.extra.weight [1]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if _, err := Weights(c, append(ts, ts[0])); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
}

// TestREADMECalls keeps the README's "Working with the authors' code" in
// step with ConstructorFor: the constructor calls it shows are the ones
// the package writes into exported files.
func TestREADMECalls(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(b)), " ")
	for _, tc := range theirs {
		if tc.model != "cb-rnn" && tc.model != "cb-gru" {
			continue // the README gives these two in full, the rest as differences
		}
		if !strings.Contains(readme, tc.call) {
			t.Errorf("README.md lacks the call for %s:\n%s", tc.model, tc.call)
		}
	}
}
