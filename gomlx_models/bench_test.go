package gomlxmodels

import (
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// benchTrainStep times TrainStep; CBRNN_GROUPMAX=n overrides the member
// group size (see memberGroups) for experiments.
func benchTrainStep(b *testing.B, c Config, K, T, B int, autodiff bool) {
	e, _ := newTestEnsemble(b, c, K, 1)
	if autodiff {
		e.UseAutodiff()
	}
	if v := os.Getenv("CBRNN_GROUPMAX"); v != "" {
		e.groupMax, _ = strconv.Atoi(v)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	Ts := make([]int, K)
	for k := range Ts {
		Ts[k] = T
	}
	in := randomInput(c, B, Ts, rng)
	opt := PaperOptim()
	if _, err := e.TrainStep(in, opt); err != nil { // compile
		b.Fatal(err)
	}
	b.Logf("compile: %v", e.CompileTime())
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.TrainStep(in, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N)/float64(K), "cpu-ms/member-step")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(K), "ms/member-step")
}

// BenchmarkTrainStep: one SGD step of the paper's CB-RNN (H64/G256/P64), B=64, T=60.
func BenchmarkTrainStep(b *testing.B) { benchTrainStep(b, paperCB, 1, 60, 64, false) }

// BenchmarkTrainStepEnsemble8: the same for 8 members in one graph.
func BenchmarkTrainStepEnsemble8(b *testing.B) { benchTrainStep(b, paperCB, 8, 60, 64, false) }

// BenchmarkTrainStepAutodiff: the paper's CB-RNN on the general path.
func BenchmarkTrainStepAutodiff(b *testing.B) { benchTrainStep(b, paperCB, 1, 60, 64, true) }

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEval: forward pass only (test batches), paper CB-RNN, K=8.
func BenchmarkEval(b *testing.B) {
	const K, T, B = 8, 60, 64
	e, _ := newTestEnsemble(b, paperCB, K, 1)
	rng := rand.New(rand.NewPCG(2, 3))
	in := EvalInput{Input: randomInput(paperCB, B, []int{T, T, T, T, T, T, T, T}, rng).Input}
	if _, err := e.Eval(in); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Eval(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/K, "ms/member-batch")
}
