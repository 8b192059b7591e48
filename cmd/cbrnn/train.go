package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/cbrnn/cbrnn/env"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/authors"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

func init() {
	register("train", "train networks on a task with the paper's protocol", runTrain)
}

// runTrain parses and checks the command line, opens the environment,
// plans the runs, trains them and reports.
func runTrain(ctx context.Context, args []string) error {
	f, err := parseTrainFlags(args)
	if err != nil {
		return err
	}
	e, err := env.Open(ctx, env.Options{BatchTimeout: *f.batchTimeout})
	if err != nil {
		return err
	}
	defer e.Close()
	p, err := f.plan(ctx, e)
	if err != nil {
		return err
	}
	rs, err := p.start()
	if err != nil || len(rs) == 0 {
		return err
	}
	if err := f.train(ctx, e, p, rs); err != nil {
		return err
	}
	return f.report(p, rs)
}

// trainFlags are train's command line.
type trainFlags struct {
	fs                                         *flag.FlagSet
	taskName, regime, out, imp                 *string
	period, fixedN, epochs, steps, test, batch *int
	maxN, seeds                                *int
	seed                                       *uint64
	resume, acceptPlugin, acceptNumerics       *bool
	acceptProvenance                           *bool
	batchTimeout                               *time.Duration
	tparams                                    paramFlag
	mf                                         *modelFlags
	cf                                         *curriculumFlags

	// freezeAfter is frozen-core's freeze point (trainer.Config.FreezeAfterN).
	freezeAfter *int
}

// parseTrainFlags parses args and checks every flag before anything is
// opened or written. The defaults are trainer.Paper's protocol.
func parseTrainFlags(args []string) (*trainFlags, error) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	f := &trainFlags{fs: fs, tparams: paramFlag{}}
	f.taskName = fs.String("task", "dms", "task plugin name (see 'cbrnn tasks list')")
	f.mf = addModelFlags(fs, "the registered model to train")
	f.regime = fs.String("regime", trainer.Standard, "standard, frozen-core, periodic-core, per-task-once (continual only) or fixed-n; the authors' off, global_once, per_task_once, periodic_refresh also work")
	f.period = fs.Int("period", 0, "periodic-core refresh period k (0: "+defaultPeriods+")")
	f.fixedN = fs.Int("n", 0, "N for --regime fixed-n")
	f.freezeAfter = fs.Int("freeze-after-n", 0, "frozen-core's freeze point: 0 the paper's (after solving the start N), k: after solving N = k, -1: the core never trains (a reservoir)")
	f.epochs = fs.Int("epochs", 0, fmt.Sprintf("epoch budget (0: %d, or %d for GRU)", trainer.PaperEpochs, trainer.PaperEpochsGRU))
	f.steps = fs.Int("steps", trainer.PaperSteps, "training batches per epoch")
	f.test = fs.Int("test-steps", trainer.PaperTestSteps, "test batches per epoch")
	f.batch = fs.Int("batch", trainer.PaperBatch, "trials per batch")
	f.maxN = fs.Int("max-n", trainer.PaperMaxN, "stop after solving this N")
	f.seed = fs.Uint64("seed", 1, "seed of the first run")
	f.seeds = fs.Int("seeds", 1, "train this many runs (seeds seed…seed+n−1) together in one graph")
	f.out = fs.String("out", "", "run directory (required); with --seeds > 1, one subdirectory per seed")
	f.resume = fs.Bool("resume", false, "continue the run in --out from its last completed epoch")
	f.imp = fs.String("import", "", "start from these weights (safetensors, or a torch.save checkpoint in the authors' layout) instead of the paper's init")
	f.cf = addCurriculumFlags(fs)
	fs.Var(f.tparams, "task-param", "task parameter key=value (repeatable)")
	f.acceptPlugin = fs.Bool("accept-plugin-change", false, "resume even though the task plugin changed since the run was trained (recorded in provenance.json)")
	f.acceptNumerics = fs.Bool("accept-numerics-change", false, "resume even though this build's numerics (SIMD kernels, backend) differ from the run's")
	f.acceptProvenance = fs.Bool("accept-missing-provenance", false, "resume even though the run's provenance.json is missing or damaged, so plugin and numerics changes cannot be checked (recorded in a new provenance.json)")
	f.batchTimeout = fs.Duration("batch-timeout", 0, "longest a task plugin may take to serve one batch (0: $"+env.BatchTimeoutVar+", else the plugin's manifest entry, else 10s)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *f.out == "" {
		return nil, errors.New("--out DIR is required")
	}
	if err := checkFlagDomains(fs, trainDomains); err != nil {
		return nil, err
	}
	if last := uint64(*f.seeds - 1); *f.seed > math.MaxUint64-last {
		return nil, fmt.Errorf("--seed %d --seeds %d: the last seed would be past %d, the largest seed, and wrap round to %d; lower --seed", *f.seed, *f.seeds, uint64(math.MaxUint64), *f.seed+last)
	}
	return f, nil
}

// defaultPeriods says what --period 0 means (trainer.PeriodFor).
var defaultPeriods = fmt.Sprintf("%d for DMS, %d for parity", trainer.PeriodFor("dms"), trainer.PeriodFor("parity"))

// trainPlan is what train will do: the task, the model, and per seed the
// run's config, its folder and what that folder needs first.
type trainPlan struct {
	desc  task.Description
	cur   trainer.Curricula
	model gm.Config
	init  map[string][]float32 // --import's weights, nil for the paper's init
	runs  []plannedRun
}

type plannedRun struct {
	c      trainer.Config
	dir    string
	action outAction
}

// plan builds the runs the flags ask for, checking each (preflight, its
// folder, memory) without writing anything.
func (f *trainFlags) plan(ctx context.Context, e *env.Env) (*trainPlan, error) {
	desc, err := e.Source.Describe(ctx, *f.taskName)
	if err != nil {
		return nil, err
	}
	cur, err := f.cf.curricula(f.fs)
	if err != nil {
		return nil, err
	}
	m, err := f.mf.build(*f.mf.model, desc.Inputs, cur.ModelHeads(desc.Heads))
	if err != nil {
		return nil, err
	}
	p := &trainPlan{desc: desc, cur: cur, model: m}
	var initHash string
	if *f.imp != "" {
		if p.init, initHash, err = importWeights(*f.imp, m); err != nil {
			return nil, err
		}
	}
	for i := 0; i < *f.seeds; i++ {
		c := f.config(m, cur, *f.seed+uint64(i))
		c.InitHash = initHash
		if i == 0 { // the seeds' configs differ in the seed alone
			if _, err := trainer.Preflight(ctx, e.Source, c); err != nil {
				return nil, err
			}
		}
		dir := *f.out
		if *f.seeds > 1 {
			dir = filepath.Join(*f.out, fmt.Sprintf("seed%d", c.Seed))
		}
		action, err := checkOut(dir, *f.resume)
		if err != nil {
			return nil, err
		}
		p.runs = append(p.runs, plannedRun{c, dir, action})
	}
	if err := checkMemory(e.Backend, p.runs[0].c, len(p.runs), desc); err != nil {
		return nil, err
	}
	return p, nil
}

// config is one seed's run: trainer.Paper with the flags' changes.
func (f *trainFlags) config(m gm.Config, cur trainer.Curricula, seed uint64) trainer.Config {
	c := trainer.Paper(*f.taskName, m, seed)
	c.ModelName, c.Regime, c.FixedN, c.Curricula = *f.mf.model, regimeName(*f.regime), *f.fixedN, cur
	c.Period = *f.period
	c.FreezeAfterN = *f.freezeAfter
	if c.Regime == trainer.PeriodicCore && c.Period == 0 {
		c.Period = trainer.PeriodFor(*f.taskName)
		if cur.Curriculum == trainer.Continual {
			c.Period = trainer.ContinualPeriod
		}
	}
	if *f.epochs > 0 {
		c.Epochs = *f.epochs
	}
	c.Steps, c.TestSteps, c.Batch, c.MaxN = *f.steps, *f.test, *f.batch, *f.maxN
	if len(f.tparams) > 0 {
		c.TaskParams = f.tparams
	}
	return c
}

// importWeights reads --import's weights for m and their SHA-256, which
// becomes part of the run's config. LoadWeights comes first: it refuses
// FIFOs, devices and crafted sizes before the file is hashed.
func importWeights(path string, m gm.Config) (map[string][]float32, string, error) {
	w, _, err := authors.LoadWeights(path, m) // safetensors or torch.save, matched strictly
	if err != nil {
		return nil, "", fmt.Errorf("--import: %w", err) // names the file, its format and what does not fit
	}
	sum, err := authors.FileSHA256(path)
	if err != nil {
		return nil, "", fmt.Errorf("--import: %w", err)
	}
	if err := trainer.CheckFinite(m, w, "--import "+path+": its weights"); err != nil {
		return nil, "", err
	}
	return w, sum, nil
}

// start prepares each planned run's folder and returns the runs to train:
// a start that never completed an epoch is cleared, a finished run skipped.
func (p *trainPlan) start() ([]trainer.Run, error) {
	var rs []trainer.Run
	for _, pr := range p.runs {
		if pr.action == outClear {
			if _, err := rundir.ClearUnstarted(pr.dir, trainer.ProvenanceFile); err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "%s held a start that never completed an epoch; starting afresh\n", pr.dir)
		}
		d, err := rundir.Create(pr.dir, pr.c)
		if err != nil {
			return nil, err
		}
		if done, _ := d.Done(); done {
			fmt.Fprintf(os.Stderr, "%s is already finished\n", pr.dir)
			continue
		}
		rs = append(rs, trainer.Run{Config: pr.c, Dir: d, Init: p.init})
	}
	return rs, nil
}

// train trains rs together, on every core, holding each run's lock.
func (f *trainFlags) train(ctx context.Context, e *env.Env, p *trainPlan, rs []trainer.Run) error {
	fmt.Fprintf(os.Stderr, "training %d run(s): %s (%s; %d parameters, gradients by %s) on %s, regime %s\n",
		len(rs), *f.mf.model, p.model.Describe(), p.model.Count().Total, p.model.Gradients(), *f.taskName, *f.regime)
	for _, r := range rs {
		unlock, err := r.Dir.Lock()
		if err != nil {
			return err
		}
		defer unlock()
	}
	return trainer.Train(ctx, rs, trainer.Options{Backend: e.Backend, Source: e.Source, Progress: os.Stdout,
		Layout: env.WholeMachine(e.Backend),
		Accept: trainer.Accept{PluginChange: *f.acceptPlugin, NumericsChange: *f.acceptNumerics, MissingProvenance: *f.acceptProvenance}})
}

// report prints what a finished training leaves to say: the savings of a
// continual run.
func (f *trainFlags) report(p *trainPlan, rs []trainer.Run) error {
	if p.cur.Curriculum != trainer.Continual {
		return nil
	}
	for _, r := range rs {
		if err := printSavings(os.Stdout, r.Dir, p.desc.HeadNames, *f.cf.savingsThreshold); err != nil {
			return err
		}
	}
	return nil
}
