package experiments

import (
	"context"
	"fmt"
	"os"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// LiveDemo trains one paper CB-RNN (H=64, G=256) on DMS for about a minute
// on two cores, printing an epoch line each, so a reader sees the protocol
// work before loading cached results. It trains from scratch every time, in
// a temporary directory.
func LiveDemo(ctx context.Context, root string) error {
	e, err := Open(ctx, Options{Root: root, Progress: os.Stdout})
	if err != nil {
		return err
	}
	defer e.Close()
	d, err := e.Source.Describe(ctx, "dms")
	if err != nil {
		return err
	}
	cfgs, err := Configs(CBRNN, d, Profile{Seeds: 1, Steps: 20, TestSteps: 10, Batch: 64, MaxN: 150}, 25)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "cbrnn-live-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir, err := rundir.Create(tmp, cfgs[0])
	if err != nil {
		return err
	}
	c := cfgs[0]
	fmt.Printf("CB-RNN (%s) on DMS: %d epochs of %d batches of %d, then %d test batches\n",
		c.Model.Describe(), c.Epochs, c.Steps, c.Batch, c.TestSteps)
	return trainer.Train(ctx, []trainer.Run{{Config: c, Dir: dir}}, trainer.Options{Backend: e.Backend, Source: e.Source, Progress: os.Stdout})
}
