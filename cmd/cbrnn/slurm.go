package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/internal/slurm"
)

// slurmOpts are `cbrnn figures --slurm`'s flags.
type slurmOpts struct {
	on, dryRun, wait, noNotebooks bool
	dir, costs                    string
	opt                           slurm.Options
	extra                         listFlag
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func slurmFlags(fs *flag.FlagSet) *slurmOpts {
	s := &slurmOpts{}
	fs.BoolVar(&s.on, "slurm", false, "submit the training to Slurm: one job array (one ensemble per array task), then a job that draws the figures, writes paper/results.md and executes the notebooks")
	fs.BoolVar(&s.dryRun, "dry-run", false, "with --slurm: write the plan and the batch scripts to the submission folder, submit nothing")
	fs.StringVar(&s.dir, "slurm-dir", "", "with --slurm: the submission folder (default <out>/slurm/<time>-<profile>)")
	fs.BoolVar(&s.wait, "wait", false, "with --slurm: wait until the figures job has ended, showing progress; exit 1 unless it succeeded")
	fs.StringVar(&s.opt.Partition, "partition", "", "with --slurm: sbatch --partition")
	fs.StringVar(&s.opt.Account, "account", "", "with --slurm: sbatch --account")
	fs.StringVar(&s.opt.QOS, "qos", "", "with --slurm: sbatch --qos")
	fs.StringVar(&s.opt.Time, "time", "", "with --slurm: each array task's --time (default: its price on the chosen backend × 1.5 + 10 min)")
	fs.StringVar(&s.opt.FiguresTime, "figures-time", "", "with --slurm: the figures job's --time (default 2:00:00)")
	fs.IntVar(&s.opt.CPUsPerTask, "cpus-per-task", 0, "with --slurm: sbatch --cpus-per-task (default 1 on the Go backend, 4 with --gpus)")
	fs.IntVar(&s.opt.GPUs, "gpus", 0, "with --slurm: GPUs per array task: --gres=gpu:N, GOMLX_BACKEND=xla:cuda, up to 64 runs per ensemble")
	fs.StringVar(&s.opt.Backend, "backend", "", "with --slurm: the array tasks' GOMLX_BACKEND (default go, or xla:cuda with --gpus; e.g. xla:/abs/xla_cuda_plugin.so)")
	fs.Var(&s.extra, "sbatch-arg", "with --slurm: one more sbatch option for both jobs, e.g. --sbatch-arg=--mem=8G (repeatable)")
	fs.StringVar(&s.costs, "costs", "", "with --slurm: the cost table to price tasks with (default bench/costs/go.json, or the H200 assumption with --gpus; write one with `cbrnn bench --estimate --save-costs`)")
	fs.BoolVar(&s.noNotebooks, "no-notebooks", false, "with --slurm: the figures job executes no notebook")
	return s
}

// check rejects Slurm flags given without --slurm.
func (s *slurmOpts) check(fs *flag.FlagSet, offline bool) error {
	if s.on && offline {
		return errors.New("--slurm and --offline do not go together (the figures job of a submission is the offline pass)")
	}
	if s.on {
		return nil
	}
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		if strings.Contains(f.Usage, "with --slurm") {
			stray = append(stray, "--"+f.Name)
		}
	})
	if len(stray) > 0 {
		return fmt.Errorf("%s only go with --slurm", strings.Join(stray, ", "))
	}
	return nil
}

// submitFigures plans the pending runs as a job array, writes the
// submission folder, and submits it unless this is a dry run.
func submitFigures(ctx context.Context, env *experiments.Env, p experiments.Profile, ids []string, s *slurmOpts) error {
	opt := s.opt
	opt.Extra = s.extra
	opt.Notebooks = !s.noNotebooks
	bin, err := jobBinary()
	if err != nil {
		return err
	}
	out := filepath.Dir(env.RunsDir())
	now := time.Now()
	dir := s.dir
	if dir == "" {
		dir = slurm.DefaultDir(out, p.Name, now)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	table, err := costTableFor(env.Root, s.costs, opt)
	if err != nil {
		return err
	}
	plan, err := slurm.Make(ctx, slurm.Input{
		Runs: experiments.PlanSource{Env: env, Profile: p}, Profile: p.Name, Figures: ids,
		Root: env.Root, RunsDir: env.RunsDir(), Binary: bin, Dir: dir, Options: opt, Costs: table, Now: now,
		Report: env.ResultsPathOf(p)})
	if err != nil {
		return err
	}
	if !s.dryRun {
		if !slurm.Available() {
			return fmt.Errorf("%w; --dry-run writes the plan and the scripts without submitting", slurm.ErrNoSlurm)
		}
		// Two submissions must never train one run at once.
		if err := refuseLiveClaims(ctx, out, plan); err != nil {
			return err
		}
	}
	if err := plan.Write(); err != nil {
		return err
	}
	fmt.Print(plan.Text())
	if s.dryRun {
		fmt.Printf("\ndry run: nothing submitted. The plan and the scripts are in %s:\n", dir)
		for _, f := range []string{slurm.PlanText, slurm.PlanFile, slurm.ArrayFile, slurm.FiguresFile, slurm.SubmitFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				fmt.Printf("  %s\n", filepath.Join(dir, f))
			}
		}
		fmt.Printf("Submit them as they are with: bash %s\n", filepath.Join(dir, slurm.SubmitFile))
		return nil
	}
	jobs, err := slurm.Submit(ctx, dir, os.Stdout)
	if err != nil {
		return err
	}
	fmt.Printf("\nfollow it: cbrnn status --profile %s   (or squeue --me; logs in %s)\n", p.Name, filepath.Join(dir, slurm.LogsDir))
	if !s.wait {
		return nil
	}
	return waitFor(ctx, env, p, ids, jobs)
}

// jobBinary is this cbrnn, which the jobs run: it must outlive this
// process (not `go run`'s temporary build).
func jobBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", err
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "", fmt.Errorf("this cbrnn is a temporary `go run` build (%s) that the jobs could not run: build bin/cbrnn (make build) and run that", exe)
	}
	return exe, nil
}

// costTableFor loads the cost table the plan prices with.
func costTableFor(root, path string, opt slurm.Options) (costmodel.Table, error) {
	if path == "" && (opt.GPUs > 0 || strings.HasPrefix(opt.Backend, "xla")) {
		_, hi := dmsLengths(costmodel.PaperCeilingN)
		return costmodel.GPUAssumption(hi), nil
	}
	if path == "" {
		path = filepath.Join(root, "bench", "costs", "go.json")
	}
	t, err := costmodel.LoadTable(path)
	if err != nil {
		return t, fmt.Errorf("%w (measure one with `cbrnn bench --ensemble 8 --estimate --save-costs FILE` and pass --costs FILE)", err)
	}
	return t, nil
}

// refuseLiveClaims fails if a live array task of an earlier submission
// holds one of the plan's runs.
func refuseLiveClaims(ctx context.Context, out string, plan *slurm.Plan) error {
	subs, err := slurm.Submissions(out)
	if err != nil || len(subs) == 0 {
		return err
	}
	states, err := slurm.States(ctx)
	if err != nil {
		return err
	}
	var paths []string
	for _, t := range plan.Tasks {
		for _, r := range t.Runs {
			paths = append(paths, r.Path)
		}
	}
	claims := slurm.LiveClaims(paths, subs, states)
	if len(claims) == 0 {
		return nil
	}
	var b strings.Builder
	for i, c := range claims {
		if i == 5 {
			fmt.Fprintf(&b, "\n  … and %d more", len(claims)-5)
			break
		}
		fmt.Fprintf(&b, "\n  %s: array task %s is %s", filepath.Base(c.Path), c.Task, c.State)
	}
	return fmt.Errorf("%d run(s) of this plan are still in the hands of an earlier submission; two tasks must not train one run. Wait for it, or scancel it, then submit again:%s", len(claims), b.String())
}

// runNotes names, for results.md, the array task and log of each run of a
// submission.
func runNotes(planPath string) (func(string) string, error) {
	plan, err := slurm.ReadPlan(planPath)
	if err != nil {
		return nil, err
	}
	jobs, ok, err := slurm.ReadJobs(plan.Dir)
	if err != nil {
		return nil, err
	}
	sub := slurm.Submission{Dir: plan.Dir, Plan: plan, Jobs: jobs, Submitted: ok}
	task := map[string]int{}
	for _, t := range plan.Tasks {
		for _, r := range t.Runs {
			task[r.Path] = t.Index
		}
	}
	return func(path string) string {
		i, ok := task[path]
		switch {
		case !ok:
			return "not in this submission's plan"
		case !sub.Submitted:
			return fmt.Sprintf("array task %d (not submitted)", i)
		}
		return fmt.Sprintf("array task %s, log %s", sub.TaskID(i), sub.LogOf(i))
	}, nil
}

// waitFor follows a submission until its figures job has ended, printing a
// line whenever the runs' progress changes.
func waitFor(ctx context.Context, env *experiments.Env, p experiments.Profile, ids []string, jobs slurm.Jobs) error {
	last := ""
	for {
		states, err := slurm.States(ctx)
		if err != nil {
			return err
		}
		st, known := states[jobs.Figures]
		if line := progressSummary(ctx, env, p, ids, states); line != last {
			fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), line)
			last = line
		}
		if !known || slurm.Ended(st.State) {
			state := st.State
			if !known {
				state = "gone from the queue"
			}
			fmt.Printf("figures job %s: %s; report: %s\n", jobs.Figures, state, env.ResultsPathOf(p))
			if state != "COMPLETED" {
				return fmt.Errorf("figures job %s ended %s (its log is in the submission's logs folder)", jobs.Figures, state)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// progressSummary counts the profile's runs by state, as cbrnn status
// shows them.
func progressSummary(ctx context.Context, env *experiments.Env, p experiments.Profile, ids []string, states map[string]slurm.JobState) string {
	sts, err := env.Status(ctx, p, ids)
	if err != nil {
		return err.Error()
	}
	subs, err := slurm.Submissions(filepath.Dir(env.RunsDir()))
	if err != nil {
		return err.Error()
	}
	where := slurm.RunsByPath(subs)
	n := map[experiments.RunState]int{}
	for _, s := range sts {
		st, _ := clusterState(s, where, states)
		n[st]++
	}
	return fmt.Sprintf("runs: %d finished, %d running, %d interrupted, %d not started (of %d)",
		n[experiments.Finished], n[experiments.Running], n[experiments.Interrupted], n[experiments.NotStarted], len(sts))
}
