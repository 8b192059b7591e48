package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

func init() {
	register("bench", "time one SGD step of the paper's CB-RNN", runBench)
}

// benchConfigs are the models bench knows by name.
var benchConfigs = map[string]gm.Config{
	"paper-cb":  {Core: gm.CoreElman, Hidden: 64, CB: true, GC: 256, PC: 64},
	"paper-rnn": {Core: gm.CoreElman, Hidden: 202},
	"gru-cb":    {Core: gm.CoreGRU, Hidden: 64, CB: true, GC: 256, PC: 64},
	"gru":       {Core: gm.CoreGRU, Hidden: 128},
}

func runBench(ctx context.Context, args []string) error {
	return bench(ctx, args, os.Stdout)
}

func bench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	config := fs.String("config", "paper-cb", "model: paper-cb (Elman H64, G256, P64, CB on), paper-rnn (Elman H202), gru-cb (GRU H64 + CB G256), gru (GRU H128)")
	seqLen := fs.Int("seq-len", 60, "sequence length T")
	batch := fs.Int("batch", 64, "trials per batch B")
	steps := fs.Int("steps", 20, "timed steps")
	warmup := fs.Int("warmup", 3, "untimed steps after compilation")
	ensemble := fs.Int("ensemble", 1, "members K trained together in one graph")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, ok := benchConfigs[*config]
	if !ok {
		return fmt.Errorf("unknown --config %q (paper-cb, paper-rnn, gru-cb, gru)", *config)
	}
	if *seqLen <= 0 || *batch <= 0 || *steps <= 0 || *warmup < 0 || *ensemble <= 0 {
		return fmt.Errorf("--seq-len, --batch, --steps and --ensemble must be positive, --warmup ≥ 0")
	}
	c = c.WithDefaults()
	backend, why, err := gm.NewBackend()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, why)
	K, T, B := *ensemble, *seqLen, *batch
	rng := rand.New(rand.NewPCG(1, 2))
	ws := make([]gm.Weights, K)
	for k := range ws {
		ws[k] = gm.InitWeights(c, rng)
	}
	ens, err := gm.NewEnsemble(backend, c, ws)
	if err != nil {
		return err
	}
	in := benchInput(c, K, T, B, rng)
	opt := gm.PaperOptim()
	fmt.Fprintf(out, "model %s (%d parameters), K=%d, T=%d (bucket %d), B=%d\n",
		*config, c.Count().Total, K, T, gm.BucketFor(T), B)

	start := time.Now()
	if _, err := ens.TrainStep(in, opt); err != nil {
		return err
	}
	fmt.Fprintf(out, "compile %v (first step %v)\n", ens.CompileTime().Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for range *warmup {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := ens.TrainStep(in, opt); err != nil {
			return err
		}
	}
	start = time.Now()
	for range *steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := ens.TrainStep(in, opt); err != nil {
			return err
		}
	}
	per := time.Since(start).Seconds() * 1000 / float64(*steps)
	fmt.Fprintf(out, "%.1f ms/step (%.1f ms/member-step)\n", per, per/float64(K))
	return nil
}

// benchInput is one batch of random bits per member, h0 = 0.1·U(0,1).
func benchInput(c gm.Config, K, T, B int, rng *rand.Rand) gm.StepInput {
	in := gm.StepInput{Input: gm.Input{B: B}}
	for range K {
		x := make([]float32, T*B*c.Inputs)
		for i := range x {
			x[i] = float32(rng.IntN(2))
		}
		h0 := make([]float32, B*c.Hidden)
		for i := range h0 {
			h0[i] = float32(0.1 * rng.Float64())
		}
		labels := make([][]int32, len(c.Heads))
		for h, C := range c.Heads {
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
