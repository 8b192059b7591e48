package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/authors"
	"github.com/cbrnn/cbrnn/internal/pytorchtest"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestAuthorsRoundTrip takes a network trained here to the authors'
// PyTorch layout and back, through every command a user would run:
//
//  1. cbrnn trains a CB-RNN on DMS until it solves N=2 and N=3;
//  2. `cbrnn export --n N` writes each solved network with their class and
//     constructor arguments in the metadata;
//  3. PyTorch (authors_torch.py, their parameter names) loads the file with
//     load_state_dict(strict=True), measures its accuracy on fresh DMS
//     trials at N=3, and saves it as their save_model does (rnn_N3_N3);
//  4. cbrnn reads that torch.save file back: the same weights, and the
//     same accuracy as PyTorch's and as before the trip;
//  5. a run folder in their format (config.json, stats.npy, rnn_N{n}_N{n})
//     is written from the run, and `cbrnn import-run` turns it back into a
//     run directory equal to the original;
//  6. `cbrnn figures --runs` draws fig5, appG and appH from the imported run,
//     with the same numbers as from the original run;
//  7. `cbrnn train --import` starts from their torch.save file.
func TestAuthorsRoundTrip(t *testing.T) {
	pytorchtest.Require(t)
	plugins := t.TempDir()
	if _, err := plugintest.Build(plugins, "taskplugins/dms", "taskplugins/parity"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CBRNN_TASK_PATH", plugins)
	ctx := context.Background()
	base := t.TempDir()

	// 1. Train.
	ours := filepath.Join(base, "ours")
	size := []string{"--hidden", "16", "--gc", "32", "--pc", "16"}
	if err := runTrain(ctx, append(size, "--task", "dms", "--epochs", "200", "--steps", "50", "--test-steps", "4", "--batch", "32",
		"--max-n", "3", "--seed", "5", "--out", ours)); err != nil {
		t.Fatal(err)
	}
	d, err := rundir.Open(ours)
	if err != nil {
		t.Fatal(err)
	}
	var cfg trainer.Config
	if err := d.ReadConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	if ns, _ := d.CheckpointNs(); !reflect.DeepEqual(ns, []int{2, 3}) {
		t.Fatalf("the run solved %v, want N = 2 and 3 (a slower machine? raise --epochs)", ns)
	}

	// 2. Export, with their constructor in the metadata.
	exported := map[int]string{}
	for _, n := range []int{2, 3} {
		exported[n] = filepath.Join(base, fmt.Sprintf("N%d.safetensors", n))
		if err := runExport([]string{ours, "--n", fmt.Sprint(n), "--out", exported[n]}, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, meta, err := safetensors.ReadFile(exported[3])
	if err != nil {
		t.Fatal(err)
	}
	call := "ElmanRNNMultiHead(input_size=1, hidden_size=16, num_classes=2, num_readout_heads=1, tau=1.5, afunc=nn.LeakyReLU, bias=True, use_cb_bias=True, " +
		"cb_gc_dim=32, cb_pc_dim=16, cb_no_hidden=False, cb_input_size=1, cb_max_ratio=1.0, cb_compress_dim=0, rnn_aux_ctrl=False, aux_hidden_size=139)"
	if meta["authors_class"] != authors.ElmanClass || meta["authors_module"] != "model.cb_rnn" || meta["authors_call"] != call {
		t.Errorf("export metadata %v", meta)
	}

	// 3. PyTorch: accuracy on 256 fresh DMS trials at N=3, and torch.save.
	b, err := tasks.NewLocal().Batch(ctx, task.Request{Task: "dms", N: 3, B: 256, Seed: 99, Split: task.Test})
	if err != nil {
		t.Fatal(err)
	}
	h0 := cfg.Model.InitialState(rand.New(rand.NewPCG(99, 1)), b.B)
	labels := make([]float32, b.B)
	for i, l := range b.Labels[0] {
		labels[i] = float32(l)
	}
	in, out, ckpt := filepath.Join(base, "in.safetensors"), filepath.Join(base, "out.safetensors"), filepath.Join(base, "rnn_N3_N3")
	if err := safetensors.WriteFile(in, []safetensors.Tensor{
		{Name: "x", Shape: []int{b.T, b.B, 1}, Data: b.X}, {Name: "h0", Shape: []int{b.B, 16}, Data: h0}, {Name: "labels", Shape: []int{b.B}, Data: labels},
	}, nil); err != nil {
		t.Fatal(err)
	}
	pytorchtest.Run(t, "logits", "--weights", exported[3], "--inputs", in, "--out", out, "--save-torch", ckpt)
	torchAcc := float64(pytorchtest.ReadOutputs(t, out)["accuracy"].Data[0])

	// 4. Back in cbrnn: the same weights and accuracy.
	ts, _, err := d.LoadCheckpoint(3)
	if err != nil {
		t.Fatal(err)
	}
	before, err := authors.Weights(cfg.Model, ts)
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := authors.LoadWeights(ckpt, cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("the network came back from PyTorch changed")
	}
	accOf := func(w gm.Weights) float64 {
		ens, err := gm.NewEnsemble(mustBackend(t), cfg.Model, []gm.Weights{w})
		if err != nil {
			t.Fatal(err)
		}
		o, err := ens.Eval(gm.EvalInput{Input: gm.Input{B: b.B, X: [][]float32{b.X}, T: []int{b.T}, H0: [][]float32{h0}}})
		if err != nil {
			t.Fatal(err)
		}
		return gm.Accuracy(o.Logits[0][0], 2, b.Labels[0])
	}
	accBefore, accAfter := accOf(before), accOf(after)
	t.Logf("accuracy at the solved N=3 on 256 fresh trials: %.2f%% before, %.2f%% in PyTorch, %.2f%% after the round trip", 100*accBefore, 100*torchAcc, 100*accAfter)
	if accBefore != accAfter || math.Abs(accBefore-torchAcc) > 1e-6 || accBefore < 0.9 {
		t.Errorf("accuracy %.4f before, %.4f in PyTorch, %.4f after (want equal, and ≥ 0.9 at a solved N)", accBefore, torchAcc, accAfter)
	}

	// 5. Their run folder from our run, imported back.
	theirs := filepath.Join(base, "single_dms_elman_size_16_CB_gc32_CBinput_network_1")
	writeAuthorsFolder(t, d, cfg, theirs, map[string]any{"rnn_init": 0, "rnn_N2_N2": exported[2], "rnn_N3_N3": exported[3]})
	imported := filepath.Join(base, "runs", "imported")
	var log bytes.Buffer
	if err := runImportRun(context.Background(), []string{theirs, "--out", imported}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "model     cb-rnn (ElmanRNNMultiHead, regime standard)") || !strings.Contains(log.String(), "solved N  2, 3") {
		t.Errorf("import-run printed:\n%s", log.String())
	}
	di, err := rundir.Open(imported)
	if err != nil {
		t.Fatal(err)
	}
	var icfg trainer.Config
	di.ReadConfig(&icfg)
	if !reflect.DeepEqual(icfg, cfg) {
		t.Errorf("imported config\n%+v\nwant the original\n%+v", icfg, cfg)
	}
	for _, n := range []int{2, 3} {
		a, _, _ := d.LoadCheckpoint(n)
		b, _, err := di.LoadCheckpoint(n)
		wa, _ := authors.Weights(cfg.Model, a)
		wb, _ := authors.Weights(cfg.Model, b)
		if err != nil || !reflect.DeepEqual(wa, wb) {
			t.Errorf("imported checkpoint N=%d differs from the original (%v)", n, err)
		}
	}
	so, _ := rundir.ReadStats[trainer.EpochStats](d)
	si, _ := rundir.ReadStats[trainer.EpochStats](di)
	if len(so) != len(si) {
		t.Fatalf("%d epochs imported, %d trained", len(si), len(so))
	}
	for i := range so {
		if so[i].N != si[i].N || so[i].Solved != si[i].Solved || so[i].TestAcc != si[i].TestAcc || so[i].Epoch != si[i].Epoch {
			t.Errorf("epoch %d: imported %+v, trained %+v", i+1, si[i], so[i])
			break
		}
	}

	// 6. The figures from the imported run: the numbers of the original.
	tables := map[string]string{}
	for _, r := range []string{ours, imported} {
		figs := filepath.Join(base, "figs-"+filepath.Base(r))
		if err := runFigures(ctx, []string{"--runs", r, "--out", figs, "--profile", "smoke", "fig5", "appG", "appH"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"fig5", "appG", "appH"} {
			f, err := os.Open(filepath.Join(figs, id+".png"))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil || img.Bounds().Dx() < 300 {
				t.Errorf("%s/%s.png is not a real PNG: %v", figs, id, err)
			}
			md, err := os.ReadFile(filepath.Join(figs, id+".md"))
			if err != nil {
				t.Fatal(err)
			}
			// The tables after the list of runs (whose paths differ).
			_, rest, _ := strings.Cut(string(md), "\n\n**")
			if id == "appG" {
				_, rest, _ = strings.Cut(string(md), "| group |")
			}
			if rest == "" {
				t.Errorf("%s.md has no table:\n%s", id, md)
			}
			// The t-SNE line names the network by its folder, which differs.
			rest = regexp.MustCompile(`network \S+ at`).ReplaceAllString(rest, "network … at")
			if prev, ok := tables[id]; ok && prev != rest {
				t.Errorf("%s from the imported run differs from the original:\n%s\nvs\n%s", id, rest, prev)
			}
			tables[id] = rest
		}
	}
	if !strings.Contains(tables["fig5"], "| 3 |") {
		t.Errorf("fig5 has no row for N=3:\n%s", tables["fig5"])
	}

	// 7. Training starts from their torch.save file.
	if err := runTrain(ctx, append(size, "--task", "dms", "--epochs", "1", "--steps", "1", "--test-steps", "1", "--batch", "8",
		"--import", ckpt, "--out", filepath.Join(base, "again"))); err != nil {
		t.Errorf("train --import of a torch.save checkpoint: %v", err)
	}
	if err := runTrain(ctx, []string{"--task", "dms", "--hidden", "17", "--epochs", "1", "--import", ckpt, "--out", filepath.Join(base, "misfit")}); err == nil ||
		!strings.Contains(err.Error(), "inp.weight is [16 1], the network needs [17 1]") {
		t.Errorf("a torch checkpoint that does not fit: %v", err)
	}
}

// writeAuthorsFolder writes, with authors_torch.py, one of their run
// folders holding run d: its config as their flags, its stats as their
// stats.npy, and the given checkpoints (file → seed or .safetensors path).
func writeAuthorsFolder(t *testing.T, d *rundir.Dir, c trainer.Config, dir string, checkpoints map[string]any) {
	t.Helper()
	k, err := authors.ConstructorFor(c.Model)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil {
		t.Fatal(err)
	}
	stats := map[string][]any{}
	for _, s := range st {
		stats["n_task"] = append(stats["n_task"], s.N)
		stats["phase"] = append(stats["phase"], "RNN")
		stats["loss"] = append(stats["loss"], s.TrainLoss)
		stats["accuracy"] = append(stats["accuracy"], s.TestAcc)
		stats["grad_rnn"] = append(stats["grad_rnn"], s.GradNorm)
		stats["grad_cb"] = append(stats["grad_cb"], 0.0)
	}
	cli := map[string]any{
		"task": c.Task, "model_type": "elman", "curriculum_type": "single", "num_neurons": c.Model.Core.Hidden,
		"gc_dim": c.Model.CB.Layers[0].Width, "pc_dim": c.Model.CB.Layers[1].Width, "cb_sees_input": true, "use_cb_bias": true,
		"afunc": "leakyrelu", "tau": nil, "rnn_lr": c.Optim.LR, "cb_lr": c.Optim.LR, "num_epochs": c.Epochs, "batch_size": c.Batch,
		"training_steps": c.Steps, "test_steps": c.TestSteps, "seed": c.Seed, "target_end_n": c.MaxN, "readout_mode": "single",
		"network_number": 1, "base_path": "./results",
	}
	spec, err := json.Marshal(map[string]any{"cli_args": cli, "model": k, "stats": stats, "checkpoints": checkpoints})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "spec.json")
	os.WriteFile(file, spec, 0o644)
	pytorchtest.Run(t, "runfolder", "--dir", dir, "--spec", file)
}

func mustBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, _, err := gm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
