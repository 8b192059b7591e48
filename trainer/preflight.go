package trainer

import (
	"context"
	"fmt"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Preflight checks a run against its task before anything is written: the
// config itself, that the model fits the task's inputs and heads, the N
// range the task declares, and the task parameters. Parameter domains are
// checked where the generator runs (task.Domain), so Preflight asks the
// task for one trial of the run's first request: a misspelt or
// out-of-range parameter is refused now, not after config.json exists. It
// returns the task's declaration.
func Preflight(ctx context.Context, src task.Source, c Config) (task.Description, error) {
	if err := c.Validate(); err != nil {
		return task.Description{}, err
	}
	d, err := src.Describe(ctx, c.Task)
	if err != nil {
		return task.Description{}, err
	}
	if _, err := newCurriculum(c, d); err != nil {
		return d, err
	}
	if err := CheckTask(c, d); err != nil {
		return d, err
	}
	n := initialState(c).N
	r := task.Request{Task: c.Task, Params: c.TaskParams, N: n, B: 1, Seed: c.Seed, Split: task.Test}
	if _, err := src.Batch(ctx, r); err != nil {
		return d, fmt.Errorf("the task refused one trial of the run's first request (N=%d, task parameters %v): %w", n, c.TaskParams, err)
	}
	return d, nil
}
