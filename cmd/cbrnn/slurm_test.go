package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/internal/slurm"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestFiguresSlurmFlags: Slurm options need --slurm, and --slurm is not
// --offline; both are refused before anything starts.
func TestFiguresSlurmFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "smoke", "--partition", "gpu"}, "--partition only go with --slurm"},
		{[]string{"--profile", "smoke", "--gpus", "1", "--dry-run"}, "only go with --slurm"},
		{[]string{"--profile", "smoke", "--slurm", "--offline"}, "do not go together"},
	} {
		err := runFigures(context.Background(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("figures %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestSlurmTaskExitCode: a task stopped by a signal exits with 75, which
// array.sbatch turns into a requeue at a time limit.
func TestSlurmTaskExitCode(t *testing.T) {
	var err error = requeueError{context.Canceled}
	var coded interface{ ExitCode() int }
	if !errors.As(err, &coded) || coded.ExitCode() != slurm.ExitRequeue || slurm.ExitRequeue != 75 {
		t.Fatalf("exit code of a stopped task: %v", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Error("the cause is lost")
	}
	if err := runSlurmTask(context.Background(), []string{"--task", "0"}); err == nil {
		t.Error("slurm-task without --plan accepted")
	}
}

func TestCostTableFor(t *testing.T) {
	gpu, err := costTableFor(t.TempDir(), "", slurm.Options{GPUs: 1})
	if err != nil || !strings.HasPrefix(gpu.Source, "ASSUMPTION") {
		t.Errorf("with --gpus the table is %q (%v), want the labelled assumption", gpu.Source, err)
	}
	if _, err := costTableFor(t.TempDir(), "", slurm.Options{}); err == nil || !strings.Contains(err.Error(), "--save-costs") {
		t.Errorf("a missing Go table: %v, want advice to measure one", err)
	}
	root, err := env.FindRoot("")
	if err != nil {
		t.Fatal(err)
	}
	goTable, err := costTableFor(root, "", slurm.Options{})
	if err != nil || goTable.Members != 8 || !strings.HasPrefix(goTable.Source, "measured") {
		t.Errorf("the committed Go table: %+v, %v", goTable, err)
	}
}

// TestPrintStatus: a run Slurm is running shows as running wherever it
// runs; the summary counts every state.
func TestPrintStatus(t *testing.T) {
	plan := &slurm.Plan{Tasks: []slurm.Task{{Index: 0, Runs: []trainer.PlannedRun{{Path: "/o/runs/a"}, {Path: "/o/runs/b"}}}}}
	sub := slurm.Submission{Dir: "/o/slurm/x", Plan: plan, Jobs: slurm.Jobs{Array: "41", Figures: "42"}, Submitted: true}
	sts := []experiments.RunStatus{
		{Path: "/o/runs/a", State: experiments.Interrupted, Epoch: 3, Budget: 10, N: 4, Batch: 2, ETA: 70 * time.Second},
		{Path: "/o/runs/b", State: experiments.Finished, Epoch: 10, Budget: 10, N: 9},
		{Path: "/o/runs/c", State: experiments.NotStarted},
	}
	states := map[string]slurm.JobState{"41_0": {State: "RUNNING", Reason: "None"}}
	var out bytes.Buffer
	printStatus(&out, sts, slurm.RunsByPath([]slurm.Submission{sub}), states, time.Now())
	got := out.String()
	for _, want := range []string{
		"a    running", "3/10 +2 batches", "1m10s", "41_0 RUNNING",
		"b    finished", "c    not started",
		"3 runs: 1 finished, 1 running, 0 interrupted, 1 not started",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
}
