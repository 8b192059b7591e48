package tasks

import (
	"context"
	"fmt"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Local serves generators in-process as a task.Source. It exists for unit
// tests and benchmarks of other packages: the batches are byte-identical to
// the plugins', without subprocesses. The zero value serves All.
type Local struct {
	gens []task.Generator
}

// NewLocal serves gens, or the paper's tasks when none are given.
func NewLocal(gens ...task.Generator) *Local { return &Local{gens: gens} }

var _ task.Source = (*Local)(nil)

func (l *Local) lookup(name string) (task.Generator, error) {
	gens := l.gens
	if len(gens) == 0 {
		gens = All
	}
	for _, g := range gens {
		if g.Desc.Name == name {
			return g, nil
		}
	}
	return task.Generator{}, fmt.Errorf("tasks.Local: no task %q", name)
}

// Describe returns the task's declaration.
func (l *Local) Describe(ctx context.Context, name string) (task.Description, error) {
	g, err := l.lookup(name)
	return g.Desc, err
}

// Batch generates the requested batch.
func (l *Local) Batch(ctx context.Context, r task.Request) (*task.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g, err := l.lookup(r.Task)
	if err != nil {
		return nil, err
	}
	b, err := g.Batch(r)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	return b, nil
}
