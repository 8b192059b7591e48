package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute"

	"github.com/cbrnn/cbrnn/experiments"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func init() {
	register("bench", "time SGD steps of the paper's CB-RNN; price the paper profile", runBench)
}

// The N curves the paper profile is priced at (METHODS §6, Table 4). A step's
// cost grows with its length and the length with N, so a constant N with the
// paper's largest AUC prices the most expensive group's typical run, and the
// largest mean max N prices every epoch as if it were the last.
const (
	paperMeanN = 25 // CB-RNN on DMS: AUC 25,041 over 1000 epochs
)

// dmsLengths is the length rule the paper profile is priced at: the one
// DMS declares (every paper task declares the same).
var dmsLengths costmodel.Lengths = tasks.DMS.Desc.TBounds

func runBench(ctx context.Context, args []string) error {
	return bench(ctx, args, os.Stdout)
}

func bench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	mf := addModelFlags(fs, "the registered model(s) to time; a list (cb-rnn,rnn) times each in turn")
	grad := fs.String("gradients", "auto", "auto (the hand-written backward pass where the model has one) or autodiff (GoMLX's, for every model)")
	seqLen := fs.Int("seq-len", 60, "sequence length T")
	batch := fs.Int("batch", 64, "trials per batch B")
	steps := fs.Int("steps", 20, "timed steps (per bucket with --buckets)")
	warmup := fs.Int("warmup", 3, "untimed steps after compilation")
	ensembles := fs.String("ensemble", "1", "members K trained together in one graph; a list (1,8,32) measures each")
	buckets := fs.String("buckets", "", "measure compile, training and test steps per bucket length: a list (8,12,16) or 'all' (every bucket up to the paper's longest sequences)")
	estimate := fs.Bool("estimate", false, "price the paper profile (one group of K networks, 1000 epochs of 100 + 50 batches of 64) from the per-bucket step times; implies --buckets all")
	saveCosts := fs.String("save-costs", "", "write the per-bucket step times as a cost table (JSON) for `cbrnn figures --slurm --costs`; with several --ensemble sizes, the largest is the reference and the smallest gives the cost of a member")
	executors := fs.Int("executors", 0, "executors the K members are spread over, each a single-threaded Go backend on its own core (0: one per core up to K, one backend with every core for K=1; 1: one backend with every core)")
	peak := fs.Bool("peak", false, "first measure the machine's peak (a 1024³ DotGeneral on the backend) and report each step's share of it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *executors < 0 {
		return fmt.Errorf("--executors %d: want 0 (one per core) or more", *executors)
	}
	if *grad != "auto" && *grad != "autodiff" {
		return fmt.Errorf("--gradients %q: want auto or autodiff", *grad)
	}
	var models []string
	var cfgs []gm.Config
	for _, name := range strings.Split(*mf.model, ",") {
		name = strings.TrimSpace(name)
		c, err := mf.build(name, 1, []int{2})
		if err != nil {
			return err
		}
		models, cfgs = append(models, name), append(cfgs, c)
	}
	if *saveCosts != "" && len(cfgs) > 1 {
		return fmt.Errorf("--save-costs prices one model: give --model a single name, not %q", *mf.model)
	}
	if *seqLen <= 0 || *batch <= 0 || *steps <= 0 || *warmup < 0 {
		return fmt.Errorf("--seq-len, --batch and --steps must be positive, --warmup ≥ 0")
	}
	ks, err := positiveInts("--ensemble", *ensembles)
	if err != nil {
		return err
	}
	paper := experiments.Profiles["paper"]
	if (*estimate || *saveCosts != "") && *buckets == "" {
		*buckets = "all"
	}
	var lengths []int
	switch *buckets {
	case "":
	case "all":
		_, hi := dmsLengths(costmodel.PaperCeilingN)
		lengths = gm.Buckets(hi)
	default:
		if lengths, err = positiveInts("--buckets", *buckets); err != nil {
			return err
		}
		for i, t := range lengths {
			lengths[i] = gm.BucketFor(t)
		}
	}
	if *estimate && !flagSet(fs, "batch") {
		*batch = paper.Batch
	}

	backend, why, err := gm.NewBackend()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, why)
	var peakGF float64
	if *peak {
		if peakGF, err = measurePeak(out, backend); err != nil {
			return err
		}
	}
	measured := map[int]costmodel.Costs{} // of the first (with --save-costs, the only) model
	for i, c := range cfgs {
		b := benchRun{c: c, B: *batch, steps: *steps, warmup: *warmup, autodiff: *grad == "autodiff",
			base: backend, executors: *executors, peak: peakGF}
		for _, K := range ks {
			if lengths == nil {
				if err := b.step(ctx, out, models[i], K, *seqLen); err != nil {
					return err
				}
				continue
			}
			costs, err := b.buckets(ctx, out, models[i], K, lengths)
			if err != nil {
				return err
			}
			if i == 0 {
				measured[K] = costs
			}
			if *estimate {
				if err := printEstimate(out, costs, paper, K, *batch); err != nil {
					return err
				}
			}
		}
	}
	if *saveCosts != "" {
		t := costTable(measured, backend.Name()+" — "+backend.Description(), models[0], cfgs[0].Count().Total, *batch)
		if err := costmodel.SaveTable(*saveCosts, t); err != nil {
			return err
		}
		fmt.Fprintf(out, "cost table (K=%d, %.3f of a step per member) written to %s\n", t.Members, t.MemberCost, *saveCosts)
	}
	return nil
}

// costTable turns the measurements into a cost table: the largest K is the
// reference; the cost of a member comes from the smallest K at the bucket
// nearest the paper's T = 60, or is taken as 1/K (a step costs in proportion
// to its members, as on the Go backend) when one K was measured.
func costTable(measured map[int]costmodel.Costs, backend, model string, params, batch int) costmodel.Table {
	kmin, kmax := 0, 0
	for k := range measured {
		if kmin == 0 || k < kmin {
			kmin = k
		}
		kmax = max(kmax, k)
	}
	ref := measured[kmax]
	memberCost := 1 / float64(kmax)
	if kmin < kmax {
		bucket := gm.BucketFor(60)
		if lo, ok := measured[kmin][bucket]; ok {
			memberCost = max(0, (1-float64(lo.Train)/float64(ref[bucket].Train))/float64(kmax-kmin))
		}
	}
	host, _ := os.Hostname()
	source := fmt.Sprintf("measured by `cbrnn bench` on %s (%d CPUs) on %s", host, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))
	return costmodel.NewTable(backend, source, model, params, kmax, batch, memberCost, ref)
}

// benchRun holds what every measurement shares.
type benchRun struct {
	c             gm.Config
	B             int
	steps, warmup int
	autodiff      bool // time the general path even where a fast path exists
	base          compute.Backend
	executors     int     // 0: gm.ExecutorsFor every core; 1: base; n: n single-threaded
	peak          float64 // GFLOP/s of the machine, 0 if not measured
}

// newEnsemble puts K freshly initialised networks on their executors and
// returns them with a random training batch of length T per member.
func (b benchRun) newEnsemble(K, T int) (*gm.Ensemble, gm.StepInput, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := make([]gm.Weights, K)
	for k := range ws {
		ws[k] = gm.InitWeights(b.c, rng)
	}
	var backends []compute.Backend
	var err error
	switch b.executors {
	case 0:
		backends, err = gm.ExecutorsFor(b.base, K, runtime.NumCPU())
	case 1:
		backends = []compute.Backend{b.base}
	default:
		backends, err = gm.NewExecutors(b.base, b.executors)
	}
	if err != nil {
		return nil, gm.StepInput{}, err
	}
	ens, err := gm.NewEnsembleOn(backends, b.c, ws)
	if err != nil {
		return nil, gm.StepInput{}, err
	}
	if b.autodiff {
		ens.UseAutodiff()
	}
	return ens, benchInput(b.c, K, T, b.B, rng), nil
}

// step times training steps of K members at length T: the classic line that
// bench/compare.sh reads.
func (b benchRun) step(ctx context.Context, out io.Writer, name string, K, T int) error {
	ens, in, err := b.newEnsemble(K, T)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "model %s (%d parameters, gradients by %s), K=%d, T=%d (bucket %d), B=%d\n",
		name, b.c.Count().Total, ens.Gradients(), K, T, gm.BucketFor(T), b.B)
	fmt.Fprintf(out, "layout: %s\n", ens.Layout())
	start := time.Now()
	train := func() error { _, err := ens.TrainStep(in, gm.PaperOptim()); return err }
	if err := train(); err != nil {
		return err
	}
	fmt.Fprintf(out, "compile %v (first step %v)\n", ens.CompileTime().Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	per, cpu, err := b.time(ctx, train)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%.1f ms/step (%.1f ms/member-step)\n", msOf(per), msOf(per)/float64(K))
	fmt.Fprintln(out, b.workLine(ens.LastFLOPs()/float64(K), per/time.Duration(K), cpu/time.Duration(K)))
	return nil
}

// workLine says how far a step is from the machine's limit: the FLOPs per
// member-step counted from the compiled graph, the rate they ran at (wall
// clock), its share of the measured peak, and the CPU time per member-step
// (which a busy machine inflates less than the wall clock).
func (b benchRun) workLine(flops float64, wall, cpu time.Duration) string {
	gf := flops / wall.Seconds() / 1e9
	s := fmt.Sprintf("work: %.1f MFLOP per member-step (compiled graph), %.2f GFLOP/s", flops/1e6, gf)
	if b.peak > 0 {
		s += fmt.Sprintf(", %.1f %% of the peak %.1f GFLOP/s", 100*gf/b.peak, b.peak)
	}
	return s + fmt.Sprintf("; CPU %.1f ms per member-step (%.2f cores busy)", msOf(cpu), cpu.Seconds()/wall.Seconds())
}

// measurePeak times a 1024³ DotGeneral on the backend (best of 3 rounds)
// and, on the Go backend, on one single-threaded executor.
func measurePeak(out io.Writer, backend compute.Backend) (float64, error) {
	best := func(b compute.Backend) (float64, error) {
		var top float64
		for range 3 {
			gf, err := gm.PeakGFLOPs(b, 1024, 10)
			if err != nil {
				return 0, err
			}
			top = max(top, gf)
		}
		return top, nil
	}
	all, err := best(backend)
	if err != nil {
		return 0, err
	}
	line := fmt.Sprintf("peak: %.1f GFLOP/s (1024³ float32 DotGeneral, best of 3, %s)", all, backend.Description())
	if one, err := gm.NewExecutors(backend, 2); err == nil && len(one) == 2 {
		if gf, err := best(one[0]); err == nil {
			line += fmt.Sprintf("; %.1f GFLOP/s on one single-threaded executor", gf)
		}
	}
	fmt.Fprintln(out, line)
	return all, nil
}

// buckets measures, for K members at each bucket length, the compilation of
// the training and test graphs and the time of one step of each.
func (b benchRun) buckets(ctx context.Context, out io.Writer, name string, K int, lengths []int) (costmodel.Costs, error) {
	ens, _, err := b.newEnsemble(K, 1)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "model %s (%d parameters, gradients by %s), K=%d, B=%d; ms per ensemble step (and per member)\n",
		name, b.c.Count().Total, ens.Gradients(), K, b.B)
	fmt.Fprintf(out, "layout: %s\n", ens.Layout())
	fmt.Fprintf(out, "%6s %10s %18s %18s\n", "bucket", "compile", "train", "test")
	costs := costmodel.Costs{}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, T := range lengths {
		in := benchInput(b.c, K, T, b.B, rng)
		train := func() error { _, err := ens.TrainStep(in, gm.PaperOptim()); return err }
		eval := func() error { _, err := ens.Eval(gm.EvalInput{Input: in.Input}); return err }
		var sc costmodel.StepCost
		for _, m := range []struct {
			run func() error
			per *time.Duration
		}{{train, &sc.Train}, {eval, &sc.Eval}} {
			before := ens.CompileTime()
			if err := m.run(); err != nil { // compiles this bucket's graph
				return nil, err
			}
			sc.Compile += ens.CompileTime() - before
			if *m.per, _, err = b.time(ctx, m.run); err != nil {
				return nil, err
			}
		}
		costs[T] = sc
		fmt.Fprintf(out, "%6d %9.2fs %8.2f (%7.2f) %8.2f (%7.2f)\n", T, sc.Compile.Seconds(),
			msOf(sc.Train), msOf(sc.Train)/float64(K), msOf(sc.Eval), msOf(sc.Eval)/float64(K))
	}
	return costs, nil
}

// time runs f warmup times untimed, then steps times, and returns the mean
// wall time and the mean CPU time of the process (all threads).
func (b benchRun) time(ctx context.Context, f func() error) (wall, cpu time.Duration, err error) {
	var start time.Time
	var cpu0 time.Duration
	for i := range b.warmup + b.steps {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		if i == b.warmup {
			start, cpu0 = time.Now(), cpuTime()
		}
		if err := f(); err != nil {
			return 0, 0, err
		}
	}
	n := time.Duration(b.steps)
	return time.Since(start) / n, (cpuTime() - cpu0) / n, nil
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hours restates a long duration in hours, or days when that reads better.
func hours(d time.Duration) string {
	switch {
	case d > 48*time.Hour:
		return fmt.Sprintf(" (%.1f days)", d.Hours()/24)
	case d > 2*time.Hour:
		return fmt.Sprintf(" (%.1f h)", d.Hours())
	}
	return ""
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// printEstimate prices the paper profile for one group of K networks.
func printEstimate(out io.Writer, costs costmodel.Costs, paper experiments.Profile, K, B int) error {
	p := costmodel.Protocol{Epochs: paper.Epochs, Steps: paper.Steps, TestSteps: paper.TestSteps, Members: K}
	fmt.Fprintf(out, "paper profile, one group of %d networks in one graph: %d epochs of %d training + %d test batches of %d,\n"+
		"extrapolated from the step times above (task generation, checkpoints and logging not included):\n",
		K, p.Epochs, p.Steps, p.TestSteps, B)
	if B != paper.Batch {
		fmt.Fprintf(out, "  (measured at B=%d, not the paper's %d)\n", B, paper.Batch)
	}
	for _, cv := range []struct {
		n    int
		what string
	}{
		{paperMeanN, "Table 4's largest AUC, CB-RNN on DMS"},
		{costmodel.PaperCeilingN, "ceiling: Table 4's largest max N, every epoch"},
	} {
		est, err := costs.Run(p, dmsLengths, func(int) int { return cv.n })
		if err != nil {
			return err
		}
		epoch := est.Training / time.Duration(p.Epochs) // the curve is constant
		fmt.Fprintf(out, "  N=%d throughout (%s): %.2f s/epoch, %.1f min training + %.1f min compiling = %.1f min%s\n",
			cv.n, cv.what, epoch.Seconds(), est.Training.Minutes(), est.Compile.Minutes(), est.Total().Minutes(), hours(est.Total()))
	}
	return nil
}

// positiveInts parses a comma-separated list of positive integers.
func positiveInts(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: %q is not a positive integer", flagName, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// flagSet reports whether the command line set the named flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// benchInput is one batch of random bits per member, the initial state by
// the model's law, one label per trial.
func benchInput(c gm.Config, K, T, B int, rng *rand.Rand) gm.StepInput {
	in := gm.StepInput{Input: gm.Input{B: B}}
	for range K {
		x := make([]float32, T*B*c.Inputs)
		for i := range x {
			x[i] = float32(rng.IntN(2))
		}
		h0 := c.InitialState(rng, B)
		labels := make([][]int32, len(c.Readout.Heads))
		for h, C := range c.Readout.Heads {
			labels[h] = make([]int32, B)
			for b := range labels[h] {
				labels[h][b] = int32(rng.IntN(C))
			}
		}
		in.X = append(in.X, x)
		in.T = append(in.T, T)
		in.H0 = append(in.H0, h0)
		in.Labels = append(in.Labels, labels)
	}
	return in
}
