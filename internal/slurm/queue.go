package slurm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoSlurm: the Slurm client commands are not on this machine.
var ErrNoSlurm = errors.New("slurm: sbatch/squeue not found (is this a Slurm login node?)")

// Available reports whether the Slurm client commands are on PATH.
func Available() bool {
	_, err := exec.LookPath("squeue")
	return err == nil
}

// Jobs are a submission's job ids, recorded in jobs.env by submit.sh.
type Jobs struct {
	Array   string // "" when every run had finished
	Figures string
}

// ReadJobs reads a submission folder's jobs.env; ok is false if the folder
// was never submitted (a dry run).
func ReadJobs(dir string) (j Jobs, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, JobsFile))
	if errors.Is(err, os.ErrNotExist) {
		return j, false, nil
	}
	if err != nil {
		return j, false, fmt.Errorf("slurm: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch k {
		case "ARRAY_JOB":
			j.Array = v
		case "FIGURES_JOB":
			j.Figures = v
		}
	}
	return j, true, nil
}

// Submit runs the folder's submit.sh, its output going to out, and returns
// the job ids it recorded.
func Submit(ctx context.Context, dir string, out io.Writer) (Jobs, error) {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return Jobs{}, ErrNoSlurm
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, SubmitFile))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		j, _, _ := ReadJobs(dir)
		if j.Array != "" {
			return j, fmt.Errorf("slurm: submit.sh failed after submitting array job %s (cancel it with scancel %s, or submit the figures job by hand): %w", j.Array, j.Array, err)
		}
		return j, fmt.Errorf("slurm: submit.sh failed, nothing was submitted: %w", err)
	}
	j, ok, err := ReadJobs(dir)
	if err == nil && !ok {
		err = fmt.Errorf("slurm: submit.sh wrote no %s", JobsFile)
	}
	return j, err
}

// JobState is what Slurm says of one job or array task.
type JobState struct {
	State   string // PENDING, RUNNING, COMPLETED, FAILED, …
	Reason  string // why pending, or how it ended
	Elapsed string
}

// States returns the state of every job and array task of this user that
// Slurm remembers, by id ("12_3" for an array task, "13" for a job), from
// squeue and, where accounting is on, from sacct (which remembers finished
// jobs longer). ErrNoSlurm when squeue is missing.
func States(ctx context.Context) (map[string]JobState, error) {
	if !Available() {
		return nil, ErrNoSlurm
	}
	out := map[string]JobState{}
	b, err := exec.CommandContext(ctx, "squeue", "-h", "-r", "-t", "all", "--me", "-o", "%i|%T|%r|%M").Output()
	if err != nil {
		return nil, fmt.Errorf("slurm: squeue: %w%s", err, stderrOf(err))
	}
	parseLines(b, 4, func(f []string) { out[f[0]] = JobState{State: f[1], Reason: f[2], Elapsed: f[3]} })
	if _, err := exec.LookPath("sacct"); err == nil {
		// Fails where accounting is off; squeue's answer stands then.
		if b, err := exec.CommandContext(ctx, "sacct", "-n", "-P", "-X", "--format=JobID,State,Elapsed").Output(); err == nil {
			parseLines(b, 3, func(f []string) {
				if _, ok := out[f[0]]; !ok {
					out[f[0]] = JobState{State: strings.Fields(f[1] + " ")[0], Elapsed: f[2]}
				}
			})
		}
	}
	return out, nil
}

func parseLines(b []byte, n int, f func([]string)) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), "|")
		if len(fields) >= n && fields[0] != "" {
			f(fields)
		}
	}
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// Ended reports whether a state is final: the job will not run again
// unless someone requeues it.
func Ended(state string) bool {
	switch state {
	case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "SPECIAL_EXIT", "REVOKED":
		return true
	}
	return false
}

// Submission is a submission folder under <out>/slurm.
type Submission struct {
	Dir       string
	Plan      *Plan
	Jobs      Jobs
	Submitted bool // false: a dry run
}

// Submissions reads every submission folder under out/slurm, oldest first.
// Folders without a readable plan are skipped.
func Submissions(out string) ([]Submission, error) {
	entries, err := os.ReadDir(filepath.Join(out, "slurm"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	var subs []Submission
	for _, e := range entries {
		dir := filepath.Join(out, "slurm", e.Name())
		p, err := ReadPlan(dir)
		if err != nil {
			continue
		}
		j, ok, err := ReadJobs(dir)
		if err != nil {
			return nil, err
		}
		subs = append(subs, Submission{Dir: dir, Plan: p, Jobs: j, Submitted: ok})
	}
	sort.Slice(subs, func(a, b int) bool { return subs[a].Plan.Created.Before(subs[b].Plan.Created) })
	return subs, nil
}

// TaskID is the Slurm id of array task i: "<array>_<i>".
func (s Submission) TaskID(i int) string { return fmt.Sprintf("%s_%d", s.Jobs.Array, i) }

// LogOf is the output file of array task i.
func (s Submission) LogOf(i int) string {
	return filepath.Join(s.Dir, LogsDir, fmt.Sprintf("train-%s.out", s.TaskID(i)))
}

// Where says which submitted array task trains each run: the latest
// submission that planned it.
type Where struct {
	Sub  Submission
	Task int
}

// RunsByPath maps every run planned by a submitted folder to its task, the
// latest submission winning.
func RunsByPath(subs []Submission) map[string]Where {
	out := map[string]Where{}
	for _, s := range subs {
		if !s.Submitted || s.Jobs.Array == "" {
			continue
		}
		for _, t := range s.Plan.Tasks {
			for _, r := range t.Runs {
				out[r.Path] = Where{Sub: s, Task: t.Index}
			}
		}
	}
	return out
}

// Claim is a run that a live array task of an earlier submission holds.
type Claim struct {
	Path  string
	Task  string // Slurm id of the task
	State string
}

// LiveClaims returns the runs among paths that an array task of an earlier
// submission may still write: its task is pending, running, requeued,
// suspended — anything but ended. A new submission must not plan them, or
// two tasks could write one run. Tasks Slurm no longer knows have ended.
func LiveClaims(paths []string, subs []Submission, states map[string]JobState) []Claim {
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	var out []Claim
	for _, s := range subs {
		if !s.Submitted || s.Jobs.Array == "" {
			continue
		}
		for _, t := range s.Plan.Tasks {
			st, known := states[s.TaskID(t.Index)]
			if !known {
				// A pending array's tasks can also be listed as one line
				// ("12_[3-9]"); squeue -r expands them, so unknown = gone.
				continue
			}
			if Ended(st.State) {
				continue
			}
			for _, r := range t.Runs {
				if want[r.Path] {
					out = append(out, Claim{Path: r.Path, Task: s.TaskID(t.Index), State: st.State})
				}
			}
		}
	}
	return out
}
