package slurm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
	"github.com/cbrnn/cbrnn/trainer"
)

func TestTimes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"90", 90 * time.Minute},
		{"5:30", 5*time.Minute + 30*time.Second},
		{"2:00:00", 2 * time.Hour},
		{"1-0", 24 * time.Hour},
		{"1-2:30", 26*time.Hour + 30*time.Minute},
		{"2-01:02:03", 49*time.Hour + 2*time.Minute + 3*time.Second},
	} {
		got, err := ParseTime(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "1:2:3:4", "-5", "1-", "a-1"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{
		11 * time.Minute:                 "0:11:00",
		35*time.Hour + 90*time.Second:    "1-11:01:30",
		1500 * time.Millisecond:          "0:00:02",
		49*time.Hour + 2*time.Minute + 3: "2-01:02:01",
	} {
		if got := FormatTime(d); got != want {
			t.Errorf("FormatTime(%v) = %s, want %s", d, got, want)
		}
		if back, err := ParseTime(FormatTime(d)); err != nil || back < d {
			t.Errorf("FormatTime(%v) reads back as %v (%v)", d, back, err)
		}
	}
	// Margin: × 1.5 + 10 min, whole minutes up.
	if got := Margin(20 * time.Hour); got != 30*time.Hour+10*time.Minute {
		t.Errorf("Margin(20 h) = %v", got)
	}
	if got := Margin(time.Second); got != 11*time.Minute {
		t.Errorf("Margin(1 s) = %v, want 11 min", got)
	}
}

// testInput plans the smoke profile on the in-process task generators.
func testInput(t *testing.T, opt Options) Input {
	t.Helper()
	b, _, err := gm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	e := &experiments.Env{Env: &env.Env{Root: root, Backend: b, Source: tasks.NewLocal()}}
	table := costmodel.NewTable("go", "measured in a test", "cb-rnn", 41922, 8, 64, 1.0/8, costmodel.Costs{})
	for _, T := range gm.Buckets(145) {
		table.Buckets = append(table.Buckets, costmodel.BucketCosts{T: T, TrainMS: 10 * float64(T), EvalMS: 3 * float64(T), CompileS: 0.5})
	}
	return Input{Runs: experiments.PlanSource{Env: e, Profile: experiments.Profiles["smoke"]}, Profile: "smoke",
		Root: root, RunsDir: e.RunsDir(), Binary: "/opt/cbrnn/bin/cbrnn", Dir: filepath.Join(root, "sub"),
		Options: opt, Costs: table, Now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
}

// TestMakePlan: every pending run in exactly one task, tasks grouped by
// shape and capped by backend, priced, and the time limit set from the
// longest price.
func TestMakePlan(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		opt     Options
		maxK    int
		backend string
	}{
		{"go backend", Options{}, 8, "go"},
		{"gpus", Options{GPUs: 1}, 64, "xla:cuda"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := testInput(t, tc.opt)
			p, err := Make(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if p.MaxEnsemble != tc.maxK || p.Options.Backend != tc.backend {
				t.Errorf("max ensemble %d, backend %s; want %d, %s", p.MaxEnsemble, p.Options.Backend, tc.maxK, tc.backend)
			}
			seen := map[string]bool{}
			var longest time.Duration
			for i, task := range p.Tasks {
				if task.Index != i || len(task.Runs) == 0 || len(task.Runs) > tc.maxK {
					t.Errorf("task %d: index %d, %d runs", i, task.Index, len(task.Runs))
				}
				for _, r := range task.Runs {
					if seen[r.Path] {
						t.Errorf("run %s is in two tasks", r.Path)
					}
					seen[r.Path] = true
				}
				// Smoke budgets are 3 epochs (2 for seed-pertask's multitask).
				if task.Price.TrainingS <= 0 || task.Price.Epochs < 2 || task.Price.Epochs > 3 {
					t.Errorf("task %d priced %+v", i, task.Price)
				}
				longest = max(longest, task.Price.Total())
			}
			if len(seen) != p.Needed {
				t.Errorf("%d runs planned, %d needed (none finished)", len(seen), p.Needed)
			}
			if !p.TimeFromPrice || p.TimeLimit != FormatTime(Margin(longest)) {
				t.Errorf("time limit %s (from price %v), want %s", p.TimeLimit, p.TimeFromPrice, FormatTime(Margin(longest)))
			}
			if _, err := os.Stat(in.RunsDir); err == nil {
				t.Error("planning created runs/")
			}
		})
	}
	// The smoke profile's 151 runs (71 for the paper's figures and the
	// aux-RNN control, 80 for the controls and the sketch's studies), as
	// `cbrnn figures --profile smoke` trains them on the Go backend: 41
	// ensembles.
	p, _ := Make(ctx, testInput(t, Options{}))
	if p.Needed != 151 || len(p.Tasks) != 41 {
		t.Errorf("smoke plan: %d runs in %d tasks, want 151 in 41", p.Needed, len(p.Tasks))
	}

	given := testInput(t, Options{Time: "1-00:00:00"})
	if p, err := Make(ctx, given); err != nil || p.TimeFromPrice || p.TimeLimit != "1-00:00:00" {
		t.Errorf("given --time: %+v, %v", p, err)
	}
	for _, bad := range []Options{{Time: "2:30"}, {Time: "soon"}} {
		if _, err := Make(ctx, testInput(t, bad)); err == nil {
			t.Errorf("--time %q accepted", bad.Time)
		}
	}
	spaced := testInput(t, Options{})
	spaced.Dir = "/tmp/my runs/sub"
	if _, err := Make(ctx, spaced); err == nil || !strings.Contains(err.Error(), "white space") {
		t.Errorf("a folder with a space: %v", err)
	}
}

// TestWriteScripts writes a submission folder and reads it as a person (and
// bash, and sbatch) would.
func TestWriteScripts(t *testing.T) {
	in := testInput(t, Options{Partition: "gpu", Account: "lab", QOS: "long", GPUs: 2, Extra: []string{"--mem=16G"}, Notebooks: true})
	p, err := Make(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(in.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	array, figures, submit := read(ArrayFile), read(FiguresFile), read(SubmitFile)
	for _, want := range []string{
		"#SBATCH --array=0-" + strconv.Itoa(len(p.Tasks)-1) + "\n",
		"#SBATCH --requeue\n", "#SBATCH --signal=B:TERM@120\n", "#SBATCH --open-mode=append\n",
		"#SBATCH --gres=gpu:2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --time=" + p.TimeLimit + "\n",
		"#SBATCH --partition=gpu\n", "#SBATCH --account=lab\n", "#SBATCH --qos=long\n", "#SBATCH --mem=16G\n",
		"export GOMLX_BACKEND='xla:cuda'", "slurm-task --plan", "scontrol requeue",
	} {
		if !strings.Contains(array, want) {
			t.Errorf("array.sbatch lacks %q", want)
		}
	}
	for _, want := range []string{"#SBATCH --partition=gpu\n", "#SBATCH --mem=16G\n", "--offline --plan", "notebooks/run.sh -k $drawn"} {
		if !strings.Contains(figures, want) {
			t.Errorf("figures.sbatch lacks %q", want)
		}
	}
	if strings.Contains(figures, "--gres") || strings.Contains(figures, "--array") {
		t.Error("the figures job asks for GPUs or an array")
	}
	if !strings.Contains(submit, "--dependency=afterany:") {
		t.Error("submit.sh does not make the figures job wait for the array")
	}
	for _, name := range []string{ArrayFile, FiguresFile, SubmitFile} {
		if out, err := exec.Command("bash", "-n", filepath.Join(in.Dir, name)).CombinedOutput(); err != nil {
			t.Errorf("%s is not valid bash: %v\n%s", name, err, out)
		}
	}
	back, err := ReadPlan(in.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Tasks) != len(p.Tasks) || back.Tasks[0].Runs[0].Path != p.Tasks[0].Runs[0].Path || back.Options.GPUs != 2 {
		t.Errorf("plan.json does not read back")
	}
	if _, err := back.TaskRuns(len(p.Tasks)); err == nil {
		t.Error("a task past the end was accepted")
	}
	if err := os.WriteFile(filepath.Join(in.Dir, JobsFile), []byte("ARRAY_JOB=5\nFIGURES_JOB=6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Write(); err == nil {
		t.Error("a submitted folder was overwritten")
	}
	if j, ok, err := ReadJobs(in.Dir); err != nil || !ok || j.Array != "5" || j.Figures != "6" {
		t.Errorf("jobs.env reads %+v %v %v", j, ok, err)
	}

	bad := testInput(t, Options{Extra: []string{"mem=8G"}})
	pb, err := Make(context.Background(), bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := pb.Write(); err == nil {
		t.Error("an extra sbatch argument that is no option was accepted")
	}
}

func TestLiveClaims(t *testing.T) {
	plan := &Plan{Tasks: []Task{
		{Index: 0, Runs: []trainer.PlannedRun{{Path: "/r/a"}, {Path: "/r/b"}}},
		{Index: 1, Runs: []trainer.PlannedRun{{Path: "/r/c"}}},
		{Index: 2, Runs: []trainer.PlannedRun{{Path: "/r/d"}}},
	}}
	subs := []Submission{{Dir: "/s/1", Plan: plan, Jobs: Jobs{Array: "12", Figures: "13"}, Submitted: true},
		{Dir: "/s/dry", Plan: plan, Submitted: false}}
	states := map[string]JobState{"12_0": {State: "COMPLETED"}, "12_1": {State: "PENDING", Reason: "BeginTime"}}
	// 12_2 is unknown to Slurm: it ended long ago.
	got := LiveClaims([]string{"/r/a", "/r/c", "/r/d", "/r/x"}, subs, states)
	if len(got) != 1 || got[0].Path != "/r/c" || got[0].Task != "12_1" || got[0].State != "PENDING" {
		t.Errorf("claims %+v, want /r/c held by pending 12_1", got)
	}
	where := RunsByPath(subs)
	if w := where["/r/d"]; w.Task != 2 || w.Sub.TaskID(w.Task) != "12_2" || !strings.HasSuffix(w.Sub.LogOf(2), "logs/train-12_2.out") {
		t.Errorf("run /r/d is placed at %+v", w)
	}
}

// TestPlanWhenAllFinished: with every run finished there is no array; the
// submission is the figures job alone.
func TestPlanWhenAllFinished(t *testing.T) {
	in := testInput(t, Options{})
	src := in.Runs.(experiments.PlanSource)
	cfgs, err := src.Env.Needs(context.Background(), src.Profile, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfgs {
		path, _ := src.Env.RunPath(c)
		d, err := rundir.Create(path, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.MarkDone(map[string]bool{"done": true}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Make(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tasks) != 0 || p.Needed != 151 {
		t.Fatalf("%d tasks for %d runs, all finished", len(p.Tasks), p.Needed)
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(in.Dir, ArrayFile)); err == nil {
		t.Error("an array script with nothing to train")
	}
	b, _ := os.ReadFile(filepath.Join(in.Dir, SubmitFile))
	if strings.Contains(string(b), "array") && strings.Contains(string(b), "--dependency") {
		t.Errorf("submit.sh still submits an array:\n%s", b)
	}
	if out, err := exec.Command("bash", "-n", filepath.Join(in.Dir, SubmitFile)).CombinedOutput(); err != nil {
		t.Errorf("submit.sh: %v\n%s", err, out)
	}
	if !strings.Contains(p.Text(), "0 to train in 0 array task(s)") {
		t.Errorf("plan.txt:\n%s", p.Text())
	}
}
