package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/internal/slurm"
)

func init() {
	register("slurm-task", "train one array task of a Slurm plan (what array.sbatch runs)", runSlurmTask)
}

// requeueError makes cbrnn exit with slurm.ExitRequeue: stopped by a
// signal, every run's resume point saved.
type requeueError struct{ err error }

func (e requeueError) Error() string {
	return fmt.Sprintf("stopped by a signal, resume points saved (exit %d: run the task again to resume): %v", slurm.ExitRequeue, e.err)
}
func (e requeueError) Unwrap() error { return e.err }
func (e requeueError) ExitCode() int { return slurm.ExitRequeue }

func runSlurmTask(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("slurm-task", flag.ContinueOnError)
	planPath := fs.String("plan", "", "the submission's plan.json")
	// An array task is one element of the Slurm job array; --task is its
	// older name, still what the array.sbatch of earlier submissions pass.
	task := fs.Int("array-task", -1, "the array task index ($SLURM_ARRAY_TASK_ID)")
	fs.IntVar(task, "task", -1, "alias of --array-task")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *planPath == "" || *task < 0 || fs.NArg() > 0 {
		return errors.New("usage: cbrnn slurm-task --plan DIR/plan.json --array-task N")
	}
	plan, err := slurm.ReadPlan(*planPath)
	if err != nil {
		return err
	}
	runs, err := plan.TaskRuns(*task)
	if err != nil {
		return err
	}
	// One ensemble per array task: Jobs 1, whatever the node has.
	env, err := experiments.Open(ctx, experiments.Options{Profile: plan.Profile, Root: plan.Root, Out: plan.Out, Jobs: 1, Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer env.Close()
	err = env.TrainEnsemble(ctx, runs)
	if err != nil && ctx.Err() != nil {
		// main cancels ctx on SIGTERM/SIGINT; the trainer saved at the
		// batch boundary it reached.
		return requeueError{err}
	}
	if err == nil {
		fmt.Fprintf(os.Stderr, "array task %d: every run finished\n", *task)
	}
	return err
}
