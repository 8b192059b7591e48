package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/internal/slurm"
)

func init() {
	register("status", "show every run a profile needs: finished, running or interrupted, epoch, N, ETA (and Slurm's view)", runStatus)
}

func runStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	profile := fs.String("profile", "", "the profile whose runs to show, started or not (default: every run directory in runs/)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cbrnn status [--profile P] [id …]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := env.FindRoot("")
	if err != nil {
		return err
	}
	out, err := env.FindOut("")
	if err != nil {
		return err
	}
	if out == "" {
		out = root
	}
	var sts []experiments.RunStatus
	if *profile != "" {
		p, err := experiments.LookupProfile(*profile)
		if err != nil {
			return err
		}
		e, err := experiments.Open(ctx, experiments.Options{Profile: p.Name, Root: root, Out: out, Progress: io.Discard})
		if err != nil {
			return err
		}
		defer e.Close()
		if sts, err = e.Status(ctx, p, fs.Args()); err != nil {
			return err
		}
	} else {
		entries, err := os.ReadDir(filepath.Join(out, "runs"))
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				sts = append(sts, experiments.InspectRun(filepath.Join(out, "runs", e.Name())))
			}
		}
	}
	subs, err := slurm.Submissions(out)
	if err != nil {
		return err
	}
	where := slurm.RunsByPath(subs)
	states, slurmErr := map[string]slurm.JobState(nil), error(nil)
	if len(where) > 0 {
		states, slurmErr = slurm.States(ctx)
	}
	printStatus(os.Stdout, sts, where, states, time.Now())
	switch {
	case slurmErr == slurm.ErrNoSlurm:
		fmt.Println("(Slurm's client commands are not here: states from the run directories only)")
	case slurmErr != nil:
		fmt.Printf("(Slurm's state unavailable: %v)\n", slurmErr)
	}
	for _, s := range subs {
		if s.Submitted && s.Jobs.Figures != "" {
			st := states[s.Jobs.Figures]
			fmt.Printf("submission %s: array %s, figures job %s %s\n", filepath.Base(s.Dir), orDash(s.Jobs.Array), s.Jobs.Figures, strings.TrimSpace(st.State+" "+reasonOf(st)))
		}
	}
	return nil
}

// printStatus writes one line per run and a summary, the run's own state
// corrected by Slurm's: a run whose task Slurm runs is running, wherever.
func printStatus(w io.Writer, sts []experiments.RunStatus, where map[string]slurm.Where, states map[string]slurm.JobState, now time.Time) {
	count := map[experiments.RunState]int{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tstate\tepoch\tN\tETA ≤\tupdated\tSlurm")
	for _, s := range sts {
		state, slurmCol := clusterState(s, where, states)
		count[state]++
		epoch, n, eta, updated := "-", "-", "-", "-"
		if s.Budget > 0 {
			epoch = fmt.Sprintf("%d/%d", s.Epoch, s.Budget)
			if s.Batch > 0 {
				epoch += fmt.Sprintf(" +%d batches", s.Batch)
			}
		}
		if s.N > 0 {
			n = fmt.Sprint(s.N)
		}
		if s.ETA > 0 && state != experiments.Finished {
			eta = s.ETA.Round(time.Second).String()
		}
		if !s.Updated.IsZero() {
			updated = now.Sub(s.Updated).Round(time.Second).String() + " ago"
		}
		label := string(state)
		if s.Err != nil {
			label = string(state) + ": " + s.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", filepath.Base(s.Path), label, epoch, n, eta, updated, slurmCol)
	}
	tw.Flush()
	var parts []string
	for _, st := range []experiments.RunState{experiments.Finished, experiments.Running, experiments.Interrupted, experiments.NotStarted} {
		parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
	}
	for _, st := range []experiments.RunState{experiments.Damaged, experiments.Unreadable} {
		if count[st] > 0 { // named only when there are some, so that they stand out
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	fmt.Fprintf(w, "%d runs: %s\n", len(sts), strings.Join(parts, ", "))
}

func reasonOf(js slurm.JobState) string {
	if js.Reason == "" || js.Reason == "None" {
		return ""
	}
	return "(" + js.Reason + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clusterState is a run's state corrected by Slurm's (a run whose array
// task Slurm runs is running, on whichever node), and Slurm's own word on
// its task ("12_3 PENDING (BeginTime)"; "-" when no submission planned it).
func clusterState(s experiments.RunStatus, where map[string]slurm.Where, states map[string]slurm.JobState) (experiments.RunState, string) {
	wh, ok := where[s.Path]
	if !ok {
		return s.State, "-"
	}
	id := wh.Sub.TaskID(wh.Task)
	js, known := states[id]
	if !known {
		return s.State, id
	}
	state := s.State
	if js.State == "RUNNING" && state != experiments.Finished {
		state = experiments.Running
	}
	return state, id + " " + strings.TrimSpace(js.State+" "+reasonOf(js))
}
