package main

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestTrainCLI trains a tiny run through the real plugins, then checks the
// clear errors a user gets for bad input.
func TestTrainCLI(t *testing.T) {
	t.Setenv("CBRNN_TASK_PATH", pluginDir(t))
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "run")
	tiny := []string{"--task", "dms", "--epochs", "2", "--steps", "2", "--test-steps", "1", "--batch", "4", "--out", out}
	if err := runTrain(ctx, tiny); err != nil {
		t.Fatal(err)
	}
	d, err := rundir.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil || len(st) != 2 {
		t.Fatalf("%d epochs recorded (%v), want 2", len(st), err)
	}
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil || !reflect.DeepEqual(c.Model, gm.MustBuild("cb-rnn", gm.Options{})) || c.Optim.LR != 0.01 {
		t.Errorf("config %+v (%v) is not the paper's CB-RNN", c, err)
	}
	if err := runTrain(ctx, append(tiny, "--resume")); err != nil {
		t.Errorf("resuming a finished run: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := safetensors.WriteFile(bad, []safetensors.Tensor{{Name: "inp.weight", Shape: []int{3, 1}, Data: make([]float32, 3)}}, nil); err != nil {
		t.Fatal(err)
	}
	fresh := func() string { return filepath.Join(t.TempDir(), "r") }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"existing run without --resume", tiny, "--resume"},
		{"unknown task", []string{"--task", "nosuch", "--out", fresh()}, "nosuch"},
		{"unknown model", []string{"--model", "lstm", "--out", fresh()}, `unknown model "lstm"`},
		{"option the model ignores", []string{"--model", "seed-sketch", "--gc", "512", "--out", fresh()}, "model seed-sketch does not take --gc"},
		{"unknown regime", []string{"--regime", "sometimes", "--out", fresh()}, `unknown regime "sometimes"`},
		{"frozen core without CB", []string{"--model", "rnn", "--regime", "frozen-core", "--out", fresh()}, "cerebellar module"},
		{"bad number", []string{"--epochs", "many", "--out", fresh()}, "invalid value"},
		{"negative batch", []string{"--batch", "-1", "--out", fresh()}, "--batch -1 is outside its domain"},
		{"no output", []string{"--task", "dms"}, "--out"},
		{"import that does not fit", []string{"--import", bad, "--out", fresh()}, "does not fit"},
		{"import missing", []string{"--import", filepath.Join(t.TempDir(), "none.safetensors"), "--out", fresh()}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runTrain(ctx, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// Every flag and task parameter is checked against its domain
// before anything is written, so a refused start leaves no folder behind.
func TestTrainRefusesBeforeWriting(t *testing.T) {
	t.Setenv("CBRNN_TASK_PATH", pluginDir(t))
	ctx := context.Background()
	nan := filepath.Join(t.TempDir(), "nan.safetensors")
	m := gm.MustBuild("cb-rnn", gm.Options{})
	var ts []safetensors.Tensor
	for _, p := range m.Params() {
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Shape, Data: make([]float32, p.Size())})
	}
	ts[0].Data[3] = float32(math.NaN())
	if err := safetensors.WriteFile(nan, ts, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"negative epochs", []string{"--epochs", "-3"}, "--epochs -3 is outside its domain: 0 (the paper's budget) or a number of epochs in [1, 1000000]"},
		{"absurd steps", []string{"--steps", "1000000000"}, "--steps 1000000000 is outside its domain: training batches per epoch in [1, 1000000]"},
		{"zero test steps", []string{"--test-steps", "0"}, "--test-steps 0 is outside its domain"},
		{"huge batch", []string{"--batch", "100000"}, "--batch 100000 is outside its domain: trials per batch in [1, 65536]"},
		{"too many seeds", []string{"--seeds", "100000"}, "--seeds 100000 is outside its domain: runs trained together in [1, 1024]"},
		{"negative hidden", []string{"--hidden", "-5"}, "--hidden -5 is outside its domain"},
		{"negative gc", []string{"--gc", "-1"}, "--gc -1 is outside its domain: 0 (the model's default, 256) or granule cells in [1, 1073741824]"},
		{"huge hidden", []string{"--hidden", "100000"}, "needs about"},
		{"huge gc", []string{"--gc", "100000000"}, "needs about"},
		{"max N beyond the task", []string{"--max-n", "5000"}, "max N 5000 is outside the N range [2, 1000] of task dms"},
		{"fixed N beyond the task", []string{"--regime", "fixed-n", "--n", "1001"}, "fixed N 1001 is outside the N range [2, 1000] of task dms"},
		{"--n without fixed-n", []string{"--n", "7"}, "--n 7 is only for --regime fixed-n"},
		{"--period without periodic-core", []string{"--period", "4"}, "--period 4 is only for --regime periodic-core"},
		{"--freeze-after-n without frozen-core", []string{"--freeze-after-n", "4"}, "freeze after N=4: a freeze point belongs to regime frozen-core, not standard"},
		{"--freeze-after-n at the start N", []string{"--regime", "frozen-core", "--freeze-after-n", "2"}, "that is the start N, the paper's freeze point; leave freeze_after_n 0"},
		{"unknown task parameter", []string{"--task-param", "nosuch=1"}, `task dms has no parameter "nosuch"`},
		{"task parameter outside its domain", []string{"--task", "switch", "--task-param", "active=sideways"}, `parameter active = "sideways" is outside its domain: one of "dms", "parity"`},
		{"non-finite import", []string{"--import", nan}, "non-finite value"},
		{"batch timeout", []string{"--batch-timeout", "-1s"}, "--batch-timeout -1s is outside its domain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			// Small sizes first, so that a flag the check misses trains briefly.
			args := append([]string{"--epochs", "1", "--steps", "1", "--test-steps", "1", "--batch", "4"}, tc.args...)
			err := runTrain(ctx, append(args, "--out", out))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			t.Log(err)
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused start left %s behind (%v)", out, err)
			}
		})
	}
}

// TestEveryModelTrains trains every registered model for a few epochs of
// DMS through the real plugins, exports its weights, checks the file holds
// exactly the trained parameters, and starts a new run from it.
func TestEveryModelTrains(t *testing.T) {
	t.Setenv("CBRNN_TASK_PATH", pluginDir(t))
	ctx := context.Background()
	for _, m := range gm.Models() {
		t.Run(m.Name, func(t *testing.T) {
			dir := t.TempDir()
			run := filepath.Join(dir, "run")
			args := []string{"--model", m.Name, "--task", "dms", "--epochs", "3", "--steps", "3", "--test-steps", "1", "--batch", "8"}
			if err := runTrain(ctx, append(args, "--out", run)); err != nil {
				t.Fatal(err)
			}
			d, err := rundir.Open(run)
			if err != nil {
				t.Fatal(err)
			}
			st, err := rundir.ReadStats[trainer.EpochStats](d)
			if err != nil || len(st) != 3 {
				t.Fatalf("%d epochs recorded (%v), want 3", len(st), err)
			}
			var c trainer.Config
			if err := d.ReadConfig(&c); err != nil || c.ModelName != m.Name || !reflect.DeepEqual(c.Model, gm.MustBuild(m.Name, gm.Options{})) {
				t.Fatalf("config of %s: %+v (%v)", m.Name, c, err)
			}
			for _, s := range st {
				if !(s.TrainLoss > 0) || s.TestAcc < 0 || s.TestAcc > 100 {
					t.Errorf("epoch %d: loss %v accuracy %v", s.Epoch, s.TrainLoss, s.TestAcc)
				}
			}

			file := filepath.Join(dir, "final.safetensors")
			if err := runExport([]string{run, "--final", "--out", file}, nil); err != nil {
				t.Fatal(err)
			}
			ts, _, err := safetensors.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := trainer.FromTensors(c.Model, ts, "")
			if err != nil || len(ts) != len(c.Model.Params()) {
				t.Fatalf("export holds %d tensors for %d parameters: %v", len(ts), len(c.Model.Params()), err)
			}
			state, _, err := d.LoadState(new(trainer.State))
			if err != nil {
				t.Fatal(err)
			}
			want, err := trainer.FromTensors(c.Model, state, "")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Error("exported weights differ from the run's final weights")
			}
			if err := runTrain(ctx, []string{"--model", m.Name, "--task", "dms", "--epochs", "1", "--steps", "1", "--test-steps", "1",
				"--batch", "8", "--import", file, "--out", filepath.Join(dir, "again")}); err != nil {
				t.Errorf("training from the exported weights: %v", err)
			}
		})
	}
}

// --out and --resume never lose a user's files or silently
// start afresh, and a start that failed after writing leaves nothing that
// blocks the same command.
func TestTrainOutFolder(t *testing.T) {
	t.Setenv("CBRNN_TASK_PATH", pluginDir(t))
	ctx := context.Background()
	tiny := []string{"--task", "dms", "--epochs", "1", "--steps", "1", "--test-steps", "1", "--batch", "4"}

	// A folder with someone's files is not a run: refuse, touch nothing.
	foreign := t.TempDir()
	for _, f := range []string{"provenance.json", "stats.jsonl", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(foreign, f), []byte("mine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := runTrain(ctx, append(tiny, "--out", foreign))
	if err == nil || !strings.Contains(err.Error(), "is not empty and holds no cbrnn run") {
		t.Fatalf("--out into a foreign folder: %v", err)
	}
	t.Log(err)
	entries, _ := os.ReadDir(foreign)
	for _, e := range entries {
		if b, _ := os.ReadFile(filepath.Join(foreign, e.Name())); string(b) != "mine\n" {
			t.Errorf("%s was changed or added: %q", e.Name(), b)
		}
	}
	if len(entries) != 3 {
		t.Errorf("the foreign folder now holds %d entries, want its 3", len(entries))
	}

	// --resume of a folder that does not exist is refused.
	missing := filepath.Join(t.TempDir(), "nope")
	err = runTrain(ctx, append(tiny, "--out", missing, "--resume"))
	if err == nil || !strings.Contains(err.Error(), "--resume: "+missing+" does not exist") {
		t.Fatalf("--resume of a missing folder: %v", err)
	}
	t.Log(err)
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--resume of a missing folder created it")
	}

	// A start killed before its first epoch (config.json, provenance.json
	// and an empty stats file, of other flags) does not block a new start.
	left := filepath.Join(t.TempDir(), "left")
	other := trainer.Paper("dms", gm.MustBuild("cb-rnn", gm.Options{}), 1)
	other.Steps = 999
	if _, err := rundir.Create(left, other); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(left, trainer.ProvenanceFile), []byte("[]"), 0o644)
	os.WriteFile(filepath.Join(left, rundir.StatsFile), nil, 0o644)
	if err := runTrain(ctx, append(tiny, "--out", left)); err != nil {
		t.Fatalf("a new start over a start that never completed an epoch: %v", err)
	}
	d, err := rundir.Open(left)
	if err != nil {
		t.Fatal(err)
	}
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil || c.Steps != 1 {
		t.Errorf("the new start kept the old config (steps %d, %v)", c.Steps, err)
	}

	// But a run that completed an epoch still needs --resume.
	err = runTrain(ctx, append(tiny, "--out", left, "--steps", "2"))
	if err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Fatalf("a finished run was replaced: %v", err)
	}
}

// `make plugins` after editing a generator, then
// --resume, is refused until --accept-plugin-change.
func TestTrainResumeRefusesRebuiltPlugin(t *testing.T) {
	dir := pluginDir(t)
	t.Setenv("CBRNN_TASK_PATH", dir)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--task", "dms", "--epochs", "6", "--steps", "1", "--test-steps", "1", "--batch", "4", "--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // interrupt after the first committed epoch
		for ctx.Err() == nil {
			if d, err := rundir.Open(out); err == nil {
				if st, _ := rundir.ReadStats[trainer.EpochStats](d); len(st) > 0 {
					cancel()
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	if err := runTrain(ctx, args); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupting: %v", err)
	}
	cancel()
	// "Rebuild" the plugin: other bytes, a new manifest.
	f, err := os.OpenFile(filepath.Join(dir, "dms"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("rebuilt"))
	f.Close()
	if err := host.WriteManifest(dir, []string{"dms", "switch"}); err != nil {
		t.Fatal(err)
	}
	err = runTrain(context.Background(), append(args, "--resume"))
	var ce *trainer.ChangedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `task plugin "dms" changed`) || !strings.Contains(err.Error(), "--accept-plugin-change") {
		t.Fatalf("resume with a rebuilt plugin: %v", err)
	}
	t.Log(err)
	if err := runTrain(context.Background(), append(args, "--resume", "--accept-plugin-change")); err != nil {
		t.Fatal(err)
	}
	d, _ := rundir.Open(out)
	if done, _ := d.Done(); !done {
		t.Error("the accepted resume did not finish the run")
	}
}

// The oddball repro: p_stable=5, NaN and noise=-1 (parameters of
// the structured oddball task since the authors' i.i.d. task took the
// name) are refused before anything is written: the task checks its
// parameters' domains, and train asks it with one trial first.
func TestTrainRefusesOddballParameters(t *testing.T) {
	dir := t.TempDir()
	if _, err := plugintest.Build(dir, "taskplugins/oddball", "taskplugins/oddball_structured"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if left := plugintest.Children(dir); len(left) > 0 {
			t.Errorf("plugin processes left: %v", left)
		}
	})
	t.Setenv("CBRNN_TASK_PATH", dir)
	for _, c := range []struct{ task, p string }{
		{"oddball_structured", "p_stable=5"}, {"oddball_structured", "p_volatile=NaN"}, {"oddball_structured", "noise=-1"},
		{"oddball", "threshold=1.01"},
	} {
		p := c.p
		out := filepath.Join(t.TempDir(), "run")
		err := runTrain(context.Background(), []string{"--task", c.task, "--task-param", p, "--epochs", "1", "--steps", "1", "--test-steps", "1", "--out", out})
		key, _, _ := strings.Cut(p, "=")
		if err == nil || !strings.Contains(err.Error(), "parameter "+key) || !strings.Contains(err.Error(), "outside its domain") {
			t.Errorf("--task-param %s: %v", p, err)
		}
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("--task-param %s left %s behind", p, out)
		}
	}
}
