package authors

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/pytorchtest"
	"github.com/cbrnn/cbrnn/internal/torchio"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// The run folders of these tests are written at test time, in the test's
// temporary directory, by authors_torch.py with Debian's PyTorch and NumPy:
// the checkpoints and stats.npy are then what a real torch.save and np.save
// write on the machine the tests run on (np.int64 values included), which
// a committed copy could not promise, and nothing binary is committed.

// FolderSpec describes one of their run folders for authors_torch.py
// runfolder.
type FolderSpec struct {
	CLI         map[string]any            `json:"cli_args"`
	Model       Constructor               `json:"model"`
	Stats       map[string][]any          `json:"stats"`
	StatsTypes  map[string]string         `json:"stats_types,omitempty"`
	Checkpoints map[string]any            `json:"checkpoints"` // file → seed, or a .safetensors path
	Corrupt     map[string]map[string]any `json:"corrupt,omitempty"`
}

// paperCLI is the cli_args of one of their paper runs (training/train.py
// as run for results/single_task/dms_multistyle_repeats), shrunk to test
// sizes, with flags from older versions of their code that cbrnn has no
// counterpart for (alt_variant, cb_l2, multiply).
func paperCLI() map[string]any {
	return map[string]any{
		"task": "dms", "model_type": "elman", "curriculum_type": "single", "num_neurons": 12, "gc_dim": 24, "pc_dim": 6,
		"cb_sees_input": true, "cb_no_hidden": false, "use_cb_bias": true, "afunc": "leakyrelu", "tau": nil,
		"rnn_lr": 0.01, "cb_lr": 0.01, "num_epochs": 1000, "batch_size": 64, "training_steps": 100, "test_steps": 50,
		"seed": 3241781090, "network_number": 3, "base_path": "./results", "affixes": "", "readout_mode": "single",
		"multitask": false, "continual": false, "ct_switch": false, "task_switch": false, "advance_every_epochs": nil,
		"target_end_n": nil, "ns_init": nil, "reservoir_interval_n": 10, "cb_max_ratio": 1.0, "cb_compress_dim": 0,
		"aux_rnn_cb": false, "aux_rnn_hidden_size": 139, "alt_variant": "cb_only", "cb_l2": 0.0, "multiply": false,
	}
}

func writeFolder(t *testing.T, dir string, spec FolderSpec) {
	t.Helper()
	pytorchtest.Run(t, folderJob(t, dir, spec)...)
}

// folderJob is the authors_torch.py command that writes the folder.
func folderJob(t *testing.T, dir string, spec FolderSpec) []string {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "spec.json")
	os.WriteFile(specFile, b, 0o644)
	return []string{"runfolder", "--dir", dir, "--spec", specFile}
}

func standardSpec(t *testing.T, c gm.Config) FolderSpec {
	k, err := ConstructorFor(c)
	if err != nil {
		t.Fatal(err)
	}
	cli := paperCLI()
	cli["num_neurons"], cli["gc_dim"], cli["pc_dim"] = c.Core.Hidden, c.CB.Layers[0].Width, c.CB.Layers[1].Width
	return FolderSpec{
		CLI:   cli,
		Model: k,
		Stats: map[string][]any{
			"n_task":   {2, 2, 3, 3, 3, 4},
			"phase":    {"RNN", "RNN", "RNN", "RNN", "RNN", "RNN"},
			"loss":     {0.7, 0.2, "NaN", 0.6, 0.1, 0.69},
			"accuracy": {60.0, 98.5, 55.0, 80.0, 99.0, 75.0},
			"grad_rnn": {1.0, 2.0, 3.0, 4.0, 5.0, 6.0},
			"grad_cb":  {0, 0, 0, 0, 0, 0},
			"stage":    {"", "", "", "", "", ""},
			"task":     {"dms", "dms", "dms", "dms", "dms", "dms"},
		},
		StatsTypes:  map[string]string{"n_task": "int64"}, // their Ns begin as np.arange values
		Checkpoints: map[string]any{"rnn_init": 0, "rnn_N2_N2": 1, "rnn_N3_N3": 2},
	}
}

func TestImportRun(t *testing.T) {
	pytorchtest.Require(t)
	want := gm.MustBuild("cb-rnn", gm.Options{Hidden: 12, GC: 24, PC: 6})
	src := filepath.Join(t.TempDir(), "single_dms_elman_size_12_CB_gc24_RNNlr0.01_CBlr0.01_CBinput_network_3")
	writeFolder(t, src, standardSpec(t, want))
	parent := t.TempDir()
	dst := filepath.Join(parent, "runs", "imported")
	rep, err := ImportRun(context.Background(), src, dst)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rundir.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil {
		t.Fatal(err)
	}
	wantCfg := trainer.Config{Task: "dms", ModelName: "cb-rnn", Model: want, Regime: trainer.Standard, Epochs: 1000, Steps: 100, TestSteps: 50,
		Batch: 64, StartN: 2, MaxN: 150, Threshold: 98, Optim: gm.PaperOptim(), SwitchEvery: 5, Seed: 3241781090}
	if !reflect.DeepEqual(c, wantCfg) {
		t.Errorf("config\n%+v\nwant\n%+v", c, wantCfg)
	}
	// Checkpoints: their N=2 and N=3, bit for bit; not rnn_init.
	ns, _ := d.CheckpointNs()
	if !reflect.DeepEqual(ns, []int{2, 3}) {
		t.Fatalf("checkpoints %v, want [2 3]", ns)
	}
	for _, n := range ns {
		theirs, err := torchio.ReadCheckpoint(filepath.Join(src, fmt.Sprintf("rnn_N%d_N%d", n, n)))
		if err != nil {
			t.Fatal(err)
		}
		tw, err := Weights(want, theirs)
		if err != nil {
			t.Fatal(err)
		}
		ours, meta, err := d.LoadCheckpoint(n)
		if err != nil {
			t.Fatal(err)
		}
		ow, err := Weights(want, ours)
		if err != nil || !reflect.DeepEqual(ow, tw) || meta["authors_file"] != fmt.Sprintf("rnn_N%d_N%d", n, n) {
			t.Errorf("checkpoint N=%d differs from theirs (%v, meta %v)", n, err, meta)
		}
	}
	// Stats: one line per epoch; solved where the next epoch trains a
	// larger N; NaN loss → null; their values kept.
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil {
		t.Fatal(err)
	}
	var gotN []int
	var solved []bool
	for _, s := range st {
		gotN, solved = append(gotN, s.N), append(solved, s.Solved)
		if s.Phase != trainer.PhaseAll {
			t.Errorf("epoch %d phase %q", s.Epoch, s.Phase)
		}
	}
	if !reflect.DeepEqual(gotN, []int{2, 2, 3, 3, 3, 4}) || !reflect.DeepEqual(solved, []bool{false, true, false, false, true, false}) ||
		st[1].TestAcc != 98.5 || st[1].TrainLoss != 0.2 || st[5].Epoch != 6 {
		t.Errorf("stats %+v", st)
	}
	raw, _ := os.ReadFile(filepath.Join(dst, rundir.StatsFile))
	third := strings.Split(string(raw), "\n")[2]
	if !strings.Contains(third, `"train_loss":null`) || !strings.Contains(third, `"loss":"NaN"`) || !strings.Contains(third, `"grad_rnn":3`) {
		t.Errorf("third stats line %s", third)
	}
	// The report: what has no counterpart, and what was skipped.
	for _, key := range []string{"cli_args.alt_variant", "cli_args.cb_l2", "cli_args.network_number", "cli_args.base_path", "argv", "host"} {
		if _, ok := rep.Unmapped[key]; !ok {
			t.Errorf("report does not list %s as unmapped", key)
		}
	}
	for _, key := range []string{"cli_args.num_neurons", "cli_args.seed", "cli_args.num_epochs", "cli_args.cb_sees_input"} {
		if _, ok := rep.Mapped[key]; !ok {
			t.Errorf("report does not list %s as mapped", key)
		}
	}
	if _, ok := rep.Skipped["rnn_init"]; !ok || rep.ModelName != "cb-rnn" || rep.Epochs != 6 {
		t.Errorf("report %+v", rep)
	}
	if b, err := os.ReadFile(filepath.Join(dst, ReportFile)); err != nil || !strings.Contains(string(b), `"authors_config"`) {
		t.Errorf("authors.json: %v", err)
	}
	if done, _ := d.Done(); !done {
		t.Error("the imported run is not marked done")
	}
	if left, _ := filepath.Glob(filepath.Join(parent, "runs", ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// Never over an existing directory.
	if _, err := ImportRun(context.Background(), src, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second import: %v", err)
	}
}

func TestImportRunRegimes(t *testing.T) {
	pytorchtest.Require(t)
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	cases := []struct {
		name        string
		cli         map[string]any
		remove      []string
		phases      []any
		wantRegime  string
		wantPeriod  int
		wantFixed   int
		wantStart   int
		wantNs      []int
		wantSkipped string
	}{
		{"reservoir k=10: periodic-core, untrained N=2 skipped", map[string]any{"curriculum_type": "reservoir"}, nil,
			[]any{"init", "init", "CB_ONLY", "CB_ONLY", "CB_ONLY", "CB_ONLY"}, trainer.PeriodicCore, 10, 0, 2, []int{3}, "rnn_N2_N2"},
		{"reservoir k=1000: frozen-core", map[string]any{"curriculum_type": "reservoir", "reservoir_interval_n": 1000}, nil,
			[]any{"init", "init", "CB_ONLY", "CB_ONLY", "CB_ONLY", "CB_ONLY"}, trainer.FrozenCore, 0, 0, 2, []int{3}, "rnn_N2_N2"},
		{"old alternating cb_only: frozen-core", map[string]any{"curriculum_type": "alternating"}, []string{"reservoir_interval_n"},
			[]any{"init", "init", "CB_ONLY", "CB_ONLY", "BOTH", "BOTH"}, trainer.FrozenCore, 0, 0, 2, []int{3}, "rnn_N2_N2"},
		{"single_nocurr from N=2: fixed-n", map[string]any{"curriculum_type": "single_nocurr"}, nil,
			[]any{"RNN", "RNN", "RNN", "RNN", "RNN", "RNN"}, trainer.FixedN, 0, 2, 2, []int{2, 3}, "rnn_init"},
	}
	var jobs [][]string
	srcs := make([]string, len(cases))
	for i, tc := range cases {
		spec := standardSpec(t, c)
		for k, v := range tc.cli {
			spec.CLI[k] = v
		}
		for _, k := range tc.remove {
			delete(spec.CLI, k)
		}
		spec.Stats["phase"] = tc.phases
		spec.Stats["epoch"] = []any{1, 2, 3, 4, 5, 6}
		srcs[i] = filepath.Join(t.TempDir(), "run")
		jobs = append(jobs, folderJob(t, srcs[i], spec))
	}
	pytorchtest.RunAll(t, jobs)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := srcs[i], filepath.Join(t.TempDir(), "imported")
			rep, err := ImportRun(context.Background(), src, dst)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := rundir.Open(dst)
			var got trainer.Config
			d.ReadConfig(&got)
			if got.Regime != tc.wantRegime || got.Period != tc.wantPeriod || got.FixedN != tc.wantFixed || got.StartN != tc.wantStart {
				t.Errorf("regime %s period %d fixed %d start %d", got.Regime, got.Period, got.FixedN, got.StartN)
			}
			if ns, _ := d.CheckpointNs(); !reflect.DeepEqual(ns, tc.wantNs) {
				t.Errorf("checkpoints %v, want %v", ns, tc.wantNs)
			}
			if _, ok := rep.Skipped[tc.wantSkipped]; !ok {
				t.Errorf("skipped %v, want %s among them", rep.Skipped, tc.wantSkipped)
			}
			st, _ := rundir.ReadStats[trainer.EpochStats](d)
			if want := map[string]string{"init": trainer.PhaseInit, "CB_ONLY": trainer.PhaseCBOnly, "BOTH": trainer.PhaseBoth, "RNN": trainer.PhaseAll}[tc.phases[2].(string)]; st[2].Phase != want {
				t.Errorf("phase %q, want %q", st[2].Phase, want)
			}
		})
	}
}

func TestImportRunErrors(t *testing.T) {
	pytorchtest.Require(t)
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	cases := []struct {
		name string
		edit func(*FolderSpec)
		want []string
	}{
		{"cumulative curriculum", func(s *FolderSpec) { s.CLI["curriculum_type"] = "cumulative" }, []string{`curriculum_type "cumulative"`}},
		{"multitask", func(s *FolderSpec) { s.CLI["multitask"] = true }, []string{"--multitask run"}},
		{"fixed schedule", func(s *FolderSpec) { s.CLI["advance_every_epochs"] = 5 }, []string{"fixed-schedule"}},
		{"no seed", func(s *FolderSpec) { delete(s.CLI, "seed") }, []string{"cli_args.seed"}},
		{"config contradicts itself", func(s *FolderSpec) { s.CLI["num_neurons"] = 9 }, []string{"hidden_size = 8 but cli_args.num_neurons = 9"}},
		{"multi-head checkpoint", func(s *FolderSpec) { s.Checkpoints["rnn_N2_N5"] = 3 }, []string{"rnn_N2_N5", "multi-head"}},
		{"wrong shape", func(s *FolderSpec) {
			s.Corrupt = map[string]map[string]any{"rnn_N3_N3": {"inp.weight": [][]float64{{1.5, 2.5}}}}
		},
			[]string{"rnn_N3_N3", "inp.weight is [1 2], the network needs [8 1]"}},
		{"unknown key", func(s *FolderSpec) {
			s.Corrupt = map[string]map[string]any{"rnn_N3_N3": {"cb.extra.weight": []float64{1.5}}}
		},
			[]string{"rnn_N3_N3", "not parameters of this network: cb.extra.weight [1]"}},
		{"integer tensor", func(s *FolderSpec) {
			s.Corrupt = map[string]map[string]any{"rnn_N3_N3": {"inp.weight": [][]int{{1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}}}}
		},
			[]string{"rnn_N3_N3", `tensor "inp.weight" has dtype int64`}},
		{"no n_task", func(s *FolderSpec) { delete(s.Stats, "n_task") }, []string{"no n_task"}},
	}
	var jobs [][]string
	srcs := make([]string, len(cases))
	for i, tc := range cases {
		spec := standardSpec(t, c)
		tc.edit(&spec)
		srcs[i] = filepath.Join(t.TempDir(), "run")
		jobs = append(jobs, folderJob(t, srcs[i], spec))
	}
	pytorchtest.RunAll(t, jobs)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, parent := srcs[i], t.TempDir()
			dst := filepath.Join(parent, "imported")
			_, err := ImportRun(context.Background(), src, dst)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a failed import left %v", entries)
			}
		})
	}
	if _, err := ImportRun(context.Background(), t.TempDir(), filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "not one of the authors' run folders") {
		t.Errorf("empty folder: %v", err)
	}
}
