package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// The test of a real cluster. scripts/slurm-test.sh starts a single-node
// Slurm cluster (scripts/slurm-cluster.sh) and runs it with:
//
//	CBRNN_SLURM_TEST=1        run it (it is skipped otherwise)
//	SLURM_CONF=…              the cluster
//	CBRNN_LOCAL_SMOKE=DIR     a local smoke reproduction to compare with (its runs/);
//	                          default: train one here with bin/cbrnn
const (
	clusterTestEnv = "CBRNN_SLURM_TEST"
	localSmokeEnv  = "CBRNN_LOCAL_SMOKE"
)

// TestSmokeOnSlurm runs `./reproduce.sh --slurm --profile smoke --wait` on
// a real cluster, requeues one array task mid-run with `scontrol requeue`,
// and checks that every figure and paper/results.md appear, that the
// notebooks ran, and that the runs equal a local smoke run's: the same
// config hashes and stats identical but for wall time.
func TestSmokeOnSlurm(t *testing.T) {
	if os.Getenv(clusterTestEnv) != "1" {
		t.Skipf("needs a Slurm cluster: scripts/slurm-test.sh runs it (%s=1)", clusterTestEnv)
	}
	if os.Getenv("SLURM_CONF") == "" || !Available() {
		t.Fatal("SLURM_CONF is not set or squeue is missing: start a cluster with scripts/slurm-cluster.sh")
	}
	root, err := env.FindRoot("")
	if err != nil {
		t.Fatal(err)
	}
	local := os.Getenv(localSmokeEnv)
	if local == "" {
		local = trainLocalSmoke(t, root)
	}
	out := filepath.Join(root, ".cache", "slurm-smoke")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "reproduce.sh"), "--slurm", "--profile", "smoke", "--out", out, "--wait")
	cmd.Dir = root
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cancelSubmission(out) })

	rq := requeueOneTask(t, ctx, out, done)
	err = <-done
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("reproduce.sh --slurm failed after %s: %v\n%s\n%s", wall.Round(time.Second), err, log.String(), dumpLogs(out))
	}
	t.Logf("reproduce.sh --slurm --profile smoke --wait: %s wall time (%d task(s) requeued)", wall.Round(time.Second), rq.attempts)

	// Every figure and the report.
	report, err := os.ReadFile(filepath.Join(out, "paper", "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range experiments.IDs() {
		for _, ext := range []string{".png", ".svg"} {
			if fi, err := os.Stat(filepath.Join(out, "figures", id+ext)); err != nil || fi.Size() == 0 {
				t.Errorf("figure %s%s missing: %v", id, ext, err)
			}
		}
		if !strings.Contains(string(report), "## "+id+" ") {
			t.Errorf("results.md has no section for %s", id)
		}
	}
	if strings.Contains(string(report), "did not finish") {
		t.Errorf("results.md lists unfinished runs:\n%s", report)
	}
	figLog := dumpLogs(out)
	for _, nb := range experiments.FigureNotebooks() {
		if !strings.Contains(figLog, "ok   "+nb+".ipynb") {
			t.Errorf("the figures job did not execute notebook %s", nb)
		}
	}

	// The same runs as locally, with the same stats. The local smoke run's
	// runs/ also holds what its notebooks trained (models.ipynb trains
	// every registered model), which the figures job does not run: the
	// plan names the runs to compare.
	subs, err := Submissions(out)
	if err != nil || len(subs) != 1 || subs[0].Plan == nil {
		t.Fatalf("the submission in %s: %v (%d found)", out, err, len(subs))
	}
	runs := planned(*subs[0].Plan)
	if len(runs) != subs[0].Plan.Needed {
		t.Errorf("a fresh submission planned %d runs, but the figures need %d", len(runs), subs[0].Plan.Needed)
	}
	compareRuns(t, filepath.Join(local, "runs"), filepath.Join(out, "runs"), runs)

	// The requeued task ran twice, was stopped by SIGTERM, saved and
	// resumed.
	b, err := os.ReadFile(rq.log)
	if err != nil {
		t.Fatal(err)
	}
	tl := string(b)
	for _, want := range []string{"restart 0", "SIGTERM", fmt.Sprintf("exit status %d", ExitRequeue), "restart 1", "every run finished"} {
		if !strings.Contains(tl, want) {
			t.Errorf("the requeued task's log lacks %q:\n%s", want, tl)
		}
	}
	if rq.partial > 0 && !strings.Contains(tl, fmt.Sprintf("at batch %d)", rq.partial)) {
		t.Errorf("the requeued task saved at batch %d but its log does not show the resume there:\n%s", rq.partial, tl)
	}
}

// requeued is what requeueOneTask did.
type requeued struct {
	task    string // Slurm id
	log     string
	partial int // the batch of the epoch the task saved at (0: an epoch boundary)
	// attempts counts the tasks requeued to get one that stopped mid-epoch.
	attempts int
}

// requeueOneTask waits for an array task that has finished an epoch but not
// its runs, stops its cbrnn (SIGSTOP) so that it stays mid-run, requeues
// the task with `scontrol requeue`, lets it go on (SIGCONT: it saves and
// exits), then releases the requeued task at once instead of after Slurm's
// requeue delay of about two minutes. It tries tasks until one stops
// mid-epoch (at most three requeues).
func requeueOneTask(t *testing.T, ctx context.Context, out string, done <-chan error) requeued {
	t.Helper()
	sub := waitSubmission(t, ctx, out, done)
	tasks := append([]Task(nil), sub.Plan.Tasks...)
	// Larger ensembles have longer epochs: easier to stop mid-epoch.
	sort.SliceStable(tasks, func(a, b int) bool { return len(tasks[a].Runs) > len(tasks[b].Runs) })
	var last requeued
	attempts := 0
	tried := map[int]bool{}
	for attempts < 3 {
		select {
		case err := <-done:
			t.Fatalf("reproduce.sh ended (%v) before a task could be requeued mid-run (tried %d)", err, attempts)
		case <-ctx.Done():
			t.Fatal("timed out waiting for a task to requeue")
		default:
		}
		caught := false
		for _, task := range tasks {
			if tried[task.Index] {
				continue
			}
			d := &rundir.Dir{Path: task.Runs[0].Path}
			st, _ := rundir.ReadStats[trainer.EpochStats](d)
			if fin, _ := d.Done(); len(st) == 0 || fin {
				if fin {
					tried[task.Index] = true
				}
				continue
			}
			pid := taskPID(sub.Dir, task.Index)
			if pid == 0 {
				continue
			}
			// A quarter of an epoch into the next one: mid-epoch, likely.
			time.Sleep(time.Duration(st[0].WallS / 4 * float64(time.Second)))
			if syscall.Kill(pid, syscall.SIGSTOP) != nil {
				continue
			}
			tried[task.Index] = true
			if fin, _ := d.Done(); fin {
				syscall.Kill(pid, syscall.SIGCONT)
				continue
			}
			id := sub.TaskID(task.Index)
			scontrol(t, "requeue", id)
			syscall.Kill(pid, syscall.SIGCONT)
			waitGone(t, pid)
			p, err := trainer.ReadPartial(d)
			if err != nil {
				t.Fatal(err)
			}
			last = requeued{task: id, log: sub.LogOf(task.Index)}
			if p != nil {
				last.partial = p.Step
			}
			t.Logf("requeued array task %s mid-run: saved in epoch %d at batch %d (0 = at the epoch boundary)", id, len(st)+1, last.partial)
			release(t, ctx, id)
			attempts++
			last.attempts = attempts
			caught = true
			break
		}
		if last.partial > 0 {
			return last
		}
		if !caught {
			time.Sleep(5 * time.Millisecond)
		}
		if len(tried) == len(tasks) {
			break
		}
	}
	if last.task == "" {
		t.Fatal("no array task could be caught mid-run")
	}
	t.Logf("no requeue landed mid-epoch in %d tries; the last stopped at an epoch boundary", attempts)
	return last
}

// waitSubmission waits for the submission folder and its job ids.
func waitSubmission(t *testing.T, ctx context.Context, out string, done <-chan error) Submission {
	t.Helper()
	for {
		subs, _ := Submissions(out)
		if len(subs) == 1 && subs[0].Submitted && subs[0].Jobs.Array != "" {
			return subs[0]
		}
		select {
		case err := <-done:
			t.Fatalf("reproduce.sh ended before submitting: %v", err)
		case <-ctx.Done():
			t.Fatal("timed out waiting for the submission")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// taskPID finds the cbrnn process of an array task on this node.
func taskPID(dir string, task int) int {
	want := []string{"slurm-task", "--plan", filepath.Join(dir, PlanFile), "--task", strconv.Itoa(task)}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == len(want)+1 && strings.Join(args[1:], "\x00") == strings.Join(want, "\x00") {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	return 0
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("cbrnn (pid %d) did not exit within 60 s of the requeue", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// release starts a requeued task now rather than after Slurm's delay.
func release(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for ctx.Err() == nil {
		states, err := States(ctx)
		if err == nil && states[id].State == "PENDING" {
			if exec.Command("scontrol", "update", "JobId="+id, "StartTime=now").Run() == nil {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func scontrol(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("scontrol", args...).CombinedOutput(); err != nil {
		t.Fatalf("scontrol %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// cancelSubmission cancels whatever a failed test left in the queue.
func cancelSubmission(out string) {
	subs, _ := Submissions(out)
	for _, s := range subs {
		for _, id := range []string{s.Jobs.Array, s.Jobs.Figures} {
			if id != "" {
				exec.Command("scancel", id).Run()
			}
		}
	}
}

// dumpLogs concatenates a submission's logs, for failures.
func dumpLogs(out string) string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(out, "slurm", "*", LogsDir, "*.out"))
	sort.Strings(logs)
	for _, l := range logs {
		c, _ := os.ReadFile(l)
		fmt.Fprintf(&b, "==> %s <==\n%s\n", l, c)
	}
	return b.String()
}

// trainLocalSmoke trains the smoke profile's runs locally (no notebooks),
// the reference of the cluster's runs.
func trainLocalSmoke(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "local")
	cmd := exec.Command(filepath.Join(root, "bin", "cbrnn"), "figures", "--profile", "smoke")
	cmd.Env = append(os.Environ(), "CBRNN_ROOT="+root, "CBRNN_OUT="+dir, "GOMLX_BACKEND=go")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("local smoke run: %v\n%s", err, out)
	}
	return dir
}

// compareRuns requires the same run directories (so the same config
// hashes), the same config.json and the same stats but for wall time.
// planned lists the run directory names of a plan's tasks, sorted.
func planned(p Plan) []string {
	var names []string
	for _, task := range p.Tasks {
		for _, r := range task.Runs {
			names = append(names, filepath.Base(r.Path))
		}
	}
	sort.Strings(names)
	return names
}

// compareRuns checks that got (the cluster's runs/) holds exactly the
// planned runs and that each equals its namesake in want (the local runs/):
// config, done record, and stats but for wall time.
func compareRuns(t *testing.T, want, got string, plan []string) {
	t.Helper()
	entries, err := os.ReadDir(got)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	if strings.Join(have, " ") != strings.Join(plan, " ") {
		t.Fatalf("the cluster's runs are not the planned ones:\nplanned %v\ncluster %v", plan, have)
	}
	for _, name := range plan {
		if _, err := os.Stat(filepath.Join(want, name)); err != nil {
			t.Errorf("run %s: not in the local smoke run: %v", name, err)
			continue
		}
		for _, f := range []string{rundir.ConfigFile, rundir.DoneFile} {
			x, _ := os.ReadFile(filepath.Join(want, name, f))
			y, _ := os.ReadFile(filepath.Join(got, name, f))
			if len(x) == 0 || !bytes.Equal(x, y) {
				t.Errorf("run %s: %s differs", name, f)
			}
		}
		x, y := statsWithoutWall(t, filepath.Join(want, name)), statsWithoutWall(t, filepath.Join(got, name))
		if len(x) == 0 || strings.Join(x, "\n") != strings.Join(y, "\n") {
			t.Errorf("run %s: stats differ\nlocal   %v\ncluster %v", name, x, y)
		}
	}
	t.Logf("%d runs identical to the local smoke run (config hashes, config.json, done.json, stats but for wall time)", len(plan))
}

func statsWithoutWall(t *testing.T, dir string) []string {
	t.Helper()
	st, err := rundir.ReadStats[trainer.EpochStats](&rundir.Dir{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range st {
		s.WallS = 0
		b, _ := json.Marshal(s)
		out = append(out, string(b))
	}
	return out
}
