package task_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// A Stream closed early returns promptly, and Close waits for its fetches.
func TestPrefetchClose(t *testing.T) {
	reqs := make([]task.Request, 1000)
	for i := range reqs {
		reqs[i] = task.Request{Task: "dms", N: 30, B: 64, Index: uint64(i)}
	}
	s := task.Prefetch(context.Background(), tasks.NewLocal(), reqs, 8)
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Next(); !errors.Is(err, task.ErrStreamClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
