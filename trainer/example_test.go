package trainer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
	"github.com/cbrnn/cbrnn/trainer"
)

// Train one run of the paper's protocol at a toy budget, on the paper's
// N-DMS task served in-process (tasks.NewLocal: the same batches a plugin
// would send, without a subprocess). A real run differs only in the
// numbers: trainer.Paper's budget, the registry's default options, and a
// plugin host as the task source (env.Open gives all three).
func ExampleTrain() {
	ctx := context.Background()
	model, err := gm.Build("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := trainer.Paper("dms", model, 1) // METHODS §3, seed 1
	cfg.ModelName = "cb-rnn"
	cfg.Epochs, cfg.Steps, cfg.TestSteps, cfg.Batch = 3, 2, 1, 8

	tmp, err := os.MkdirTemp("", "cbrnn-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	dir, err := rundir.Create(filepath.Join(tmp, "run"), cfg) // writes config.json
	if err != nil {
		fmt.Println(err)
		return
	}
	backend, _, err := gm.NewBackend()
	if err != nil {
		fmt.Println(err)
		return
	}
	run := trainer.Run{Config: cfg, Dir: dir}
	if err := trainer.Train(ctx, []trainer.Run{run}, trainer.Options{Backend: backend, Source: tasks.NewLocal()}); err != nil {
		fmt.Println(err)
		return
	}

	// stats.jsonl holds one line per epoch; done.json marks the end.
	stats, err := rundir.ReadStats[trainer.EpochStats](dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	done, err := dir.Done()
	fmt.Println("epochs recorded:", len(stats), "first N:", stats[0].N, "phase:", stats[0].Phase, "done:", done, err)
	// Output:
	// epochs recorded: 3 first N: 2 phase: all done: true <nil>
}
