package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/internal/authors"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

func init() {
	register("train", "train networks on a task with the paper's protocol", runTrain)
}

func runTrain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var (
		taskName = fs.String("task", "dms", "task plugin name (see 'cbrnn tasks list')")
		mf       = addModelFlags(fs, "the registered model to train")
		regime   = fs.String("regime", trainer.Standard, "standard, frozen-core, periodic-core, per-task-once (continual only) or fixed-n; the authors' off, global_once, per_task_once, periodic_refresh also work")
		period   = fs.Int("period", 0, "periodic-core refresh period k (0: 10 for DMS, 5 for parity)")
		fixedN   = fs.Int("n", 0, "N for --regime fixed-n")
		epochs   = fs.Int("epochs", 0, "epoch budget (0: 1000, or 500 for GRU)")
		steps    = fs.Int("steps", 100, "training batches per epoch")
		test     = fs.Int("test-steps", 50, "test batches per epoch")
		batch    = fs.Int("batch", 64, "trials per batch")
		maxN     = fs.Int("max-n", 150, "stop after solving this N")
		seed     = fs.Uint64("seed", 1, "seed of the first run")
		seeds    = fs.Int("seeds", 1, "train this many runs (seeds seed…seed+n−1) together in one graph")
		out      = fs.String("out", "", "run directory (required); with --seeds > 1, one subdirectory per seed")
		resume   = fs.Bool("resume", false, "continue the run in --out from its last completed epoch")
		imp      = fs.String("import", "", "start from these weights (safetensors, or a torch.save checkpoint in the authors' layout) instead of the paper's init")
		tparams  = paramFlag{}
		cf       = addCurriculumFlags(fs)
	)
	fs.Var(tparams, "task-param", "task parameter key=value (repeatable)")
	acceptPlugin := fs.Bool("accept-plugin-change", false, "resume even though the task plugin changed since the run was trained (recorded in provenance.json)")
	acceptNumerics := fs.Bool("accept-numerics-change", false, "resume even though this build's numerics (SIMD kernels, backend) differ from the run's")
	batchTimeout := fs.Duration("batch-timeout", 0, "longest a task plugin may take to serve one batch (0: $CBRNN_BATCH_TIMEOUT, else the plugin's manifest entry, else 10s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out DIR is required")
	}
	// Everything is checked before anything is written (issue 13).
	if err := checkFlagDomains(fs, trainDomains); err != nil {
		return err
	}
	env, err := experiments.Open(ctx, experiments.Options{BatchTimeout: *batchTimeout})
	if err != nil {
		return err
	}
	defer env.Close()
	desc, err := env.Source.Describe(ctx, *taskName)
	if err != nil {
		return err
	}
	cur, err := cf.curricula(fs)
	if err != nil {
		return err
	}
	model := *mf.model
	m, err := mf.build(model, desc.Inputs, cur.ModelHeads(desc.Heads))
	if err != nil {
		return err
	}
	var initW map[string][]float32
	var initHash string
	if *imp != "" {
		// LoadWeights first: it refuses FIFOs, devices and crafted sizes.
		w, _, err := authors.LoadWeights(*imp, m) // safetensors or torch.save, matched strictly
		if err != nil {
			return fmt.Errorf("--import: %w", err) // names the file, its format and what does not fit
		}
		if initHash, err = authors.FileSHA256(*imp); err != nil {
			return fmt.Errorf("--import: %w", err)
		}
		if err := trainer.CheckFinite(m, w, "--import "+*imp+": its weights"); err != nil {
			return err
		}
		initW = w
	}
	type planned struct {
		c      trainer.Config
		dir    string
		action outAction
	}
	var plans []planned
	for i := 0; i < *seeds; i++ {
		c := trainer.Paper(*taskName, m, *seed+uint64(i))
		c.ModelName, c.Regime, c.FixedN, c.Curricula = model, regimeName(*regime), *fixedN, cur
		c.Period = *period
		if c.Regime == trainer.PeriodicCore && c.Period == 0 {
			c.Period = experiments.PeriodFor(*taskName)
			if cur.Curriculum == trainer.Continual {
				c.Period = experiments.ContinualPeriod
			}
		}
		if *epochs > 0 {
			c.Epochs = *epochs
		}
		c.Steps, c.TestSteps, c.Batch, c.MaxN = *steps, *test, *batch, *maxN
		if len(tparams) > 0 {
			c.TaskParams = tparams
		}
		c.InitHash = initHash
		if i == 0 { // the seeds' configs differ in the seed alone
			if _, err := trainer.Preflight(ctx, env.Source, c); err != nil {
				return err
			}
		}
		dir := *out
		if *seeds > 1 {
			dir = filepath.Join(*out, fmt.Sprintf("seed%d", c.Seed))
		}
		action, err := checkOut(dir, *resume)
		if err != nil {
			return err
		}
		plans = append(plans, planned{c, dir, action})
	}
	if err := checkMemory(env.Backend, plans[0].c, len(plans), desc); err != nil {
		return err
	}
	var rs []trainer.Run
	for _, p := range plans {
		c, dir := p.c, p.dir
		if p.action == outClear {
			if _, err := rundir.ClearUnstarted(dir, trainer.ProvenanceFile); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%s held a start that never completed an epoch; starting afresh\n", dir)
		}
		d, err := rundir.Create(dir, c)
		if err != nil {
			return err
		}
		if done, _ := d.Done(); done {
			fmt.Fprintf(os.Stderr, "%s is already finished\n", dir)
			continue
		}
		rs = append(rs, trainer.Run{Config: c, Dir: d, Init: initW})
	}
	if len(rs) == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "training %d run(s): %s (%s; %d parameters, gradients by %s) on %s, regime %s\n",
		len(rs), model, m.Describe(), m.Count().Total, m.Gradients(), *taskName, *regime)
	for _, r := range rs {
		unlock, err := r.Dir.Lock()
		if err != nil {
			return err
		}
		defer unlock()
	}
	err = trainer.Train(ctx, rs, trainer.Options{Backend: env.Backend, Source: env.Source, Progress: os.Stdout,
		Layout: experiments.WholeMachine(env.Backend),
		Accept: trainer.Accept{PluginChange: *acceptPlugin, NumericsChange: *acceptNumerics}})
	if err == nil && cur.Curriculum == trainer.Continual {
		for _, r := range rs {
			if err := printSavings(os.Stdout, r.Dir, desc.HeadNames, *cf.savingsThreshold); err != nil {
				return err
			}
		}
	}
	return err
}
