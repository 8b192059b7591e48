package experiments

import (
	"context"
	"io"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/trainer"
)

// Options choose where and how experiments run; the zero value means the
// quick profile, the repository found from the working directory, one job
// per core, the default backend, and progress on stderr. Root, Out,
// Progress, TaskPath, BatchTimeout and Accept are env.Options'.
type Options struct {
	Profile      string
	Root         string
	Out          string
	Jobs         int
	Progress     io.Writer
	TaskPath     string
	BatchTimeout time.Duration
	Accept       trainer.Accept
}

// Open starts the figure layer's Env on env.Open's: the backend and the
// task plugins. Close it to stop the plugins.
func Open(ctx context.Context, opt Options) (*Env, error) {
	e, err := env.Open(ctx, env.Options{Root: opt.Root, Out: opt.Out, Progress: opt.Progress,
		TaskPath: opt.TaskPath, BatchTimeout: opt.BatchTimeout, Accept: opt.Accept})
	if err != nil {
		return nil, err
	}
	return &Env{Env: e, Jobs: opt.Jobs}, nil
}
