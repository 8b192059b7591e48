package slurm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/trainer"
)

// ExitRequeue is cbrnn's exit status when a signal stopped it after it saved
// every run's resume point (EX_TEMPFAIL): the task is to run again.
const ExitRequeue = 75

// Options are a submission's choices.
type Options struct {
	Partition string `json:"partition,omitempty"`
	Account   string `json:"account,omitempty"`
	QOS       string `json:"qos,omitempty"`
	// Time is each array task's --time; "" = priced (Make sets it).
	Time string `json:"time,omitempty"`
	// FiguresTime is the figures job's --time (default 2:00:00).
	FiguresTime string `json:"figures_time,omitempty"`
	// CPUsPerTask is every job's --cpus-per-task (default 1 on the Go
	// backend, whose training step keeps about one core busy; 4 with GPUs).
	CPUsPerTask int `json:"cpus_per_task"`
	// GPUs per array task: --gres=gpu:N, and the tasks train on XLA.
	GPUs int `json:"gpus,omitempty"`
	// Backend is the jobs' GOMLX_BACKEND (default go, or xla:cuda with GPUs).
	Backend string `json:"backend"`
	// Extra sbatch arguments, one #SBATCH line each, in both scripts.
	Extra []string `json:"extra,omitempty"`
	// Notebooks: the figures job executes the notebooks of what it drew.
	Notebooks bool `json:"notebooks"`
	// MaxRequeues bounds how often a task requeues itself at its time limit
	// (Slurm's SLURM_RESTART_COUNT); default 20.
	MaxRequeues int `json:"max_requeues"`
}

// withDefaults fills the options left zero.
func (o Options) withDefaults() Options {
	if o.Backend == "" {
		o.Backend = "go"
		if o.GPUs > 0 {
			o.Backend = "xla:cuda"
		}
	}
	if o.CPUsPerTask <= 0 {
		o.CPUsPerTask = 1
		if o.GPUs > 0 {
			o.CPUsPerTask = 4
		}
	}
	if o.FiguresTime == "" {
		o.FiguresTime = "2:00:00"
	}
	if o.MaxRequeues <= 0 {
		o.MaxRequeues = 20
	}
	return o
}

// accelerated reports whether the jobs train on an accelerator backend.
func (o Options) accelerated() bool {
	return o.GPUs > 0 || !strings.HasPrefix(strings.ToLower(o.Backend), "go")
}

// Plan is a submission: what each array task trains and what it costs.
type Plan struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Profile string    `json:"profile"`
	Figures []string  `json:"figures"`
	Root    string    `json:"root"` // repository (task plugins, notebooks)
	Out     string    `json:"out"`  // runs/, figures/, paper/ go here
	// Report is the figures job's report (Input.Report); "" in plans
	// written before it existed: Out/paper/results.md (ReportPath).
	Report  string  `json:"report,omitempty"`
	Binary  string  `json:"binary"` // the cbrnn the jobs run
	Dir     string  `json:"dir"`    // this submission's folder
	Options Options `json:"options"`
	// MaxEnsemble caps the runs per task: 8 on the Go backend (its step
	// cost grows with the members), 64 on an accelerator.
	MaxEnsemble int `json:"max_ensemble"`
	Needed      int `json:"needed"` // distinct runs the figures need; Tasks hold the unfinished ones
	// Costs is the source of the cost table the prices come from; CeilingN
	// the N at which each run's curve is assumed to level off.
	Costs    string `json:"costs"`
	CeilingN int    `json:"ceiling_n"`
	// TimeLimit is the array tasks' --time; TimeFromPrice says whether Make
	// set it from the longest task's price.
	TimeLimit     string `json:"time_limit"`
	TimeFromPrice bool   `json:"time_from_price"`
	Tasks         []Task `json:"tasks"`
}

// Task is one array task: one ensemble.
type Task struct {
	Index int                  `json:"index"`
	Shape string               `json:"shape"`
	Runs  []trainer.PlannedRun `json:"runs"`
	Price Price                `json:"price"`
}

// Price is a task's cost from internal/costmodel.
type Price struct {
	TrainingS float64 `json:"training_s"`
	CompileS  float64 `json:"compile_s"`
	Epochs    int     `json:"epochs"`
}

// Total is the priced wall time of the task.
func (p Price) Total() time.Duration {
	return time.Duration((p.TrainingS + p.CompileS) * float64(time.Second))
}

// Margin turns a price into a time limit: priced × 1.5 + 10 minutes (task
// generation, checkpoints, start-up and a slower node are not priced).
func Margin(priced time.Duration) time.Duration {
	return (priced*3/2 + 10*time.Minute + time.Minute - 1).Truncate(time.Minute)
}

// RunSource is what a plan needs to know of the figures: which runs they
// need and how to name a network's shape. experiments.PlanSource implements
// it; declaring it here keeps this package below the figure catalogue, so
// that it depends only on trainer and costmodel.
type RunSource interface {
	// FigureIDs lists every figure: the plan's figures when none are given.
	FigureIDs() []string
	// Pending returns the runs the figures ids need that have not finished,
	// grouped into the ensembles a local run would train (at most maxK runs
	// each), and how many distinct runs the figures need in all.
	Pending(ctx context.Context, ids []string, maxK int) (ens [][]trainer.PlannedRun, needed int, err error)
	// Describe names the shape of a run's network in a few words.
	Describe(c trainer.Config) string
	// Lengths is the rule of sequence lengths the task declares
	// (task.Description.TBounds), which prices its batches.
	Lengths(ctx context.Context, task string) (costmodel.Lengths, error)
}

// Input is what Make plans from.
type Input struct {
	Runs    RunSource
	Profile string   // the profile's name
	Figures []string // ids; empty = every figure
	Root    string   // the repository (absolute): task plugins, notebooks
	RunsDir string   // where the runs live (absolute); its parent is the output folder
	Binary  string   // absolute path of the cbrnn the jobs run
	Dir     string   // the submission folder (absolute)
	Options Options
	Costs   costmodel.Table
	Now     time.Time
	// Report is where the figures job writes its report; "" =
	// <out>/paper/results.md. A profile with its own folder
	// (experiments.Profile.Dir) writes paper/<dir>/results.md.
	Report string
}

// Make plans a submission: the profile's pending runs in ensembles, one per
// array task, each priced on the chosen backend, and the tasks' --time (the
// one given, or the longest price with Margin).
func Make(ctx context.Context, in Input) (*Plan, error) {
	o := in.Options.withDefaults()
	if len(in.Figures) == 0 {
		in.Figures = in.Runs.FigureIDs()
	}
	for _, path := range []string{in.Binary, in.Dir, in.Root, in.RunsDir} {
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("slurm: %s must be an absolute path", path)
		}
		// #SBATCH lines are split on white space by sbatch, not by a shell.
		if strings.ContainsAny(path, " \t\n'\"\\$`") {
			return nil, fmt.Errorf("slurm: %q has white space or quotes, which #SBATCH lines cannot carry: use a path without them", path)
		}
	}
	maxK := 8
	if o.accelerated() {
		maxK = 64
	}
	ens, needed, err := in.Runs.Pending(ctx, in.Figures, maxK)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Version: 1, Created: in.Now.UTC(), Profile: in.Profile, Figures: in.Figures,
		Root: in.Root, Out: filepath.Dir(in.RunsDir), Binary: in.Binary, Dir: in.Dir,
		Options: o, MaxEnsemble: maxK, Needed: needed, Costs: in.Costs.Source, CeilingN: costmodel.PaperCeilingN,
		Report: in.Report,
	}
	var longest time.Duration
	for i, runs := range ens {
		lengths, err := in.Runs.Lengths(ctx, runs[0].Config.Task)
		if err != nil {
			return nil, fmt.Errorf("pricing task %d: %w", i, err)
		}
		price, err := priceTask(in.Costs, runs, lengths)
		if err != nil {
			return nil, fmt.Errorf("pricing task %d: %w", i, err)
		}
		longest = max(longest, price.Total())
		p.Tasks = append(p.Tasks, Task{Index: i, Shape: in.Runs.Describe(runs[0].Config), Runs: runs, Price: price})
	}
	p.TimeLimit, p.TimeFromPrice = o.Time, o.Time == ""
	if p.TimeFromPrice {
		p.TimeLimit = FormatTime(Margin(longest))
	} else if _, err := ParseTime(o.Time); err != nil {
		return nil, err
	}
	if d, _ := ParseTime(p.TimeLimit); d <= 3*time.Minute {
		return nil, fmt.Errorf("slurm: --time %s leaves no room for --signal=B:TERM@120 (a task is warned 2 minutes before its limit); give more than 3 minutes", p.TimeLimit)
	}
	return p, nil
}

// priceTask prices one ensemble: every run's curve N(e) = min(StartN + e,
// costmodel.PaperCeilingN, MaxN) at the lengths its task declares.
func priceTask(t costmodel.Table, runs []trainer.PlannedRun, lengths costmodel.Lengths) (Price, error) {
	c := runs[0].Config
	epochs := 0
	for _, r := range runs {
		epochs = max(epochs, r.Config.Epochs)
	}
	costs, err := t.For(c.Model.Count().Total, len(runs), c.Batch)
	if err != nil {
		return Price{}, err
	}
	est, err := costs.Run(costmodel.Protocol{Epochs: epochs, Steps: c.Steps, TestSteps: c.TestSteps, Members: len(runs)},
		lengths, curve(c))
	if err != nil {
		return Price{}, err
	}
	return Price{TrainingS: est.Training.Seconds(), CompileS: est.Compile.Seconds(), Epochs: epochs}, nil
}

// curve is the N curve a run is priced at: one N further each epoch, up to
// costmodel.PaperCeilingN (or the run's own bounds).
func curve(c trainer.Config) func(int) int {
	return func(e int) int {
		if c.Regime == trainer.FixedN {
			return c.FixedN
		}
		return min(c.StartN+e, costmodel.PaperCeilingN, c.MaxN)
	}
}

// ReportPath is the figures job's report: Report, else
// <Out>/paper/results.md.
func (p *Plan) ReportPath() string {
	if p.Report != "" {
		return p.Report
	}
	return filepath.Join(p.Out, "paper", "results.md")
}

// FormatTime writes a duration as Slurm's --time: [D-]HH:MM:SS.
func FormatTime(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	days, s := s/86400, s%86400
	hms := fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
	if days > 0 {
		return fmt.Sprintf("%d-%02d:%02d:%02d", days, s/3600, s%3600/60, s%60)
	}
	return hms
}

// ParseTime reads Slurm's --time forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
func ParseTime(s string) (time.Duration, error) {
	bad := fmt.Errorf("slurm: --time %q is not a Slurm time (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)", s)
	days := 0
	rest := s
	if i := strings.IndexByte(s, '-'); i >= 0 {
		d, err := strconv.Atoi(s[:i])
		if err != nil || d < 0 {
			return 0, bad
		}
		days, rest = d, s[i+1:]
	}
	parts := strings.Split(rest, ":")
	if rest == "" || len(parts) > 3 {
		return 0, bad
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, bad
		}
		nums[i] = n
	}
	var h, m, sec int
	switch {
	case strings.Contains(s, "-"): // D-H, D-H:M, D-H:M:S
		h = nums[0]
		if len(nums) > 1 {
			m = nums[1]
		}
		if len(nums) > 2 {
			sec = nums[2]
		}
	case len(nums) == 1:
		m = nums[0]
	case len(nums) == 2:
		m, sec = nums[0], nums[1]
	default:
		h, m, sec = nums[0], nums[1], nums[2]
	}
	return time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, nil
}

// Text renders the plan for people: one line per task with its price.
func (p *Plan) Text() string {
	var b strings.Builder
	runs := 0
	for _, t := range p.Tasks {
		runs += len(t.Runs)
	}
	fmt.Fprintf(&b, "cbrnn on Slurm — profile %s, figures %s\n", p.Profile, strings.Join(p.Figures, " "))
	fmt.Fprintf(&b, "runs: %d needed, %d finished already, %d to train in %d array task(s) of at most %d runs (one ensemble each)\n",
		p.Needed, p.Needed-runs, runs, len(p.Tasks), p.MaxEnsemble)
	o := p.Options
	fmt.Fprintf(&b, "backend: GOMLX_BACKEND=%s, --cpus-per-task=%d", o.Backend, o.CPUsPerTask)
	if o.GPUs > 0 {
		fmt.Fprintf(&b, ", --gres=gpu:%d", o.GPUs)
	}
	b.WriteString("\n")
	if len(p.Tasks) > 0 {
		fmt.Fprintf(&b, "prices: %s;\n  each run priced at N(e) = min(StartN + e, %d) (Table 4's largest max N), T ∈ {N+2, …, 4N+1}\n\n", p.Costs, p.CeilingN)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "task\truns\tepochs\ttraining\tcompile\tpriced\t network\t")
		for _, t := range p.Tasks {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t %s\t\n", t.Index, len(t.Runs), t.Price.Epochs,
				costmodel.Human(time.Duration(t.Price.TrainingS*float64(time.Second))), costmodel.Human(time.Duration(t.Price.CompileS*float64(time.Second))),
				costmodel.Human(t.Price.Total()), t.Shape)
		}
		tw.Flush()
		b.WriteString("\n")
		if p.TimeFromPrice {
			fmt.Fprintf(&b, "--time %s per task: the longest price × 1.5 + 10 min\n", p.TimeLimit)
		} else {
			fmt.Fprintf(&b, "--time %s per task (given)", p.TimeLimit)
			if d, _ := ParseTime(p.TimeLimit); d < p.longest() {
				fmt.Fprintf(&b, ", below the longest price %s: tasks save at their limit and requeue themselves (at most %d times)", costmodel.Human(p.longest()), o.MaxRequeues)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "figures job (after the whole array, afterany): --time %s, draws the figures whose runs finished, writes %s", o.FiguresTime, p.ReportPath())
	if o.Notebooks {
		b.WriteString(", executes their notebooks")
	}
	b.WriteString("\n")
	return b.String()
}

func (p *Plan) longest() time.Duration {
	var d time.Duration
	for _, t := range p.Tasks {
		d = max(d, t.Price.Total())
	}
	return d
}

// The files of a submission folder.
const (
	PlanFile    = "plan.json"
	PlanText    = "plan.txt"
	ArrayFile   = "array.sbatch"
	FiguresFile = "figures.sbatch"
	SubmitFile  = "submit.sh"
	JobsFile    = "jobs.env"
	LogsDir     = "logs"
)

// Write puts the plan and its scripts in p.Dir.
func (p *Plan) Write() error {
	if err := os.MkdirAll(filepath.Join(p.Dir, LogsDir), 0o755); err != nil {
		return fmt.Errorf("slurm: %w", err)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, JobsFile)); err == nil {
		return fmt.Errorf("slurm: %s was submitted already (it has %s); choose another folder", p.Dir, JobsFile)
	}
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	files := map[string]string{PlanFile: string(js) + "\n", PlanText: p.Text()}
	scripts, err := p.scripts()
	if err != nil {
		return err
	}
	for name, text := range scripts {
		files[name] = text
	}
	for name, text := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".sbatch") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(text), mode); err != nil {
			return fmt.Errorf("slurm: %w", err)
		}
	}
	return nil
}

// ReadPlan reads a submission's plan.json (path to the file or its folder).
func ReadPlan(path string) (*Plan, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, PlanFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("slurm: %s: %w", path, err)
	}
	if p.Version != 1 {
		return nil, fmt.Errorf("slurm: %s has plan version %d; this cbrnn reads version 1", path, p.Version)
	}
	return &p, nil
}

// TaskRuns returns the runs of array task i, checking the index.
func (p *Plan) TaskRuns(i int) ([]trainer.PlannedRun, error) {
	if i < 0 || i >= len(p.Tasks) {
		return nil, fmt.Errorf("slurm: task %d is not in the plan (it has tasks 0–%d)", i, len(p.Tasks)-1)
	}
	if p.Tasks[i].Index != i {
		return nil, errors.New("slurm: the plan's tasks are out of order")
	}
	return p.Tasks[i].Runs, nil
}
