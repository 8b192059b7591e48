package host_test

import (
	"context"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// The paper's training shape: B = 64, N = 30 (T ≈ 77 on average).
func benchRequest(i int) task.Request {
	return task.Request{Task: "dms", N: 30, B: 64, Seed: 1, Index: uint64(i)}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
}

// BenchmarkPluginBatch measures batches through a real plugin process:
// one call at a time, and through Prefetch as the trainer uses it.
func BenchmarkPluginBatch(b *testing.B) {
	h := open(b, host.Options{})
	ctx := context.Background()
	if _, err := h.Batch(ctx, benchRequest(0)); err != nil { // launch outside the timing
		b.Fatal(err)
	}
	b.Run("sequential", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := h.Batch(ctx, benchRequest(i)); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
	b.Run("prefetch4", func(b *testing.B) {
		reqs := make([]task.Request, b.N)
		for i := range reqs {
			reqs[i] = benchRequest(i)
		}
		b.ResetTimer()
		s := task.Prefetch(ctx, h, reqs, 4)
		defer s.Close()
		for range reqs {
			if _, err := s.Next(); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
}

// BenchmarkInProcessBatch is the same generator called directly.
func BenchmarkInProcessBatch(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := tasks.DMS.Batch(benchRequest(i)); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}
