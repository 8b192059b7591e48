package main

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/safetensors"
	"github.com/cbrnn/cbrnn/rundir"
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
		{"negative batch", []string{"--batch", "-1", "--out", fresh()}, "batch must be positive"},
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
