package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestTrainCurricula trains each curriculum of METHODS §3.7–3.9 for a few
// epochs through the real plugins from `cbrnn train`'s flags, and checks the
// errors of flags that do not fit.
func TestTrainCurricula(t *testing.T) {
	dir := t.TempDir()
	if _, err := plugintest.Build(dir, "taskplugins/dms", "taskplugins/switch", "taskplugins/dms_multin"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CBRNN_TASK_PATH", dir)
	ctx := context.Background()
	small := []string{"--epochs", "4", "--steps", "2", "--test-steps", "1", "--batch", "4", "--hidden", "8", "--gc", "16", "--pc", "4"}
	for _, tc := range []struct {
		name  string
		args  []string
		check func(c trainer.Config, st []trainer.EpochStats) bool
	}{
		{"continual, authors' mode name", []string{"--task", "switch", "--curriculum", "continual", "--plan", "parity,dms", "--epochs-per-phase", "2", "--regime", "global_once"},
			func(c trainer.Config, st []trainer.EpochStats) bool {
				return c.Regime == trainer.FrozenCore && c.Plan == "parity,dms" && c.EpochsPerPhase == 2 &&
					st[0].Active == "parity" && st[2].Active == "dms" && st[2].PlanPhase == 1 && len(st[0].HeadN) == 2
			}},
		{"continual periodic: k defaults to 10", []string{"--task", "switch", "--curriculum", "continual", "--epochs-per-phase", "2", "--regime", "periodic-core"},
			func(c trainer.Config, st []trainer.EpochStats) bool {
				return c.Period == 10 && c.Plan == trainer.DefaultPlan
			}},
		{"cumulative", []string{"--task", "dms_multin", "--curriculum", "cumulative", "--init-heads", "2", "--add-heads", "2"},
			func(c trainer.Config, st []trainer.EpochStats) bool {
				return len(c.Model.Readout.Heads) == 149 && c.InitHeads == 2 && c.AddHeads == 2 && st[0].Low == 2 && st[0].N == 3 && st[0].Heads == 2
			}},
		{"sliding", []string{"--task", "dms_multin", "--curriculum", "sliding", "--init-heads", "3", "--forget-heads", "2"},
			func(c trainer.Config, st []trainer.EpochStats) bool {
				return len(c.Model.Readout.Heads) == 3 && st[0].N == 4 && len(st[0].HeadAcc) == 3
			}},
		{"fixed schedule", []string{"--task", "dms", "--advance-every", "2", "--max-n", "3"},
			func(c trainer.Config, st []trainer.EpochStats) bool {
				var ns []int
				for _, s := range st {
					ns = append(ns, s.N)
				}
				return c.AdvanceEvery == 2 && c.MaxN == 3 && slices.Equal(ns, []int{2, 2, 3, 3})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			if err := runTrain(ctx, append(append(tc.args, small...), "--out", out)); err != nil {
				t.Fatal(err)
			}
			d, err := rundir.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			var c trainer.Config
			if err := d.ReadConfig(&c); err != nil {
				t.Fatal(err)
			}
			st, err := rundir.ReadStats[trainer.EpochStats](d)
			if err != nil || len(st) != 4 || !tc.check(c, st) {
				t.Errorf("config %+v, stats %+v (%v)", c.Curricula, st, err)
			}
		})
	}
	fresh := func() string { return filepath.Join(t.TempDir(), "r") }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"plan without continual", []string{"--task", "dms", "--plan", "dms"}, `--plan: not a setting of --curriculum ""`},
		{"forget heads for cumulative", []string{"--task", "dms_multin", "--curriculum", "cumulative", "--forget-heads", "2"}, "--forget-heads"},
		{"cumulative on dms", []string{"--task", "dms", "--curriculum", "cumulative"}, "multi-N task"},
		{"continual on dms", []string{"--task", "dms", "--curriculum", "continual"}, "switch pulse"},
		{"per-task-once alone", []string{"--task", "dms", "--regime", "per_task_once"}, "only in the continual curriculum"},
		{"schedule on frozen core", []string{"--task", "dms", "--regime", "frozen-core", "--advance-every", "3"}, "standard regime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runTrain(ctx, append(tc.args, "--out", fresh()))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
